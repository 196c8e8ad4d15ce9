package genesis

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"

	"copystation/custody"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// keyedDescriptor is testDescriptor with a given DKG key.
func keyedDescriptor(t testing.TB, moniker string, k *custody.DKGKey) *SignedDescriptor {
	t.Helper()
	gw, _ := ecdh.X25519().GenerateKey(rand.Reader)
	ck, _ := ecdh.X25519().GenerateKey(rand.Reader)
	sk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sb, _ := sk.Bytes()
	dk, _ := k.MarshalBinary()
	s := &vault.Secrets{ConsensusKey: ed25519.GenPrivKey().Bytes(), NodeKey: ed25519.GenPrivKey().Bytes(),
		GatewayKey: gw.Bytes(), SignerKey: sb, DKGKey: dk, CustodyKey: ck.Bytes()}
	nc := &chain.NodeConfig{Moniker: moniker, P2PListen: "127.0.0.1:26656", GatewayListen: "127.0.0.1:7700"}
	d, key, err := describeSecrets(nc, s)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := sign(d, key)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

// groupFixture is an epoch-0 custody of nodes a and b (t=2) and a session
// moving it to b, c and d (t=2): a leaves, b stays, c and d join.
type groupFixture struct {
	keys     []*custody.DKGKey // a, b, c, d
	old      []contract.CustodyNode
	oldGroup *custody.Group
	shares   []*custody.KeyShare // a's and b's
	session  *ReshareSession
}

func newGroupFixture(t *testing.T) *groupFixture {
	f := &groupFixture{}
	for range 4 {
		f.keys = append(f.keys, custody.NewDKGKey())
	}
	cc := custody.CeremonyConfig{Threshold: 2, Nonce: make([]byte, NonceSize)}
	rand.Read(cc.Nonce)
	for i, k := range f.keys[:2] {
		p, _ := custody.ParseDKGPublic(k.Public())
		cc.Nodes = append(cc.Nodes, p)
		f.old = append(f.old, contract.CustodyNode{Name: fmt.Sprintf("old%d", i), DKGKey: k.Public()})
	}
	res, err := custody.RunInProcess(cc, f.keys[:2])
	if err != nil {
		t.Fatal(err)
	}
	f.oldGroup = res[0].Group
	f.shares = []*custody.KeyShare{res[0].Share, res[1].Share}
	var descs []*SignedDescriptor
	for i, k := range f.keys[1:] {
		descs = append(descs, keyedDescriptor(t, fmt.Sprintf("new%d", i), k))
	}
	if f.session, err = AssembleReshare(ReshareOptions{ChainID: "net", Epoch: 1, Threshold: 2}, descs); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *groupFixture) input(p int, dir string) GroupReshare {
	g := GroupReshare{Session: f.session, ChainID: "net", Epoch: 0, Old: f.old, OldGroup: f.oldGroup,
		Key: f.keys[p], Exchange: dir, Poll: 10 * time.Millisecond}
	if p < 2 {
		g.Share = f.shares[p]
	}
	return g
}

// TestReshareGroupExchange: four nodes, each in its own goroutine sharing
// only the exchange directory, reshare the group from {a, b} to {b, c, d}:
// the new nodes end with the same group under the unchanged key and their
// shares at their new indexes; the leaving node ends with nothing.
func TestReshareGroupExchange(t *testing.T) {
	f := newGroupFixture(t)
	dir := t.TempDir()
	if got := ReshareParties(f.old, f.session); len(got) != 4 {
		t.Fatalf("ReshareParties() = %d parties, want 4", len(got))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := make([]*custody.DKGResult, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[p], errs[p] = ReshareGroup(ctx, f.input(p, dir))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("ReshareGroup() = %v", err)
	}
	if res[0] != nil {
		t.Errorf("ReshareGroup(leaving node) = %v, want nil", res[0])
	}
	for p := 1; p < 4; p++ {
		r := res[p]
		if r == nil {
			t.Fatalf("ReshareGroup(node %d) = nil, want a share", p)
		}
		if !r.Group.Key().Equal(f.oldGroup.Key()) || !r.Group.Equal(res[1].Group) || r.Group.N() != 3 || r.Group.T() != 2 {
			t.Errorf("ReshareGroup(node %d): group differs or changed key", p)
		}
		if r.Share.Node != p-1 {
			t.Errorf("ReshareGroup(node %d).Share.Node = %d, want %d", p, r.Share.Node, p-1)
		}
	}
}

// TestReshareGroupRefusals: a session for another chain or epoch, or a node
// in neither set, stops before writing anything to the exchange; a rerun
// into a used directory is refused.
func TestReshareGroupRefusals(t *testing.T) {
	f := newGroupFixture(t)
	stranger := custody.NewDKGKey()
	for _, tc := range []struct {
		name string
		edit func(*GroupReshare)
		want error
	}{
		{"other chain", func(g *GroupReshare) { g.ChainID = "other" }, ErrWrongSession},
		{"stale session", func(g *GroupReshare) { g.Epoch = 1 }, ErrWrongSession},
		{"stranger", func(g *GroupReshare) { g.Key = stranger }, ErrNotInReshare},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			g := f.input(1, dir)
			tc.edit(&g)
			if _, err := ReshareGroup(context.Background(), g); !errors.Is(err, tc.want) {
				t.Errorf("ReshareGroup(%s) = %v, want %v", tc.name, err, tc.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("ReshareGroup(%s) wrote %d files to the exchange, want none", tc.name, len(ents))
			}
		})
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deal-1.bin"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReshareGroup(context.Background(), f.input(1, dir)); !errors.Is(err, ErrExchange) {
		t.Errorf("ReshareGroup(used directory) = %v, want ErrExchange", err)
	}
}

// TestReshareGroupTimeoutAdvice: a party alone in the directory stops at
// its deadline naming the missing parties and the resharing's own command
// and file, not the ceremony's.
func TestReshareGroupTimeoutAdvice(t *testing.T) {
	f := newGroupFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := ReshareGroup(ctx, f.input(1, t.TempDir()))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("ReshareGroup(alone) = %v, want ErrTimeout", err)
	}
	for _, want := range []string{"node(s) 0, 2, 3", "validatord reshare run", "resharing session file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ReshareGroup(alone) = %q, want it to name %q", err, want)
		}
	}
}
