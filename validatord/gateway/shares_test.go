package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/ledgerclient"
	"copystation/validatord/embedded"
	"copystation/validatord/keyservice"
)

// dealtPackage deals a title's keys to the network's custody nodes through
// node 0's issuer, packages it under them with the roots in its manifest,
// wipes the keys and registers it.
func dealtPackage(t *testing.T, c *chain, id string, segments int) (string, *titlepkg.Manifest) {
	t.Helper()
	ti := c.registerTitleSegments(id, segments)
	return ti.Path, ti.Manifest
}

// TestDealtTitleCopy: a station copies a title its issuer dealt to four
// nodes (t = 2) over the real protocol, with one node stopped and another
// releasing a wrong share: round 1 makes σ, round 2 gathers share
// releases, names and skips the wrong one, and combines two that check
// against the manifest's roots. The keys open the base image and the
// variant the codeword selects in every segment, and not the other; the
// same copy asked again through other nodes gets the same keys.
func TestDealtTitleCopy(t *testing.T) {
	c := startChainOpts(t, 4, embedded.Options{Faults: map[int]keyservice.Fault{1: keyservice.FaultWrongShare}})
	st := softStation(t)
	path, m := dealtPackage(t, c, "dealt-1", 6)
	c.enroll(st.signPub, st.exchanger.PublicKey())
	c.mint("tok-d", "dealt-1", st.signPub)
	var gw []*testNode
	for i := range 4 {
		gw = append(gw, startNode(t, c.node(i).Ledger, nodeOpts{}))
	}
	gw[3].stop()
	if err := c.nw.Stop(3); err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		log []string
	)
	client := func(order ...int) *ledgerclient.Client {
		var pins []ledgerclient.Node
		for _, i := range order {
			pins = append(pins, gw[i].pin)
		}
		cl, err := ledgerclient.New(ledgerclient.Config{Nodes: pins, Group: groupOf(t, pins...), Signer: st.signer,
			KeyExchanger: st.exchanger, Random: rand.Reader, Now: time.Now, StepTimeout: 2 * time.Second, AnswerTimeout: 10 * time.Second,
			Logf: func(f string, a ...any) { mu.Lock(); log = append(log, fmt.Sprintf(f, a...)); mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	p := paramsFor("job-d", "tok-d", "dealt-1", []byte("media-d"))
	p.Manifest = m
	a, err := client(3, 0, 1, 2).Authorize(context.Background(), p)
	if err != nil {
		t.Fatalf("Authorize(dealt title, node 3 down) = %v", err)
	}
	var named bool
	for _, r := range a.Rejected {
		var ne *custody.NodeError
		if errors.As(r, &ne) && ne.Node == 1 && errors.Is(r, custody.ErrBadShare) {
			named = true
		}
	}
	if !named {
		t.Errorf("Authorize rejected %v, want node 1's wrong share named (custody.ErrBadShare)", a.Rejected)
	}
	mu.Lock()
	if len(log) != 1 || !strings.Contains(log[0], "node 1") {
		t.Errorf("station log = %q, want one line naming node 1", log)
	}
	mu.Unlock()
	k := a.Keys
	if len(k.VariantKeys) != 6 || len(k.DiscKey) != 32 || len(k.Codeword) != 1 {
		t.Fatalf("keys: %d variant keys, disc key %d bytes, codeword %x; want 6, 32, one byte", len(k.VariantKeys), len(k.DiscKey), k.Codeword)
	}
	given := &titlepkg.Keys{Base: k.BaseKey, Variants: make([][2][]byte, 6)}
	for s := range 6 {
		given.Variants[s][titlepkg.CodewordBit(k.Codeword, s)] = k.VariantKeys[s]
	}
	pkg, err := titlepkg.Open(path, given)
	if err != nil {
		t.Fatalf("titlepkg.Open(combined keys) = %v", err)
	}
	defer pkg.Close()
	buf := make([]byte, pkg.ChunkBufSize())
	refused := 0
	for i := range m.ChunkCount {
		_, _, err := pkg.ReadChunk(i, buf)
		r := pkg.Region(i)
		selected := r == titlepkg.BaseRegion
		if !selected {
			s, v := r.Segment()
			selected = v == titlepkg.CodewordBit(k.Codeword, s)
		}
		switch {
		case selected && err != nil:
			t.Errorf("ReadChunk(%d) = %v, want it to open", i, err)
		case !selected && !errors.Is(err, titlepkg.ErrNoKey):
			t.Errorf("ReadChunk(%d, unselected variant) = %v, want ErrNoKey", i, err)
		case !selected:
			refused++
		}
	}
	if refused != 6 {
		t.Errorf("%d unselected variant chunks refused, want 6", refused)
	}
	again, err := client(2, 1, 0).Authorize(context.Background(), p)
	if err != nil {
		t.Fatalf("Authorize(same copy, nodes 2, 1, 0) = %v", err)
	}
	if !bytes.Equal(again.Keys.BaseKey, k.BaseKey) || !bytes.Equal(again.Keys.Codeword, k.Codeword) || !bytes.Equal(again.Keys.DiscKey, k.DiscKey) {
		t.Errorf("the same copy through other nodes got other keys")
	}
}
