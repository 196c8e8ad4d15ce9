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
	"copystation/validatord/keyservice"
	"copystation/validatord/ledger"
)

// refusingLedger knows one station and refuses every spend at once: it
// isolates the protocol's own cost (handshake, challenge, the station's
// signature, the node's verification) from any ledger.
type refusingLedger struct{ st *contract.Station }

func (l refusingLedger) Station(context.Context, string) (*contract.Station, error) {
	return l.st, nil
}

func (refusingLedger) Spend(context.Context, []byte, *protocol.CopyRequest, []byte) (ledger.Receipt, error) {
	return ledger.Receipt{}, fmt.Errorf("benchmark: %w", contract.CodeTokenSpent)
}

func (refusingLedger) ReleasePartial(context.Context, string, keys.Info) (*ledger.Release, error) {
	return nil, errors.New("benchmark: no keys")
}

func (refusingLedger) ReleaseKeys(context.Context, string, uint32, []byte, keys.Info, []keyservice.TitlePartial) (*ledger.Release, error) {
	return nil, errors.New("benchmark: no keys")
}

func (refusingLedger) ChainID(context.Context) (string, error) { return "copystation-bench", nil }

func (refusingLedger) NextCommit() <-chan struct{} { return nil }

func (refusingLedger) Copy(context.Context, string) (*contract.Copy, error) {
	return nil, ledger.ErrCopyNotFound
}

func (refusingLedger) Report(context.Context, []byte, *protocol.CopyReport, []byte) (ledger.Receipt, error) {
	return ledger.Receipt{}, errors.New("benchmark: no reports")
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
			n := startNode(b, refusingLedger{st: &contract.Station{ID: st.id, SigningKey: st.signPub, Status: contract.StationActive}}, nodeOpts{now: clk.Now})
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

// BenchmarkAuthorizeConsensus: a full authorisation through real
// validation nodes on loopback: the spend committed by CometBFT consensus,
// the keys derived, sealed, released, verified and opened.
func BenchmarkAuthorizeConsensus(b *testing.B) {
	for _, nodes := range []int{1, 4} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			clk := newClock()
			l := startChain(b, nodes)
			st := softStation(b)
			l.registerTitle("title-1")
			l.enroll(st.signPub, st.exchanger.PublicKey())
			n := startNode(b, l.node(0).Ledger, nodeOpts{now: clk.Now})
			c := st.client(b, clk.Now, n.pin)
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
		})
	}
}
