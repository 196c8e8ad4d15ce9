package embedded

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
	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/ledger/ledgertest"
)

// station is a software stand-in for a station's two TPM keys.
type station struct {
	sign    *ecdsa.PrivateKey
	signPub []byte
	ka      *ecdh.PrivateKey
	id      string
	// attempt and prev are what the next request and report name: the
	// job's attempt and the digest of the report that spoiled the last.
	attempt uint32
	prev    []byte
}

// testChainID is the chain ID of a node started with default options.
const testChainID = "copystation-local"

func newStation(t testing.TB) *station {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ka, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.PublicKey.Bytes()
	return &station{sign: k, signPub: pub, ka: ka, id: protocol.KeyID(pub)}
}

func (s *station) request(t testing.TB, job, token, media string) (*protocol.CopyRequest, []byte) {
	t.Helper()
	req := &protocol.CopyRequest{ChainID: testChainID, HandshakeHash: []byte("hh"), ChallengeNonce: []byte("n"), NodeID: "n0",
		ChallengeExpiry: time.Now().Add(time.Minute).Unix(), JobID: job, TokenID: token, TitleID: "film-1",
		Profile: 0x41, MediaID: []byte(media), Attempt: s.attempt, PrevReport: s.prev}
	sig, err := protocol.Sign(rand.Reader, s.sign, req)
	if err != nil {
		t.Fatal(err)
	}
	return req, sig
}

// setup registers a title of one forensic segment, dealt by its issuer to
// the network's custody nodes, and enrolls a station on a node. It returns
// the title's manifest, which a station combines share releases against.
func setup(t testing.TB, ctx context.Context, n *Node, st *station) *titlepkg.Manifest {
	t.Helper()
	ti, err := ledgertest.DealTitle(ctx, n.Issuer, t.TempDir(), "film-1", 1)
	if err != nil {
		t.Fatalf("DealTitle() = %v", err)
	}
	if _, err := n.Operator.EnrollStation(ctx, st.signPub, st.ka.PublicKey().Bytes(), []uint16{0x41}, nil); err != nil {
		t.Fatalf("EnrollStation() = %v", err)
	}
	return ti.Manifest
}

func TestEmbeddedSpendAndRelease(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := Start(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	defer n.Stop()
	st := newStation(t)
	m := setup(t, ctx, n, st)
	if err := n.Issuer.MintToken(ctx, "tok-1", "film-1", st.signPub); err != nil {
		t.Fatalf("MintToken() = %v", err)
	}
	req, sig := st.request(t, "job-1", "tok-1", "media-1")
	rc, err := n.Ledger.Spend(ctx, st.signPub, req, sig)
	if err != nil {
		t.Fatalf("Spend() = %v", err)
	}
	again, err := n.Ledger.Spend(ctx, st.signPub, req, sig)
	if err != nil || again.Height != rc.Height {
		t.Fatalf("Spend() again = %+v, %v, want %+v", again, err, rc)
	}
	var tok contract.Token
	pr, err := n.Ledger.Prove(ctx, "/token/tok-1", &tok)
	if err != nil || tok.State != contract.TokenSpent || pr.Height != rc.Height {
		t.Fatalf("Prove(/token/tok-1) = %+v, %+v, %v; want spent, proved at height %d", tok, pr, err, rc.Height)
	}
	info := keys.Info{JobID: "job-1", MediaID: []byte("media-1"), Transcript: []byte("t")}
	k := releaseFrom(t, ctx, []*Node{n}, st, info, m)
	want, _ := keys.DeriveDiscKey(make([]byte, 32), "job-1", 0, []byte("media-1"))
	if len(k.DiscKey) != 32 || string(k.DiscKey) == string(want) || len(k.Codeword) != 1 || k.Format.Profile != 0x41 {
		t.Fatalf("opened keys = disc %x codeword %x format %+v, want a derived key, 1 codeword byte, profile 0x41", k.DiscKey, k.Codeword, k.Format)
	}
	req2, sig2 := st.request(t, "job-2", "tok-1", "media-2")
	if _, err := n.Ledger.Spend(ctx, st.signPub, req2, sig2); !errors.Is(err, contract.CodeTokenSpent) {
		t.Fatalf("second Spend() = %v, want %v", err, contract.CodeTokenSpent)
	}
	if _, err := n.Ledger.ReleasePartial(ctx, st.id, keys.Info{JobID: "job-2", MediaID: []byte("media-2")}); !errors.Is(err, contract.CodeUnknownCopy) {
		t.Fatalf("ReleaseKeys(unspent job) = %v, want %v", err, contract.CodeUnknownCopy)
	}
}
