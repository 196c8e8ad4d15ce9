package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"copystation/ledgerclient"
	"copystation/validatord/contract"
)

// flood keeps conns idle TCP connections open to addr from the loopback
// addresses 127.0.0.2 onwards (sources of them), as an attacker holding
// slots does: it sends nothing, and opens a new connection as soon as the
// node closes one (after a short pause, so the machine is not saturated by
// the attacker's own reconnect loop).
type flood struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	dials  atomic.Int64
}

func startFlood(tb testing.TB, addr string, conns, sources int) *flood {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &flood{cancel: cancel}
	for i := range conns {
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%sources))}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			d := net.Dialer{LocalAddr: src}
			buf := make([]byte, 64)
			for ctx.Err() == nil {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err == nil {
					f.dials.Add(1)
					stop := context.AfterFunc(ctx, func() { c.Close() })
					for { // idle until the node closes it
						if _, err := c.Read(buf); err != nil {
							break
						}
					}
					stop()
					c.Close()
				}
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
		}()
	}
	tb.Cleanup(f.stop)
	return f
}

func (f *flood) stop() { f.cancel(); f.wg.Wait() }

// BenchmarkFlood: a station's requests (one per op, each on a new
// connection, as a station makes them) while 500 idle connections from one
// or from eight loopback addresses press on the node. The ledger refuses at
// once (refusingLedger), so what is measured is the gateway: a request is
// served when the station gets the node's answer (here the refusal "token
// spent") within its own deadlines (2 s a step, 5 s for the answer).
// Reports the share served and the p99 latency of the served ones.
//
// go test -run X -bench Flood -benchtime 30x ./validatord/gateway/
func BenchmarkFlood(b *testing.B) {
	for _, sources := range []int{1, 8} {
		b.Run(fmt.Sprintf("conns=500/sources=%d", sources), func(b *testing.B) {
			st := softStation(b)
			clk := newClock()
			n := startNode(b, refusingLedger{st: &contract.Station{ID: st.id, SigningKey: st.signPub, Status: contract.StationActive}}, nodeOpts{now: clk.Now, step: 10 * time.Second})
			fl := startFlood(b, n.addr, 500, sources)
			time.Sleep(2 * time.Second) // let the flood take what it can
			c := st.client(b, clk.Now, n.pin)
			p := paramsFor("job-b", "tok-1", "title-1", []byte("media"))
			var lat []time.Duration
			total := 0
			for b.Loop() {
				total++
				t0 := time.Now()
				_, err := c.Authorize(context.Background(), p)
				if errors.Is(err, ledgerclient.ErrTokenSpent) {
					lat = append(lat, time.Since(t0))
				}
			}
			b.StopTimer()
			fl.stop()
			b.ReportMetric(float64(len(lat)), "served")
			b.ReportMetric(float64(total), "requests")
			b.ReportMetric(float64(p99(lat))/1e6, "p99-ms")
			b.ReportMetric(float64(fl.dials.Load()), "flood-dials")
		})
	}
}

// p99 is the 99th percentile of d (0 for none).
func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)*99+99)/100-1]
}
