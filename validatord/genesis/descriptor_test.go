package genesis

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"

	"copystation/custody"
	"copystation/validatord/chain"
	"copystation/validatord/vault"
)

// testDescriptor makes a node's keys in memory and its signed descriptor.
func testDescriptor(t testing.TB, moniker string) *SignedDescriptor {
	t.Helper()
	gw, _ := ecdh.X25519().GenerateKey(rand.Reader)
	ck, _ := ecdh.X25519().GenerateKey(rand.Reader)
	sk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sb, _ := sk.Bytes()
	dk, _ := custody.NewDKGKey().MarshalBinary()
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

func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeDescriptor: a descriptor decodes and verifies; any edit to a
// field, a foreign signature or a malformed file is ErrDescriptor.
func TestDecodeDescriptor(t *testing.T) {
	good := testDescriptor(t, "studio-a")
	other := testDescriptor(t, "studio-b")
	cases := []struct {
		name string
		edit func(sd *SignedDescriptor) []byte
		want error
	}{
		{"as signed", func(sd *SignedDescriptor) []byte { return encode(t, sd) }, nil},
		{"moniker changed", func(sd *SignedDescriptor) []byte { sd.Descriptor.Moniker = "mallory"; return encode(t, sd) }, ErrDescriptor},
		{"p2p address changed", func(sd *SignedDescriptor) []byte { sd.Descriptor.P2P = "10.0.0.9:26656"; return encode(t, sd) }, ErrDescriptor},
		{"custody key swapped", func(sd *SignedDescriptor) []byte {
			sd.Descriptor.CustodyKey = other.Descriptor.CustodyKey
			return encode(t, sd)
		}, ErrDescriptor},
		{"another node's signature", func(sd *SignedDescriptor) []byte { sd.Signature = other.Signature; return encode(t, sd) }, ErrDescriptor},
		{"DKG key not a point", func(sd *SignedDescriptor) []byte { sd.Descriptor.DKGKey = make([]byte, 96); return encode(t, sd) }, ErrDescriptor},
		{"unknown field", func(sd *SignedDescriptor) []byte { return []byte(`{"descriptor":{},"signature":"","x":1}`) }, ErrDescriptor},
		{"trailing data", func(sd *SignedDescriptor) []byte { return append(encode(t, sd), "{}"...) }, ErrDescriptor},
		{"too large", func(sd *SignedDescriptor) []byte { return make([]byte, MaxDescriptorSize+1) }, ErrDescriptor},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sd := *good
			_, err := DecodeDescriptor(tc.edit(&sd))
			if !errors.Is(err, tc.want) || (tc.want != nil && err == nil) {
				t.Fatalf("DecodeDescriptor() = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestDecodeCeremony: an assembled file round-trips; a node given twice,
// a bad threshold or an edited descriptor inside is refused.
func TestDecodeCeremony(t *testing.T) {
	var descs []*SignedDescriptor
	for i := range 4 {
		descs = append(descs, testDescriptor(t, fmt.Sprintf("node%d", i)))
	}
	op, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	opPub, _ := op.PublicKey.Bytes()
	o := AssembleOptions{ChainID: "net", Operators: [][]byte{opPub}, GenesisTime: time.Unix(1e9, 0)}
	c, err := Assemble(o, descs)
	if err != nil {
		t.Fatalf("Assemble() = %v", err)
	}
	if c.Threshold != custody.DefaultThreshold(4) {
		t.Errorf("Assemble().Threshold = %d, want %d", c.Threshold, custody.DefaultThreshold(4))
	}
	b, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeCeremony(b); err != nil {
		t.Fatalf("DecodeCeremony(assembled) = %v", err)
	}
	if _, err := Assemble(o, append(descs[:3:3], descs[0])); !errors.Is(err, ErrCeremonyFile) {
		t.Errorf("Assemble(node 0 twice) = %v, want ErrCeremonyFile", err)
	}
	o.Threshold = 1
	if _, err := Assemble(o, descs); !errors.Is(err, ErrCeremonyFile) {
		t.Errorf("Assemble(threshold 1 of 4) = %v, want ErrCeremonyFile", err)
	}
	c.Nodes[2].Descriptor.Gateway = "203.0.113.1:7700"
	if _, err := DecodeCeremony(encode(t, c)); !errors.Is(err, ErrDescriptor) {
		t.Errorf("DecodeCeremony(node 2 edited) = %v, want ErrDescriptor", err)
	}
}
