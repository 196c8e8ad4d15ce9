package accuse

import (
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"testing"

	"copystation/custody"
	"copystation/tracing/tardos"
)

// network runs a real DKG among n nodes with threshold t, in process.
func network(tb testing.TB, n, t int) []*custody.DKGResult {
	tb.Helper()
	keys := make([]*custody.DKGKey, n)
	cc := custody.CeremonyConfig{Threshold: t, Nonce: make([]byte, 32)}
	rand.Read(cc.Nonce)
	for i := range keys {
		keys[i] = custody.NewDKGKey()
		p, err := custody.ParseDKGPublic(keys[i].Public())
		if err != nil {
			tb.Fatal(err)
		}
		cc.Nodes = append(cc.Nodes, p)
	}
	res, err := custody.RunInProcess(cc, keys)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// open is what t nodes answering an opening request give: their partials
// on the label, combined.
func open(tb testing.TB, nodes []*custody.DKGResult, label []byte) custody.Signature {
	tb.Helper()
	var ps []custody.Partial
	for _, n := range nodes[1:] { // nodes 1..3: any t will do
		p, err := custody.PartialSign(n.Share, label)
		if err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, p)
	}
	sig, _, err := custody.Combine(nodes[0].Group, label, ps)
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// TestTraceThreeColluders: of 24 copies opened by 3 of 4 nodes, three are
// mixed position by position into a leak with 20% of positions erased; the
// trace accuses only among those three, at least one of them, and never
// the fourth copy or any other. A signature for another copy's label
// refuses the whole trace.
func TestTraceThreeColluders(t *testing.T) {
	nodes := network(t, 4, 3)
	g := nodes[0].Group
	title := Title{ChainID: "chain-1", ID: "film-1", Params: tardos.Params{N: 100, C: 3, Eps1: 0.01}}
	code, _ := title.Params.Code()
	title.Segments = code.M + 3
	label, _ := custody.TracingLabel(title.ChainID, title.ID)
	title.Sigma = open(t, nodes, label)
	b, _, err := Biases(g, title)
	if err != nil {
		t.Fatal(err)
	}
	var copies []Copy
	var cws []tardos.Codeword
	for i := range 24 {
		c := Copy{JobID: fmt.Sprintf("job-%d", i), TokenID: fmt.Sprintf("tok-%d", i), StationKeyID: "station-a", Height: int64(10 + i), Time: 1700000000}
		l, _ := custody.CopyRecord{ChainID: title.ChainID, TitleID: title.ID, JobID: c.JobID, TokenID: c.TokenID, StationKeyID: c.StationKeyID}.Label()
		c.Sigma = open(t, nodes, l)
		cw, err := Codeword(g, title, b, c)
		if err != nil {
			t.Fatal(err)
		}
		copies, cws = append(copies, c), append(cws, cw)
	}
	rng := mrand.New(mrand.NewChaCha8([32]byte{3}))
	d := make(tardos.Decisions, title.Segments)
	for i := range d {
		d[i] = tardos.Decision(1 + cws[rng.IntN(3)].Bit(i)) // interleave copies 0, 1, 2
		if rng.IntN(5) == 0 {
			d[i] = tardos.Erased
		}
	}
	acc, err := Trace(g, title, d, copies)
	if err != nil {
		t.Fatal(err)
	}
	if len(acc) == 0 {
		t.Fatal("no colluder accused")
	}
	for _, a := range acc {
		if a.JobID != "job-0" && a.JobID != "job-1" && a.JobID != "job-2" {
			t.Errorf("innocent %s accused: score %.1f, threshold %.1f", a.JobID, a.Score, a.Threshold)
		}
		if a.Score <= a.Threshold || a.Height < 10 {
			t.Errorf("accused %+v", a)
		}
	}
	bad := append([]Copy(nil), copies...)
	bad[5].Sigma = copies[6].Sigma
	if _, err := Trace(g, title, d, bad); !errors.Is(err, ErrOpening) {
		t.Errorf("a signature of another copy: %v, want ErrOpening", err)
	}
	wrong := title
	wrong.Sigma = copies[0].Sigma
	if _, err := Trace(g, wrong, d, copies); !errors.Is(err, ErrOpening) {
		t.Errorf("a title signature that isn't: %v, want ErrOpening", err)
	}
}
