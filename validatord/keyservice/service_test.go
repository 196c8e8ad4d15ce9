package keyservice

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"slices"
	"testing"

	"copystation/burn/titlepkg"
	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
)

func newService(t *testing.T, secret []byte, dep *ecdh.PrivateKey) *Service {
	t.Helper()
	s, err := New(secret, dep)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return s
}

func fixture(t *testing.T) (*Service, *Service, *contract.Title, *contract.Copy) {
	t.Helper()
	dep, _ := ecdh.P256().GenerateKey(rand.Reader)
	secret := bytes.Repeat([]byte{0x5A}, 32)
	a, b := newService(t, secret, dep), newService(t, secret, dep)
	sealed, err := SealPackageKey(dep.PublicKey(), "film-1", bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	ti := &contract.Title{ID: "film-1", SealedPackageKey: sealed,
		Formats:  []keys.FormatMetadata{{Profile: 0x41, Layers: 1}},
		Segments: make([]contract.Segment, 20)}
	c := &contract.Copy{JobID: "job-1", Title: "film-1", Profile: 0x41,
		Attempts: []contract.Attempt{{MediaID: []byte("m1"), Outcome: contract.OutcomePending}}}
	return a, b, ti, c
}

// TestSameKeysOnEveryNode: two nodes holding the same secrets derive the
// same keys for a job and disc, and other keys for another disc.
func TestSameKeysOnEveryNode(t *testing.T) {
	a, b, ti, c := fixture(t)
	ka, err := a.CopyKeys(ti, c, []byte("m1"))
	if err != nil {
		t.Fatalf("CopyKeys() = %v", err)
	}
	kb, err := b.CopyKeys(ti, c, []byte("m1"))
	if err != nil {
		t.Fatalf("CopyKeys() on node b = %v", err)
	}
	ea, _ := ka.MarshalBinary()
	eb, _ := kb.MarshalBinary()
	if !bytes.Equal(ea, eb) {
		t.Fatalf("CopyKeys() differ between nodes")
	}
	all, err := titlepkg.DeriveKeys(bytes.Repeat([]byte{1}, 32), 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(ka.Codeword) != 3 || !bytes.Equal(ka.BaseKey, all.Base) || len(ka.VariantKeys) != 20 {
		t.Fatalf("CopyKeys() codeword %d bytes, base key %x, %d variant keys; want 3 bytes (20 segments), the deposited title's base key, 20 keys", len(ka.Codeword), ka.BaseKey, len(ka.VariantKeys))
	}
	for s, v := range ka.VariantKeys {
		bit := titlepkg.CodewordBit(ka.Codeword, s)
		if !bytes.Equal(v, all.Variants[s][bit]) || bytes.Equal(v, all.Variants[s][1-bit]) {
			t.Errorf("CopyKeys() variant key %d is not the key of the variant %d its codeword names", s, bit)
		}
	}
	c2 := *c
	c2.Attempts = []contract.Attempt{{MediaID: []byte("m2"), Outcome: contract.OutcomePending}}
	k2, _ := a.CopyKeys(ti, &c2, []byte("m2"))
	if bytes.Equal(k2.DiscKey, ka.DiscKey) {
		t.Errorf("CopyKeys() for another disc gives the same disc key")
	}
	ca, _ := a.CommitCodeword("job-1", 0, []byte("m1"))
	cb, _ := b.CommitCodeword("job-1", 0, []byte("m1"))
	c3, _ := a.CommitCodeword("job-1", 0, []byte("m2"))
	if !bytes.Equal(ca, cb) || bytes.Equal(ca, c3) || bytes.Contains(ca, ka.Codeword) {
		t.Errorf("CommitCodeword() = %x / %x / %x, want equal across nodes, different per disc, hiding the codeword", ca, cb, c3)
	}
}

// TestAttemptKeys: a retry on the same media ID (a BD-RE reformatted)
// gets another disc key, another disc key block nonce and another codeword
// commitment, so no (key, nonce) pair is used twice; asking again for the
// same attempt (a lost key release) gets identical keys.
func TestAttemptKeys(t *testing.T) {
	a, b, ti, c := fixture(t)
	media := []byte("m1")
	first, err := a.CopyKeys(ti, c, media)
	if err != nil {
		t.Fatalf("CopyKeys(attempt 0) = %v", err)
	}
	again, err := b.CopyKeys(ti, c, media)
	if err != nil {
		t.Fatalf("CopyKeys(attempt 0, again) = %v", err)
	}
	e1, _ := first.MarshalBinary()
	e2, _ := again.MarshalBinary()
	if !bytes.Equal(e1, e2) {
		t.Errorf("CopyKeys(attempt 0) twice differ; a lost release must get the same keys")
	}
	retry := *c
	retry.Attempts = []contract.Attempt{{MediaID: media, Outcome: contract.OutcomeSpoiled}, {MediaID: media, Outcome: contract.OutcomePending}}
	second, err := a.CopyKeys(ti, &retry, media)
	if err != nil {
		t.Fatalf("CopyKeys(attempt 1) = %v", err)
	}
	if bytes.Equal(first.DiscKey, second.DiscKey) {
		t.Errorf("CopyKeys() disc key of attempt 1 on the same media = attempt 0's %x, want another", first.DiscKey)
	}
	c0, _ := a.CommitCodeword("job-1", 0, media)
	c1, _ := a.CommitCodeword("job-1", 1, media)
	if bytes.Equal(c0, c1) {
		t.Errorf("CommitCodeword(attempt 1) = attempt 0's %x, want another", c0)
	}
	// The commitment recorded for attempt 1 covers the codeword released
	// for it.
	seed, _ := a.codeword("job-1", 1, media, 32)
	if !bytes.HasPrefix(seed, second.Codeword) {
		t.Errorf("attempt 1 codeword %x is not the start of its committed seed %x", second.Codeword, seed)
	}
}

func TestCopyKeysRefusals(t *testing.T) {
	a, _, ti, c := fixture(t)
	tests := []struct {
		name  string
		edit  func(c *contract.Copy, ti *contract.Title)
		media string
		want  error
	}{
		{"other disc", func(*contract.Copy, *contract.Title) {}, "m9", ErrNotPending},
		{"made", func(c *contract.Copy, _ *contract.Title) { c.Attempts[0].Outcome = contract.OutcomeMade }, "m1", ErrNotPending},
		{"spoiled", func(c *contract.Copy, _ *contract.Title) { c.Attempts[0].Outcome = contract.OutcomeSpoiled }, "m1", ErrNotPending},
		{"package key for another title", func(_ *contract.Copy, ti *contract.Title) { ti.ID = "film-2" }, "m1", ErrPackageKey},
		{"no format for the profile", func(c *contract.Copy, _ *contract.Title) { c.Profile = 0x43 }, "m1", ErrNoFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cc, tt := *c, *ti
			cc.Attempts = append([]contract.Attempt(nil), c.Attempts...)
			tc.edit(&cc, &tt)
			if _, err := a.CopyKeys(&tt, &cc, []byte(tc.media)); !errors.Is(err, tc.want) {
				t.Errorf("CopyKeys(%s) = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

func TestReleaseSealsToStation(t *testing.T) {
	a, _, ti, c := fixture(t)
	ka, _ := ecdh.P256().GenerateKey(rand.Reader)
	st := &contract.Station{ID: "st", KeyAgreementKey: ka.PublicKey().Bytes()}
	info := keys.Info{JobID: "job-1", MediaID: []byte("m1"), Transcript: []byte("hh")}
	sealed, format, err := a.Release(ti, st, c, info, []uint32{3, 9})
	if err != nil {
		t.Fatalf("Release() = %v", err)
	}
	k, err := keys.Open(ka, info, sealed)
	if err != nil {
		t.Fatalf("keys.Open() = %v", err)
	}
	want, _ := a.CopyKeys(ti, c, []byte("m1"))
	if !bytes.Equal(k.DiscKey, want.DiscKey) || format.Profile != 0x41 || !slices.Equal(k.Revoked, []uint32{3, 9}) {
		t.Errorf("opened keys differ from derived ones, or format %+v, or revoked players %v", format, k.Revoked)
	}
	other, _ := ecdh.P256().GenerateKey(rand.Reader)
	if _, err := keys.Open(other, info, sealed); err == nil {
		t.Errorf("keys.Open() with another station's key = nil error, want failure")
	}
}

// TestLargestReleaseFits: the copy keys of a title with the most segments
// the contract registers and the most revoked players, sealed for a
// station, fit one KeyRelease.
func TestLargestReleaseFits(t *testing.T) {
	n := contract.MaxSegments
	k := &keys.CopyKeys{BaseKey: make([]byte, 32), DiscKey: make([]byte, 32), Revoked: make([]uint32, keys.MaxRevoked),
		Codeword: make([]byte, (n+7)/8), Format: keys.FormatMetadata{Profile: 0x41, Layers: 1}}
	for range n {
		k.VariantKeys = append(k.VariantKeys, make([]byte, 32))
	}
	st, _ := ecdh.P256().GenerateKey(rand.Reader)
	sealed, err := keys.Seal(st.PublicKey(), keys.Info{JobID: "job", MediaID: []byte("m"), Transcript: make([]byte, 32)}, k)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) > protocol.MaxSealedLen {
		t.Errorf("sealed keys for %d segments = %d bytes, a KeyRelease carries %d", n, len(sealed), protocol.MaxSealedLen)
	}
}
