package opening

import (
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"

	"copystation/custody"
)

func network(t testing.TB, n, th int) []*custody.DKGResult {
	t.Helper()
	cc := custody.CeremonyConfig{Threshold: th, Nonce: make([]byte, 32)}
	rand.Read(cc.Nonce)
	var keys []*custody.DKGKey
	for range n {
		k := custody.NewDKGKey()
		p, _ := custody.ParseDKGPublic(k.Public())
		keys, cc.Nodes = append(keys, k), append(cc.Nodes, p)
	}
	res, err := custody.RunInProcess(cc, keys)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestOpenWithThreshold: three of four nodes' sealed answers open the
// title's and the copies' signatures, equal to what any other three give;
// one answer, or two, open nothing; an answer sealed for another request,
// or to another key, does not open.
func TestOpenWithThreshold(t *testing.T) {
	nodes := network(t, 4, 3)
	g := nodes[0].Group
	req, _ := ecdh.X25519().GenerateKey(rand.Reader)
	tl, _ := custody.TracingLabel("chain-1", "film-1")
	var cls [][]byte
	for _, job := range []string{"job-1", "job-2"} {
		l, _ := custody.CopyRecord{ChainID: "chain-1", TitleID: "film-1", JobID: job, TokenID: "tok", StationKeyID: "st"}.Label()
		cls = append(cls, l)
	}
	var answers []*Answer
	for _, n := range nodes {
		a, err := Sign(n.Share, tl, cls)
		if err != nil {
			t.Fatal(err)
		}
		blob, err := Seal(a, req.PublicKey().Bytes(), "chain-1", "leak-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(req, "chain-1", "leak-2", blob, 2); !errors.Is(err, ErrAnswer) {
			t.Errorf("answer opened for another request: %v", err)
		}
		other, _ := ecdh.X25519().GenerateKey(rand.Reader)
		if _, err := Open(other, "chain-1", "leak-1", blob, 2); !errors.Is(err, ErrAnswer) {
			t.Errorf("answer opened with another key: %v", err)
		}
		got, err := Open(req, "chain-1", "leak-1", blob, 2)
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, got)
	}
	st, sigs, err := Combine(g, tl, cls, answers[:3])
	if err != nil {
		t.Fatal(err)
	}
	st2, sigs2, err := Combine(g, tl, cls, answers[1:])
	if err != nil || st != st2 || sigs[1] != sigs2[1] {
		t.Fatalf("nodes 0-2 and 1-3 open differently (%v)", err)
	}
	if err := custody.Verify(g.Key(), cls[0], sigs[0]); err != nil {
		t.Error(err)
	}
	for k := 1; k < 3; k++ {
		if _, _, err := Combine(g, tl, cls, answers[:k]); err == nil {
			t.Errorf("%d answers opened the codewords; the threshold is 3", k)
		}
	}
}
