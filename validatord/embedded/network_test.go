package embedded

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
)

// customer is a token owner who authorises copies at a kiosk.
type customer struct {
	key *ecdsa.PrivateKey
	pub []byte
}

func newCustomer(t testing.TB) *customer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.PublicKey.Bytes()
	return &customer{key: k, pub: pub}
}

func (c *customer) grant(t testing.TB, token, station string) []byte {
	g := &protocol.CustomerGrant{ChainID: testChainID, TokenID: token, StationID: station, TitleID: "film-1", Expiry: time.Now().Add(time.Hour).Unix()}
	sig, err := protocol.Sign(rand.Reader, c.key, g)
	if err != nil {
		t.Fatal(err)
	}
	return contract.EncodeGrant(g, sig)
}

func (s *station) grantedRequest(t *testing.T, c *customer, job, token, media string) (*protocol.CopyRequest, []byte) {
	req, _ := s.request(t, job, token, media)
	req.CustomerGrant = c.grant(t, token, s.id)
	sig, err := protocol.Sign(rand.Reader, s.sign, req)
	if err != nil {
		t.Fatal(err)
	}
	return req, sig
}

// TestNetwork runs four validation nodes on loopback and checks the
// network's promises: one token spent at once through two nodes by two
// stations succeeds exactly once; spends go on with a node down; a crash
// between the commit and the key release loses nothing; a restarted node
// catches up to the same app hash.
func TestNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four CometBFT nodes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	nw, stA, stB, cust, m := twoStationNetwork(t, ctx)
	defer nw.Close()

	t.Run("double spend through two nodes", func(t *testing.T) {
		const rounds = 20
		wins := map[string]int{}
		for r := range rounds {
			tok := fmt.Sprintf("race-%d", r)
			if err := nw.Node(0).Issuer.MintToken(ctx, tok, "film-1", cust.pub); err != nil {
				t.Fatalf("MintToken(%s) = %v", tok, err)
			}
			reqA, sigA := stA.grantedRequest(t, cust, "jobA-"+tok, tok, "mA")
			reqB, sigB := stB.grantedRequest(t, cust, "jobB-"+tok, tok, "mB")
			var wg sync.WaitGroup
			errs := make([]error, 2)
			wg.Add(2)
			go func() { defer wg.Done(); _, errs[0] = nw.Node(1).Ledger.Spend(ctx, stA.signPub, reqA, sigA) }()
			go func() { defer wg.Done(); _, errs[1] = nw.Node(2).Ledger.Spend(ctx, stB.signPub, reqB, sigB) }()
			wg.Wait()
			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
					wins[[]string{"A", "B"}[i]]++
				case !errors.Is(err, contract.CodeTokenSpent):
					t.Fatalf("round %d: Spend(station %d) = %v, want success or %v", r, i, err, contract.CodeTokenSpent)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d spends succeeded (%v), want exactly 1", r, ok, errs)
			}
		}
		t.Logf("winners over %d rounds: %v", rounds, wins)
	})

	t.Run("spends go on with a node down, and it catches up", func(t *testing.T) {
		// A stream of spends through nodes 0 to 2; node 3 is stopped while
		// it runs, and no spend may fail.
		const total = 12
		for i := range total {
			if err := nw.Node(0).Issuer.MintToken(ctx, fmt.Sprintf("down-%d", i), "film-1", stA.signPub); err != nil {
				t.Fatalf("MintToken = %v", err)
			}
		}
		// Signed here: request may call t.Fatal, which must not run off
		// the test's goroutine.
		reqs := make([]*protocol.CopyRequest, total)
		sigs := make([][]byte, total)
		for i := range total {
			tok := fmt.Sprintf("down-%d", i)
			reqs[i], sigs[i] = stA.request(t, "job-"+tok, tok, "m")
		}
		errs := make(chan error, total)
		go func() {
			for i := range total {
				tok := fmt.Sprintf("down-%d", i)
				_, err := nw.Node(i%3).Ledger.Spend(ctx, stA.signPub, reqs[i], sigs[i])
				if err != nil {
					err = fmt.Errorf("Spend(%s) via node %d = %w", tok, i%3, err)
				}
				errs <- err
			}
		}()
		for i := range total {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			if i == 3 {
				if err := nw.Stop(3); err != nil {
					t.Fatalf("Stop(3) = %v", err)
				}
			}
		}
		if err := nw.Restart(ctx, 3); err != nil {
			t.Fatalf("Restart(3) = %v", err)
		}
		converge(t, ctx, nw, 3)
		if tok, err := nw.Node(3).App.Token("down-11"); err != nil || tok.State != contract.TokenSpent {
			t.Fatalf("restarted node 3 Token(down-5) = %+v, %v, want spent", tok, err)
		}
	})

	t.Run("crash between commit and key release", func(t *testing.T) {
		if err := nw.Node(0).Issuer.MintToken(ctx, "crash-1", "film-1", stA.signPub); err != nil {
			t.Fatal(err)
		}
		req, sig := stA.request(t, "job-crash", "crash-1", "media-crash")
		first, err := nw.Node(1).Ledger.Spend(ctx, stA.signPub, req, sig)
		if err != nil {
			t.Fatalf("Spend() via node 1 = %v", err)
		}
		// Node 1 dies before it releases the keys; the station retries at
		// node 2 over a new connection (a new signature, the same job).
		if err := nw.Stop(1); err != nil {
			t.Fatal(err)
		}
		req2, _ := stA.request(t, "job-crash", "crash-1", "media-crash")
		req2.HandshakeHash = []byte("another connection")
		sig2, _ := protocol.Sign(rand.Reader, stA.sign, req2)
		retry, err := nw.Node(2).Ledger.Spend(ctx, stA.signPub, req2, sig2)
		if err != nil || retry.Height != first.Height || !bytes.Equal(retry.TxHash, first.TxHash) {
			t.Fatalf("retried Spend() via node 2 = %+v, %v, want the first receipt %+v", retry, err, first)
		}
		info := keys.Info{JobID: "job-crash", MediaID: []byte("media-crash"), Transcript: []byte("t2")}
		k2 := release(t, ctx, nw, nw.Node(2), stA, info, m)
		k0 := release(t, ctx, nw, nw.Node(0), stA, info, m)
		if !bytes.Equal(k0.DiscKey, k2.DiscKey) || !bytes.Equal(k0.Codeword, k2.Codeword) {
			t.Fatalf("keys from node 0 and node 2 differ, want the same copy keys on every node")
		}
		if tok, _ := nw.Node(2).App.Token("crash-1"); tok.State != contract.TokenSpent || tok.Job != "job-crash" {
			t.Fatalf("Token(crash-1) = %+v, want spent once by job-crash", tok)
		}
		// The crashed node comes back, catches up and releases the same keys.
		if err := nw.Restart(ctx, 1); err != nil {
			t.Fatalf("Restart(1) = %v", err)
		}
		converge(t, ctx, nw, 1)
		if k1 := release(t, ctx, nw, nw.Node(1), stA, info, m); !bytes.Equal(k1.DiscKey, k0.DiscKey) {
			t.Fatalf("restarted node 1 releases other keys, want the same")
		}
	})
}

