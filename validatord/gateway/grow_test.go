package gateway_test

import (
	"bytes"
	"context"
	"copystation/burn/titlepkg"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"copystation/ledgerclient"
	vchain "copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/embedded"
	"copystation/validatord/ledger"
)

// growNet is four validation nodes, each governed by its own operator,
// keeping a snapshot every 4 heights, with a gateway on each.
type growNet struct {
	*chain
	kek    []byte
	home   string
	ops    []*ecdsa.PrivateKey
	admins []*ledger.Admin
	gw     []*testNode
	clk    *clock
	st     *station
}

func startGrowNet(t *testing.T) *growNet {
	t.Helper()
	n := &growNet{home: t.TempDir(), clk: newClock(), st: softStation(t)}
	n.kek = make([]byte, 32)
	rand.Read(n.kek)
	opKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	isKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	opPub, _ := opKey.PublicKey.Bytes()
	isPub, _ := isKey.PublicKey.Bytes()
	g := vchain.GenesisOptions{Operators: [][]byte{opPub}, Issuers: []contract.Issuer{{Key: isPub, Name: "embedded issuer"}}}
	for range 4 {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		pub, _ := k.PublicKey.Bytes()
		n.ops, g.NodeOperators = append(n.ops, k), append(g.NodeOperators, pub)
	}
	homes, err := vchain.Testnet(n.home, 4, n.kek, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range homes {
		nc, err := vchain.LoadNodeConfig(h)
		if err != nil {
			t.Fatal(err)
		}
		// A snapshot must outlive the joiner's discovery (5 s at least)
		// and fetch, while the copies below move the chain several
		// heights a second: kept 2, a snapshot every 4 heights was pruned
		// before the joiner fetched it, and it never caught up.
		nc.Snapshots = &vchain.Snapshots{Interval: 4, Keep: 20, ChunkBytes: 2048}
		if err := vchain.SaveNodeConfig(h, nc); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nw, err := embedded.StartNetwork(ctx, n.home, 4, embedded.Options{KEK: n.kek, OperatorKey: opKey, IssuerKey: isKey})
	if err != nil {
		t.Fatalf("embedded.StartNetwork(4) = %v", err)
	}
	t.Cleanup(func() { nw.Close() })
	n.chain = &chain{t: t, nw: nw, manifests: map[string]*titlepkg.Manifest{}}
	for i, k := range n.ops {
		a, err := ledger.NewAdmin(nw.Node(i).Ledger, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		n.admins = append(n.admins, a)
		n.gw = append(n.gw, startNode(t, nw.Node(i).Ledger, nodeOpts{now: n.clk.Now}))
	}
	n.registerTitle("title-1")
	n.enroll(n.st.signPub, n.st.exchanger.PublicKey())
	return n
}

// spender makes copies one after another through the four gateways until
// stopped, each on a token minted for it, and counts them.
type spender struct {
	mu   sync.Mutex
	done int
	err  error
	stop chan struct{}
	wg   sync.WaitGroup
}

func (n *growNet) spend(t *testing.T) *spender {
	s := &spender{stop: make(chan struct{})}
	var pins []ledgerclient.Node
	for _, g := range n.gw {
		pins = append(pins, g.pin)
	}
	c := n.st.client(t, n.clk.Now, pins...)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				return
			default:
			}
			tok := fmt.Sprintf("tok-%d", i)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := n.node(0).Issuer.MintToken(ctx, tok, "title-1", n.st.signPub)
			if err == nil {
				var a *ledgerclient.Authorization
				if a, err = c.Authorize(ctx, n.paramsFor(fmt.Sprintf("job-%d", i), tok, "title-1", []byte(tok))); err == nil {
					a.Keys.Wipe()
				}
			}
			cancel()
			s.mu.Lock()
			if err != nil {
				s.err = fmt.Errorf("spend %d: %w", i, err)
			} else {
				s.done++
			}
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

// progress waits until one more copy than now has been made.
func (s *spender) progress(t *testing.T, what string) {
	t.Helper()
	s.mu.Lock()
	from := s.done
	s.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s.mu.Lock()
		done, err := s.done, s.err
		s.mu.Unlock()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if done > from {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no copy made in 60 s (%d so far)", what, done)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *spender) finish(t *testing.T) int {
	t.Helper()
	close(s.stop)
	s.wg.Wait()
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.done
}

// TestNetworkGrowsAndShrinks is the must-show of issue 16 item 4: a
// 4-node network votes a fifth operator's validator in; its node joins by
// state sync from the others' snapshots, signs blocks, and holds the same
// app hash as the others at the same height; the operators then vote it
// out (power 0) and the network goes on with four. Copies are made
// through the gateways the whole time.
func TestNetworkGrowsAndShrinks(t *testing.T) {
	n := startGrowNet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sp := n.spend(t)
	sp.progress(t, "before growing")

	// The fifth operator makes its node's home from the genesis file and
	// a header read from node 0's RPC, which it trusts; operators 0, 1 and
	// 2 (30 of 40) vote it in; it catches up by state sync, not by
	// replaying blocks, and signs.
	start := time.Now()
	joiner, j, newOp := n.join(ctx, t, sp)
	if joiner.Comet.BlockStore().LoadBlockMeta(1) != nil {
		t.Fatalf("the joiner holds block 1: it replayed the chain instead of syncing from a snapshot")
	}
	t.Logf("node4 voted in, state-synced and signing in %v (its block store starts at %d)", time.Since(start).Round(time.Millisecond), joiner.Comet.BlockStore().Base())
	sp.progress(t, "with five, node4 signing")
	n.sameAppHash(ctx, t, joiner)

	// The new operator and operators 0, 1, 2 (40 of 50) vote it out.
	newAdmin, err := ledger.NewAdmin(n.node(0).Ledger, newOp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := newAdmin.ProposeValidator(ctx, contract.ProposeValidatorBody{ID: "leave-node4", Kind: contract.ProposeRemove, PubKey: j.PubKey}); err != nil {
		t.Fatalf("ProposeValidator(remove) = %v", err)
	}
	for _, i := range []int{0, 1, 2} {
		if err := n.admins[i].VoteValidator(ctx, "leave-node4"); err != nil {
			t.Fatalf("VoteValidator(remove, operator %d) = %v", i, err)
		}
	}
	n.waitSigned(ctx, t, j.PubKey, false)
	if err := joiner.Stop(); err != nil {
		t.Errorf("Stop(joiner) = %v", err)
	}
	sp.progress(t, "back to four")
	sp.progress(t, "back to four, again")
	t.Logf("%d copies made while the network grew and shrank", sp.finish(t))
}

// snapshots is how many snapshots node 0 keeps.
func (n *growNet) snapshots(ctx context.Context) int {
	l, err := n.node(0).App.ListSnapshots(ctx, nil)
	if err != nil {
		return 0
	}
	return len(l.Snapshots)
}

// waitSigned waits until the validator set on node 0 has (or has not)
// the key, and, if it has, until a committed block carries its signature.
func (n *growNet) waitSigned(ctx context.Context, t *testing.T, pub []byte, in bool) {
	t.Helper()
	addr := ed25519.PubKey(pub).Address()
	for {
		h, _ := n.node(0).App.LastCommit()
		vals, err := n.node(0).Client.Validators(ctx, &h, nil, nil)
		if err == nil {
			_, v := types.NewValidatorSet(vals.Validators).GetByAddress(addr)
			if !in && v == nil {
				return
			}
			if in && v != nil {
				if c, err := n.node(0).Client.Commit(ctx, &h); err == nil {
					for _, s := range c.Commit.Signatures {
						if bytes.Equal(s.ValidatorAddress, addr) && s.BlockIDFlag == types.BlockIDFlagCommit {
							return
						}
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("validator %X in the set = %v: not seen by height %d", pub, !in, h)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sameAppHash checks that every node holds the same app hash at the
// joiner's latest height.
func (n *growNet) sameAppHash(ctx context.Context, t *testing.T, joiner *vchain.Node) {
	t.Helper()
	h, want := joiner.App.LastCommit()
	for i := range 4 {
		if err := n.node(i).WaitHeight(ctx, h); err != nil {
			t.Fatal(err)
		}
		got, err := n.node(i).App.AppHashAt(h)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("app hash at height %d: node %d %X (%v), node4 %X", h, i, got, err, want)
		}
	}
}

// syncBuffer collects a node's log from CometBFT's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
