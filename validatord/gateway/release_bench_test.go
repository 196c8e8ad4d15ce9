package gateway_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"copystation/ledgerclient"
	"copystation/validatord/contract"
	"copystation/validatord/embedded"
)

// benchStation is a station client pinned to the gateways, the first
// asked being pins[0].
func benchStation(b *testing.B, st *station, pins []ledgerclient.Node) *ledgerclient.Client {
	c, err := ledgerclient.New(ledgerclient.Config{Nodes: pins, Group: groupOf(b, pins...), Signer: st.signer,
		KeyExchanger: st.exchanger, Random: rand.Reader, StepTimeout: 5 * time.Second, AnswerTimeout: 60 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// benchSpendToKeys measures what a station waits for a copy on a 4-node
// network over the real protocol: from its first CopyRequest to the
// opened keys (the spend committed, and, with threshold release, t
// partials gathered and round 2 answered). workers stations run at once,
// each starting at another node; b.N copies in all.
func benchSpendToKeys(b *testing.B, workers int) {
	ik, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c := startChainOpts(b, 4, embedded.Options{IssuerKey: ik})
	st := softStation(b)
	c.registerTitleSegments("title-1", 16)
	c.enroll(st.signPub, st.exchanger.PublicKey())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// mint b.N tokens in as few blocks as the mempool allows
	n0 := c.node(0)
	var nonce uint64
	if err := n0.Ledger.Query(ctx, "/nonce/"+n0.Issuer.ID(), &nonce); err != nil {
		b.Fatal(err)
	}
	var last []byte
	for i := range b.N {
		nonce++
		tx, err := contract.NewTx(rand.Reader, ik, n0.Issuer.PublicKey(), n0.ChainID, contract.TxMintToken, nonce,
			contract.MintTokenBody{ID: fmt.Sprintf("bench-%d", i), Title: "title-1", Owner: st.signPub})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := n0.Client.BroadcastTxSync(ctx, tx); err != nil {
			b.Fatal(err)
		}
		last = tx
	}
	if _, err := n0.Ledger.Submit(ctx, "mint", last); err != nil {
		b.Fatal(err)
	}
	var gws []ledgerclient.Node
	for i := range 4 {
		gws = append(gws, startNode(b, c.node(i).Ledger, nodeOpts{maxConns: 4 * workers}).pin)
	}
	clients := make([]*ledgerclient.Client, workers)
	for w := range clients {
		k := w % 4
		clients[w] = benchStation(b, st, append(append([]ledgerclient.Node(nil), gws[k:]...), gws[:k]...))
	}
	lat := make([]time.Duration, b.N)
	extra := make([]time.Duration, b.N) // after the spend: the threshold's cost
	work := make(chan int)
	var wg sync.WaitGroup
	var failed sync.Once
	b.ResetTimer()
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				t0 := time.Now()
				a, err := clients[w].Authorize(ctx, c.paramsFor(fmt.Sprintf("job-%d", i), fmt.Sprintf("bench-%d", i), "title-1", []byte(fmt.Sprintf("m-%d", i))))
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Do(func() { b.Errorf("Authorize(%d) = %v", i, err) })
					continue
				}
				extra[i] = a.ReleaseTime - a.SpendTime
				a.Keys.Wipe()
			}
		}()
	}
	for i := range b.N {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "copies/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	slices.Sort(extra)
	b.ReportMetric(float64(extra[len(extra)/2].Microseconds())/1000, "after-spend-p50-ms")
	b.ReportMetric(float64(extra[len(extra)*99/100].Microseconds())/1000, "after-spend-p99-ms")
}

// BenchmarkSpendToKeys4Nodes: 8 stations at once; the Serial variant one
// copy at a time (the latency of an unloaded network). Run with
// -benchtime=Nx.
func BenchmarkSpendToKeys4Nodes(b *testing.B)       { benchSpendToKeys(b, 8) }
func BenchmarkSpendToKeysSerial4Nodes(b *testing.B) { benchSpendToKeys(b, 1) }