// release runs both rounds of a release as a station does: partials from
// n and then the other running nodes until the group's threshold, combined,
// then round 2 at n; the disc key is derived from the group signature.
func release(t *testing.T, ctx context.Context, nw *Network, n *Node, st *station, info keys.Info, m *titlepkg.Manifest) *keys.CopyKeys {
	t.Helper()
	nodes := []*Node{n}
	for i := range nw.Len() {
		if m := nw.Node(i); m != nil && m != n {
			nodes = append(nodes, m)
		}
	}
	return releaseFrom(t, ctx, nodes, st, info, m)
}

// converge waits until node i has committed the same height and app hash
// as node 0 (the network is idle: no empty blocks are made).
func converge(t *testing.T, ctx context.Context, nw *Network, i int) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		h0, a0 := nw.Node(0).App.LastCommit()
		hi, ai := nw.Node(i).App.LastCommit()
		if h0 == hi && bytes.Equal(a0, ai) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("node %d at height %d hash %x, node 0 at %d hash %x: %v", i, hi, ai, h0, a0, ctx.Err())
		case <-tick.C:
		}
	}
}

// twoStationNetwork starts four nodes with a title dealt and two enrolled
// stations, A (by setup) and B, and a customer to mint tokens to; the
// caller closes the network.
func twoStationNetwork(t *testing.T, ctx context.Context) (nw *Network, stA, stB *station, cust *customer, m *titlepkg.Manifest) {
	t.Helper()
	nw, err := StartNetwork(ctx, t.TempDir(), 4, Options{})
	if err != nil {
		t.Fatalf("StartNetwork(4) = %v", err)
	}
	ready := false
	defer func() { // a Fatal below (Goexit) still closes the network
		if !ready {
			nw.Close()
		}
	}()
	stA, stB, cust = newStation(t), newStation(t), newCustomer(t)
	m = setup(t, ctx, nw.Node(0), stA)
	if _, err := nw.Node(0).Operator.EnrollStation(ctx, stB.signPub, stB.ka.PublicKey().Bytes(), []uint16{0x41}, nil); err != nil {
		t.Fatalf("EnrollStation(B) = %v", err)
	}
	ready = true
	return nw, stA, stB, cust, m
}
