package custody

import (
	"crypto/rand"
	"testing"
)

// testNetwork runs a real in-process DKG for n nodes, threshold thr.
func testNetwork(tb testing.TB, n, thr int) []*DKGResult {
	tb.Helper()
	cc, keys := testCeremony(tb, n, thr)
	res, err := RunInProcess(cc, keys)
	if err != nil {
		tb.Fatalf("RunInProcess: %v", err)
	}
	return res
}

func testCeremony(tb testing.TB, n, thr int) (CeremonyConfig, []*DKGKey) {
	tb.Helper()
	keys := make([]*DKGKey, n)
	cc := CeremonyConfig{Threshold: thr, Nonce: make([]byte, 32)}
	rand.Read(cc.Nonce)
	for i := range keys {
		keys[i] = NewDKGKey()
		p, err := ParseDKGPublic(keys[i].Public())
		if err != nil {
			tb.Fatal(err)
		}
		cc.Nodes = append(cc.Nodes, p)
	}
	return cc, keys
}

func copyLabel(tb testing.TB, job string) []byte {
	tb.Helper()
	l, err := CopyRecord{ChainID: "chain", TitleID: "title-1", JobID: job, TokenID: "tok", StationKeyID: "st-1"}.Label()
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func partials(tb testing.TB, res []*DKGResult, label []byte, nodes ...int) []Partial {
	tb.Helper()
	var ps []Partial
	for _, i := range nodes {
		p, err := PartialSign(res[i].Share, label)
		if err != nil {
			tb.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}
