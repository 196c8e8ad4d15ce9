package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"copystation/keys"
	"copystation/ledgerclient"
	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/gateway"
)

// refusingLedger knows one station and refuses every spend at once: it
// isolates the protocol's own cost (handshake, challenge, the station's
// signature, the node's verification) from any ledger.
type refusingLedger struct{ st *gateway.StationInfo }

func (l refusingLedger) Station(context.Context, string) (*gateway.StationInfo, error) {
	return l.st, nil
}

func (refusingLedger) Spend(context.Context, []byte, *protocol.CopyRequest, []byte) (gateway.Receipt, error) {
	return gateway.Receipt{}, fmt.Errorf("benchmark: %w", contract.CodeTokenSpent)
}

func (refusingLedger) ReleaseKeys(context.Context, string, keys.Info) (*gateway.Release, error) {
	return nil, errors.New("benchmark: no keys")
}

func (refusingLedger) Report(context.Context, []byte, *protocol.CopyReport, []byte) (gateway.Receipt, error) {
	return gateway.Receipt{}, errors.New("benchmark: no reports")
}

// BenchmarkRoundTripNoConsensus: dial, IK handshake, challenge, the
// station's signature over the request, the node's verification and its
// answer, over loopback, without a ledger.
func BenchmarkRoundTripNoConsensus(b *testing.B) {
	for _, kind := range []string{"software-key", "tpm-simulator"} {
		b.Run(kind, func(b *testing.B) {
			st := softStation(b)
			if kind == "tpm-simulator" {
				st = tpmStation(b)
			}
			clk := newClock()
			n := startNode(b, refusingLedger{st: &gateway.StationInfo{ID: st.id, SigningKey: st.signPub}}, nodeOpts{now: clk.Now})
			c := st.client(b, clk.Now, n.pin)
			p := paramsFor("job-b", "tok-1", "title-1", []byte("media"))
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Authorize(context.Background(), p); !errors.Is(err, ledgerclient.ErrTokenSpent) {
					b.Fatalf("Authorize = %v, want %v", err, ledgerclient.ErrTokenSpent)
				}
			}
		})
	}
}

// BenchmarkAuthorizeInProcessContract: a full authorisation (spend
// committed by the contract run in process, one block per spend, keys
// sealed, opened and verified), without consensus between nodes.
func BenchmarkAuthorizeInProcessContract(b *testing.B) {
	clk := newClock()
	l := newAppLedger(b, clk.Now)
	st := softStation(b)
	l.registerTitle("title-1")
	l.enroll(st.signPub, st.exchanger.PublicKey())
	n := startNode(b, l, nodeOpts{now: clk.Now})
	c := st.client(b, clk.Now, n.pin)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		tok := fmt.Sprintf("tok-%d", i)
		l.mint(tok, "title-1", st.signPub)
		b.StartTimer()
		a, err := c.Authorize(context.Background(), paramsFor("job-"+tok, tok, "title-1", []byte("media")))
		if err != nil {
			b.Fatalf("Authorize = %v", err)
		}
		a.Keys.Wipe()
	}
}
