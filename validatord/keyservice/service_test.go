package keyservice

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"testing"

	"copystation/custody"
	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
)

// group runs an in-process DKG for n nodes, threshold t.
func group(t *testing.T, n, th int) ([]*custody.KeyShare, *custody.Group) {
	t.Helper()
	cc := custody.CeremonyConfig{Threshold: th, Nonce: bytes.Repeat([]byte{7}, 32)}
	var ks []*custody.DKGKey
	for range n {
		k := custody.NewDKGKey()
		pub, err := custody.ParseDKGPublic(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
		cc.Nodes = append(cc.Nodes, pub)
	}
	res, err := custody.RunInProcess(cc, ks)
	if err != nil {
		t.Fatal(err)
	}
	var shares []*custody.KeyShare
	for _, r := range res {
		shares = append(shares, r.Share)
	}
	return shares, res[0].Group
}

type fix struct {
	nodes []*Service
	custs []*Custodian // node i's custody key
	group *custody.Group
	title *contract.Title
	want  *custody.TitleKeys // the dealt keys, kept to check releases against
	src   *ledgerShares
	copy  *contract.Copy
	st    *contract.Station
	ka    *ecdh.PrivateKey
}

// ledgerShares is the committed ledger's part a release reads: the genesis
// custody and each node's sealed shares of a title, by title ID, as
// contract.App serves them.
type ledgerShares struct {
	cust       *contract.Custody
	blobs      map[string][][]byte
	epoch      *contract.CustodyEpoch // nil: epoch 0
	epochBlobs map[string][][]byte    // by "title/epoch"
}

func (l *ledgerShares) Custody() (*contract.Custody, error) { return l.cust, nil }

func (l *ledgerShares) TitleShares(id string, node int) ([]byte, error) {
	b, ok := l.blobs[id]
	if !ok || node >= len(b) {
		return nil, fmt.Errorf("title shares %s/%d: %w", id, node, contract.ErrNotFound)
	}
	return b[node], nil
}

// fixture is four nodes, threshold 2, each with its own custody share and
// custody key, and a 20-segment title its issuer dealt to them.
func fixture(t *testing.T) *fix {
	t.Helper()
	shares, g := group(t, 4, 2)
	gb, _ := g.MarshalBinary()
	f := &fix{group: g, src: &ledgerShares{cust: &contract.Custody{Threshold: 2, Group: gb}, blobs: map[string][][]byte{}}}
	var pubs []*ecdh.PublicKey
	for _, sh := range shares {
		f.nodes = append(f.nodes, New(Custody{ChainID: "test-chain", Share: sh, Group: g}))
		k, _ := ecdh.X25519().GenerateKey(rand.Reader)
		cu, err := NewCustodian(k.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		f.custs, pubs = append(f.custs, cu), append(pubs, k.PublicKey())
		f.src.cust.Nodes = append(f.src.cust.Nodes, contract.CustodyNode{Name: "n", CustodyKey: k.PublicKey().Bytes()})
	}
	f.title = &contract.Title{ID: "film-1", Issuer: "issuer-x",
		Formats:  []keys.FormatMetadata{{Profile: 0x41, Layers: 1}},
		Segments: make([]contract.Segment, 20)}
	d, err := custody.Deal(TitleOf("test-chain", f.title), 2, pubs)
	if err != nil {
		t.Fatal(err)
	}
	f.want = d.Keys
	t.Cleanup(f.want.Wipe)
	for _, r := range d.Roots {
		f.title.ShareRoots = append(f.title.ShareRoots, bytes.Clone(r[:]))
	}
	f.src.blobs["film-1"] = d.Blobs
	f.copy = &contract.Copy{JobID: "job-1", Title: "film-1", Token: "tok-1", Station: "st", Profile: 0x41,
		Attempts: []contract.Attempt{{MediaID: []byte("m1"), Outcome: contract.OutcomePending}}}
	f.ka, _ = ecdh.P256().GenerateKey(rand.Reader)
	f.st = &contract.Station{ID: "st", KeyAgreementKey: f.ka.PublicKey().Bytes()}
	return f
}

var info1 = keys.Info{JobID: "job-1", MediaID: []byte("m1"), Transcript: []byte("hh")}

// partial is node i's round-1 answer, opened as the station opens it.
func (f *fix) partial(t *testing.T, i int, c *contract.Copy, info keys.Info) custody.Partial {
	t.Helper()
	sealed, _, err := f.nodes[i].Partial(f.title, f.st, c, info, nil)
	if err != nil {
		t.Fatalf("node %d: Partial() = %v", i, err)
	}
	pb, _, err := keys.OpenPartial(f.ka, info, sealed)
	if err != nil {
		t.Fatalf("keys.OpenPartial() = %v", err)
	}
	p, err := custody.UnmarshalPartial(pb)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sigma combines nodes a and b's partials for c.
func (f *fix) sigma(t *testing.T, c *contract.Copy, a, b int) custody.Signature {
	t.Helper()
	label, err := f.nodes[0].Label(c)
	if err != nil {
		t.Fatal(err)
	}
	sig, _, err := custody.Combine(f.group, label, []custody.Partial{f.partial(t, a, c, info1), f.partial(t, b, c, info1)})
	if err != nil {
		t.Fatalf("Combine() = %v", err)
	}
	return sig
}

// release is node i's round-2 answer, opened as the station opens it: the
// body of its share release.
func (f *fix) release(t *testing.T, i int, c *contract.Copy, info keys.Info, sig custody.Signature) []byte {
	t.Helper()
	if _, err := f.nodes[i].CheckSigma(c, sig[:]); err != nil {
		t.Fatalf("node %d: CheckSigma() = %v", i, err)
	}
	sealed, _, err := f.nodes[i].ReleaseShares(f.custs[i], f.src, f.title, f.st, c, info, sig, nil)
	if err != nil {
		t.Fatalf("node %d: ReleaseShares() = %v", i, err)
	}
	body, err := keys.OpenRelease(f.ka, info, sealed)
	if err != nil {
		t.Fatalf("keys.OpenRelease() = %v", err)
	}
	return body
}

// combine is the station combining nodes' release bodies against the
// title's roots for codeword cw.
func (f *fix) combine(t *testing.T, cw custody.Codeword, bodies ...[]byte) *custody.CopyKeys {
	t.Helper()
	var rels []*custody.Release
	for _, b := range bodies {
		r, err := custody.UnmarshalRelease(b)
		if err != nil {
			t.Fatal(err)
		}
		rels = append(rels, r)
	}
	roots := make([][32]byte, len(f.title.ShareRoots))
	for i, r := range f.title.ShareRoots {
		roots[i] = [32]byte(r)
	}
	k, rejected, err := custody.CombineKeys(TitleOf("test-chain", f.title), roots, 2, rels, cw)
	if err != nil || len(rejected) != 0 {
		t.Fatalf("CombineKeys() = %v, rejected %v", err, rejected)
	}
	return k
}

// TestSameKeysOnEveryNode: any two nodes' partials make the same group
// signature, and any two nodes' share releases for it combine to the same
// keys: the base key and the one variant key per segment the codeword
// sigma gives names, as the issuer dealt them. A release carries shares
// only: no disc key, no other variant.
func TestSameKeysOnEveryNode(t *testing.T) {
	f := fixture(t)
	s01, s23 := f.sigma(t, f.copy, 0, 1), f.sigma(t, f.copy, 2, 3)
	if s01 != s23 {
		t.Fatalf("sigma from nodes 0,1 differs from nodes 2,3")
	}
	cw, _ := custody.DeriveCodeword(s01, 20)
	b0, b3 := f.release(t, 0, f.copy, info1, s01), f.release(t, 3, f.copy, info1, s01)
	if len(b0) != custody.ReleaseLen(20) {
		t.Fatalf("release body = %d bytes, want custody.ReleaseLen(20) = %d (shares only)", len(b0), custody.ReleaseLen(20))
	}
	ka := f.combine(t, cw, b0, f.release(t, 1, f.copy, info1, s01))
	kb := f.combine(t, cw, f.release(t, 2, f.copy, info1, s01), b3)
	if ka.Base != kb.Base || !slices.Equal(ka.Segments, kb.Segments) || !slices.Equal(ka.Variant, kb.Variant) {
		t.Fatalf("keys combined from nodes 0,1 differ from nodes 2,3")
	}
	if ka.Base != f.want.Base || len(ka.Segments) != 20 {
		t.Fatalf("base key %x, %d variant keys; want the dealt title's base key, 20 keys", ka.Base, len(ka.Segments))
	}
	for s, v := range ka.Segments {
		bit := cw.Bit(s)
		if ka.Variant[s] != bit || v != f.want.Variants[s][bit] || v == f.want.Variants[s][1-bit] {
			t.Errorf("variant key %d is not the key of the variant %d its codeword names", s, bit)
		}
	}
	other := *f.copy
	other.JobID = "job-2"
	if f.sigma(t, &other, 0, 1) == s01 {
		t.Errorf("another copy has the same group signature")
	}
}

// TestWrongPartialFault: a node run with FaultWrongPartial signs a partial
// that does not verify, and Combine names it.
func TestWrongPartialFault(t *testing.T) {
	f := fixture(t)
	f.nodes[1].cust.Fault = FaultWrongPartial
	label, _ := f.nodes[0].Label(f.copy)
	p1 := f.partial(t, 1, f.copy, info1)
	if err := custody.VerifyPartial(f.group, label, p1); !errors.Is(err, custody.ErrBadPartial) {
		t.Fatalf("VerifyPartial(faulty node) = %v, want %v", err, custody.ErrBadPartial)
	}
	_, rejected, err := custody.Combine(f.group, label, []custody.Partial{p1, f.partial(t, 2, f.copy, info1), f.partial(t, 3, f.copy, info1)})
	if err != nil || len(rejected) != 1 || rejected[0].Node != 1 {
		t.Fatalf("Combine() rejected %v, err %v; want node 1 named and a signature", rejected, err)
	}
}

// TestSigmaRefusals: a group signature on another copy, or bytes that are
// not the network's signature, are refused with ErrBadSigma: the station
// cannot choose the codeword.
func TestSigmaRefusals(t *testing.T) {
	f := fixture(t)
	other := *f.copy
	other.JobID = "job-2"
	s2 := f.sigma(t, &other, 0, 1)
	if _, err := f.nodes[2].CheckSigma(f.copy, s2[:]); !errors.Is(err, ErrBadSigma) {
		t.Errorf("CheckSigma(another copy's sigma) = %v, want %v", err, ErrBadSigma)
	}
	bad := s2
	bad[10] ^= 1
	if _, err := f.nodes[2].CheckSigma(&other, bad[:]); !errors.Is(err, ErrBadSigma) {
		t.Errorf("CheckSigma(altered) = %v, want %v", err, ErrBadSigma)
	}
	if _, err := f.nodes[2].CheckSigma(&other, s2[:47]); !errors.Is(err, ErrBadSigma) {
		t.Errorf("CheckSigma(47 bytes) = %v, want %v", err, ErrBadSigma)
	}
	// The identity point, which the pairing check alone accepted for any
	// copy (custody.TestIdentitySignatureRefused): a station sending it
	// would have chosen one codeword for all its copies.
	var identity custody.Signature
	identity[0] = 0xc0
	if _, err := f.nodes[2].CheckSigma(&other, identity[:]); !errors.Is(err, ErrBadSigma) {
		t.Errorf("CheckSigma(identity) = %v, want %v", err, ErrBadSigma)
	}
	none := New(Custody{ChainID: "test-chain"})
	if _, _, err := none.Partial(f.title, f.st, f.copy, info1, nil); !errors.Is(err, ErrNoCustody) {
		t.Errorf("Partial(no custody share) = %v, want %v", err, ErrNoCustody)
	}
}

// TestAttemptKeys: a retry on the same media ID (a BD-RE reformatted)
// keeps the copy's codeword (the label has no attempt) but gets another
// disc key and another disc key block nonce, so no (key, nonce) pair is
// used twice; asking again for the same attempt (a lost release) gets the
// same keys.
func TestAttemptKeys(t *testing.T) {
	f := fixture(t)
	sig := f.sigma(t, f.copy, 0, 1)
	first, again := f.release(t, 0, f.copy, info1, sig), f.release(t, 0, f.copy, info1, sig)
	if !bytes.Equal(first, again) {
		t.Errorf("the same attempt's release twice differs; a lost release must get the same keys")
	}
	retry := *f.copy
	retry.Attempts = []contract.Attempt{{MediaID: []byte("m1"), Outcome: contract.OutcomeSpoiled}, {MediaID: []byte("m1"), Outcome: contract.OutcomePending}}
	second := f.release(t, 0, &retry, info1, sig)
	if !bytes.Equal(first, second) {
		t.Errorf("attempt 1's release differs from attempt 0's; want the same codeword's shares")
	}
	d0, _ := custody.DiscKey(sig, 0, []byte("m1"))
	d1, _ := custody.DiscKey(sig, 1, []byte("m1"))
	if d0 == d1 {
		t.Errorf("custody.DiscKey(attempt 1) = attempt 0's, want another")
	}
}

// TestCopyKeysRefusals: a release is refused for a disc the copy is not
// pending on, a title's shares bound to another title, a title with no
// dealt shares and a profile the title has no format for.
func TestCopyKeysRefusals(t *testing.T) {
	f := fixture(t)
	a, ti, c := f.nodes[0], f.title, f.copy
	sig := f.sigma(t, c, 0, 1)
	// The ledger serving node 0 film-1's shares as film-2's.
	f.src.blobs["film-2"] = f.src.blobs["film-1"]
	tests := []struct {
		name  string
		edit  func(c *contract.Copy, ti *contract.Title)
		media string
		want  error
	}{
		{"other disc", func(*contract.Copy, *contract.Title) {}, "m9", ErrNotPending},
		{"made", func(c *contract.Copy, _ *contract.Title) { c.Attempts[0].Outcome = contract.OutcomeMade }, "m1", ErrNotPending},
		{"spoiled", func(c *contract.Copy, _ *contract.Title) { c.Attempts[0].Outcome = contract.OutcomeSpoiled }, "m1", ErrNotPending},
		{"another title's shares", func(_ *contract.Copy, ti *contract.Title) { ti.ID = "film-2" }, "m1", custody.ErrBadDeal},
		{"no dealt shares", func(_ *contract.Copy, ti *contract.Title) { ti.ShareRoots = nil }, "m1", ErrNotDealt},
		{"no format for the profile", func(c *contract.Copy, _ *contract.Title) { c.Profile = 0x43 }, "m1", ErrNoFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cc, tt := *c, *ti
			cc.Attempts = append([]contract.Attempt(nil), c.Attempts...)
			tc.edit(&cc, &tt)
			info := keys.Info{JobID: "job-1", MediaID: []byte(tc.media)}
			if _, _, err := a.ReleaseShares(f.custs[0], f.src, &tt, f.st, &cc, info, sig, nil); !errors.Is(err, tc.want) {
				t.Errorf("ReleaseShares(%s) = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

// TestLargestShareReleaseFits: a node's sealed share release for the
// largest title a package holds fits a ShareRelease's sealed field (it
// crosses the wire in fragments).
func TestLargestShareReleaseFits(t *testing.T) {
	st, _ := ecdh.P256().GenerateKey(rand.Reader)
	body := make([]byte, keys.MaxReleaseLen)
	sealed, err := keys.SealRelease(st.PublicKey(), keys.Info{JobID: "job", MediaID: []byte("m"), Transcript: make([]byte, 32)}, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) > protocol.MaxSealedLen {
		t.Errorf("sealed release of %d bytes = %d bytes sealed, a ShareRelease carries %d", len(body), len(sealed), protocol.MaxSealedLen)
	}
}

func (l *ledgerShares) EpochTitleShares(id string, e uint32, node int) ([]byte, error) {
	b, ok := l.epochBlobs[fmt.Sprintf("%s/%d", id, e)]
	if !ok || node >= len(b) {
		return nil, fmt.Errorf("epoch title shares %s/%d/%d: %w", id, e, node, contract.ErrNotFound)
	}
	return b[node], nil
}

// CustodyEpoch is the epoch in force, as contract.App serves it.
func (l *ledgerShares) CustodyEpoch() (*contract.CustodyEpoch, error) {
	if l.epoch == nil {
		return nil, contract.ErrNotFound
	}
	return l.epoch, nil
}
