package gateway_test

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/keys"
	"copystation/ledgerclient"
	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/embedded"
	"copystation/validatord/ledger/ledgertest"
)

type party struct {
	key *ecdsa.PrivateKey
	pub []byte
	id  string
}

func newParty(t testing.TB) *party {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.PublicKey.Bytes()
	return &party{key: k, pub: pub, id: protocol.KeyID(pub)}
}

var bdr = keys.FormatMetadata{Profile: 0x41, Layers: 1, Finalize: true, MaxSpeedX: 6, HeaderSectors: 32}

// chain is a network of real validation nodes (CometBFT in process, on
// loopback) with the operator's and issuer's governance clients.
type chain struct {
	t  testing.TB
	nw *embedded.Network
	// manifests are the registered titles' package manifests, which a
	// station passes in CopyRequestParams to combine share releases.
	manifests map[string]*titlepkg.Manifest
}

func startChain(t testing.TB, nodes int) *chain {
	t.Helper()
	return startChainOpts(t, nodes, embedded.Options{})
}

func startChainOpts(t testing.TB, nodes int, o embedded.Options) *chain {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nw, err := embedded.StartNetwork(ctx, t.TempDir(), nodes, o)
	if err != nil {
		t.Fatalf("embedded.StartNetwork(%d) = %v", nodes, err)
	}
	t.Cleanup(func() { nw.Close() })
	return &chain{t: t, nw: nw, manifests: map[string]*titlepkg.Manifest{}}
}

func (c *chain) node(i int) *embedded.Node { return c.nw.Node(i) }

func (c *chain) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	c.t.Cleanup(cancel)
	return ctx
}

func (c *chain) registerTitle(id string) { c.registerTitleSegments(id, 1) }

// registerTitleSegments registers a title with n forensic segments, dealt
// by its issuer to the network's custody nodes as in production.
func (c *chain) registerTitleSegments(id string, n int) *ledgertest.Title {
	c.t.Helper()
	ti, err := ledgertest.DealTitle(c.ctx(), c.node(0).Issuer, c.t.TempDir(), id, n, bdr)
	if err != nil {
		c.t.Fatalf("DealTitle(%s) = %v", id, err)
	}
	c.manifests[id] = ti.Manifest
	return ti
}

// paramsFor is paramsFor with the title's manifest, so round 2 combines
// the nodes' share releases.
func (c *chain) paramsFor(job, token, title string, media []byte) ledgerclient.CopyRequestParams {
	p := paramsFor(job, token, title, media)
	p.Manifest = c.manifests[title]
	return p
}

func (c *chain) enroll(signing []byte, agreement *ecdh.PublicKey) {
	c.t.Helper()
	if _, err := c.node(0).Operator.EnrollStation(c.ctx(), signing, agreement.Bytes(), []uint16{0x41}, nil); err != nil {
		c.t.Fatalf("EnrollStation = %v", err)
	}
}

func (c *chain) revoke(stationID string) {
	c.t.Helper()
	if err := c.node(0).Operator.RevokeStation(c.ctx(), stationID, "test"); err != nil {
		c.t.Fatalf("RevokeStation = %v", err)
	}
}

func (c *chain) mint(id, title string, owner []byte) {
	c.t.Helper()
	if err := c.node(0).Issuer.MintToken(c.ctx(), id, title, owner); err != nil {
		c.t.Fatalf("MintToken(%s) = %v", id, err)
	}
}

// attempts is how many discs the ledger has authorised for a job.
func (c *chain) attempts(t testing.TB, job string) int {
	t.Helper()
	var cp contract.Copy
	err := c.node(0).Ledger.Query(c.ctx(), "/copy/"+job, &cp)
	if errors.Is(err, contract.ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatalf("query copy %s = %v", job, err)
	}
	return len(cp.Attempts)
}

func (c *chain) tokenState(t testing.TB, id string) string {
	t.Helper()
	var tok contract.Token
	if err := c.node(0).Ledger.Query(c.ctx(), "/token/"+id, &tok); err != nil {
		t.Fatalf("query token %s = %v", id, err)
	}
	return tok.State
}
