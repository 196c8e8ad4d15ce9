package ledgerclient

import (
	"context"
	"copystation/burn/titlepkg"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"go.dedis.ch/kyber/v4"

	"copystation/custody"
	"copystation/protocol"
)

func testConfig(t *testing.T) Config {
	t.Helper()
	sk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	nk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	npub, _ := nk.PublicKey.Bytes()
	ka, _ := ecdh.P256().GenerateKey(rand.Reader)
	return Config{Nodes: []Node{{Address: "127.0.0.1:1", NoiseKey: make([]byte, 32), SigningKey: npub}},
		Signer: sk, KeyExchanger: ka, Random: rand.Reader, Group: oneNodeGroup(t)}
}

// oneNodeGroup is a custody group of one node from a real in-process DKG.
func oneNodeGroup(t *testing.T) []byte {
	t.Helper()
	k := custody.NewDKGKey()
	pub, err := custody.ParseDKGPublic(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	res, err := custody.RunInProcess(custody.CeremonyConfig{Nodes: []kyber.Point{pub}, Threshold: 1, Nonce: make([]byte, 32)}, []*custody.DKGKey{k})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := res[0].Group.MarshalBinary()
	return g
}

func TestNewRefusesBadConfig(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no nodes", func(c *Config) { c.Nodes = nil }},
		{"no signer", func(c *Config) { c.Signer = nil }},
		{"no key exchanger", func(c *Config) { c.KeyExchanger = nil }},
		{"no random", func(c *Config) { c.Random = nil }},
		{"short noise key", func(c *Config) { c.Nodes[0].NoiseKey = make([]byte, 31) }},
		{"no address", func(c *Config) { c.Nodes[0].Address = "" }},
		{"bad node signing key", func(c *Config) { c.Nodes[0].SigningKey = []byte{4, 1, 2} }},
		{"ed25519 signer", func(c *Config) { c.Signer = edKey }},
		{"no custody group", func(c *Config) { c.Group = nil }},
		{"truncated custody group", func(c *Config) { c.Group = c.Group[:len(c.Group)-1] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			tt.edit(&cfg)
			if _, err := New(cfg); !errors.Is(err, ErrBadConfig) {
				t.Fatalf("New(%s) = %v, want %v", tt.name, err, ErrBadConfig)
			}
		})
	}
	c, err := New(testConfig(t))
	if err != nil || len(c.StationID()) != 32 {
		t.Fatalf("New(good) = %v, station ID %q; want nil and a 32-hex-digit ID", err, c.StationID())
	}
}

func TestAuthorizeRefusesBadParams(t *testing.T) {
	c, err := New(testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	m := &titlepkg.Manifest{ShareRoots: [][32]byte{{1}}}
	good := CopyRequestParams{JobID: "j", TokenID: "t", TitleID: "x", MediaID: []byte{1}, Manifest: m}
	// Without a manifest's share roots no release could be checked: refused
	// before round 1, which would spend the token.
	for _, p := range []CopyRequestParams{{}, {TokenID: "t", TitleID: "x", MediaID: []byte{1}, Manifest: m}, {JobID: "j", TokenID: "t", TitleID: "x", Manifest: m},
		{JobID: "j", TokenID: "t", TitleID: "x", MediaID: []byte{1}}, {JobID: "j", TokenID: "t", TitleID: "x", MediaID: []byte{1}, Manifest: &titlepkg.Manifest{}}} {
		if _, err := c.Authorize(context.Background(), p); !errors.Is(err, ErrBadRequestParams) {
			t.Errorf("Authorize(%+v) = %v, want %v", p, err, ErrBadRequestParams)
		}
	}
	if _, err := c.Report(context.Background(), ReportParams{JobID: "j", MediaID: []byte{1}, Outcome: 9}); !errors.Is(err, ErrBadRequestParams) {
		t.Errorf("Report(outcome 9) = %v, want %v", err, ErrBadRequestParams)
	}
	// Nothing listens on port 1: every node is unreachable.
	if _, err := c.Authorize(context.Background(), good); !errors.Is(err, ErrNoNodeReachable) {
		t.Errorf("Authorize(unreachable) = %v, want %v", err, ErrNoNodeReachable)
	}
}

// TestRefusalErrors: every refusal code a node may send maps to one
// sentinel (or only to ErrRefused), and transient codes fail over.
func TestRefusalErrors(t *testing.T) {
	seen := map[error]protocol.Code{}
	for c := protocol.Code(0); c < 64; c++ {
		if !c.Known() {
			continue
		}
		err := fmt.Errorf("wrapped: %w", &RefusalError{NodeID: "n", Code: c, Message: "m"})
		if !errors.Is(err, ErrRefused) {
			t.Errorf("errors.Is(refusal %d, ErrRefused) = false, want true", c)
		}
		if definitive(err) == c.Transient() {
			t.Errorf("definitive(refusal %d) = %v, want %v", c, definitive(err), !c.Transient())
		}
		s, ok := codeErrors[c]
		if !ok {
			continue
		}
		if !errors.Is(err, s) {
			t.Errorf("errors.Is(refusal %d, %v) = false, want true", c, s)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("codes %d and %d map to the same error %v", other, c, s)
		}
		seen[s] = c
	}
	for _, want := range []error{ErrTokenSpent, ErrNotOwner, ErrStationRevoked, ErrTitleMismatch, ErrFormatNotAllowed, ErrChallengeExpired} {
		if _, ok := seen[want]; !ok {
			t.Errorf("no refusal code maps to %v", want)
		}
	}
}
