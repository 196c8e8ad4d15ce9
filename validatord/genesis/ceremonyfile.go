package genesis

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"copystation/custody"
)

// CeremonyVersion is the ceremony file format's version.
const CeremonyVersion = 1

// MaxCeremonySize bounds a ceremony file: custody.MaxNodes descriptors
// and as many operator keys, with room for formatting.
const MaxCeremonySize = custody.MaxNodes * (MaxDescriptorSize + 256)

// NonceSize is the DKG session nonce's length (kyber's dkg.NonceLength).
const NonceSize = 32

// Ceremony is the ceremony file: everything public the nodes need to run
// the DKG and to build the same genesis. The node order is the genesis
// order: node i is CometBFT validator i, DKG index i and Shamir index i.
type Ceremony struct {
	Version     int                `json:"version"`
	ChainID     string             `json:"chain_id"`
	Threshold   int                `json:"threshold"`
	GenesisTime time.Time          `json:"genesis_time"`
	Nonce       hexBytes           `json:"nonce"`
	MaxRetries  uint32             `json:"max_retries"`
	Operators   []hexBytes         `json:"operators"`
	Nodes       []SignedDescriptor `json:"nodes"`
}

// AssembleOptions are the assembler's choices; the nodes come from the
// descriptors, in the order given.
type AssembleOptions struct {
	ChainID     string
	Threshold   int       // 0: custody.DefaultThreshold(n)
	Operators   [][]byte  // SEC1 uncompressed P-256 operator keys, at least one
	GenesisTime time.Time // zero: now, to the second
	MaxRetries  uint32    // 0: 3
	Rand        io.Reader // the nonce's source; nil: crypto/rand
}

// Assemble checks the descriptors and makes the ceremony file's contents.
func Assemble(o AssembleOptions, descs []*SignedDescriptor) (*Ceremony, error) {
	const op = "genesis.Assemble"
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Threshold == 0 {
		o.Threshold = custody.DefaultThreshold(len(descs))
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	}
	if o.GenesisTime.IsZero() {
		o.GenesisTime = time.Now()
	}
	c := &Ceremony{Version: CeremonyVersion, ChainID: o.ChainID, Threshold: o.Threshold,
		GenesisTime: o.GenesisTime.UTC().Truncate(time.Second), Nonce: make([]byte, NonceSize), MaxRetries: o.MaxRetries}
	if _, err := io.ReadFull(o.Rand, c.Nonce); err != nil {
		return nil, fmt.Errorf("%s: nonce: %w", op, err)
	}
	for _, k := range o.Operators {
		c.Operators = append(c.Operators, k)
	}
	for _, d := range descs {
		c.Nodes = append(c.Nodes, *d)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return c, nil
}

// Encode writes the ceremony file (indented JSON).
func (c *Ceremony) Encode() ([]byte, error) {
	return encodeFile("genesis.Ceremony.Encode", c)
}

// DecodeCeremony parses a ceremony file (at most MaxCeremonySize bytes, no
// unknown fields) and checks it whole: version, chain ID, threshold,
// nonce, operator keys, and every descriptor with its signature, no node
// twice. Any failure is ErrCeremonyFile, or ErrDescriptor for a node.
func DecodeCeremony(b []byte) (*Ceremony, error) {
	var c Ceremony
	if err := decodeFile("genesis.DecodeCeremony", b, MaxCeremonySize, ErrCeremonyFile, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Ceremony) check() error {
	switch {
	case c.Version != CeremonyVersion:
		return fmt.Errorf("%w: version %d, want %d", ErrCeremonyFile, c.Version, CeremonyVersion)
	case c.ChainID == "" || len(c.ChainID) > 50: // CometBFT's MaxChainIDLen
		return fmt.Errorf("%w: chain ID of %d bytes, want 1 to 50", ErrCeremonyFile, len(c.ChainID))
	case len(c.Nonce) != NonceSize:
		return fmt.Errorf("%w: nonce of %d bytes, want %d", ErrCeremonyFile, len(c.Nonce), NonceSize)
	case len(c.Operators) == 0 || len(c.Operators) > custody.MaxNodes:
		return fmt.Errorf("%w: %d operator keys, want 1 to %d", ErrCeremonyFile, len(c.Operators), custody.MaxNodes)
	case c.MaxRetries > 100:
		return fmt.Errorf("%w: max_retries %d, limit 100", ErrCeremonyFile, c.MaxRetries)
	case c.GenesisTime.IsZero():
		return fmt.Errorf("%w: no genesis time", ErrCeremonyFile)
	}
	if err := custody.CheckThreshold(len(c.Nodes), c.Threshold); err != nil {
		return fmt.Errorf("%w: %v", ErrCeremonyFile, err)
	}
	for i, k := range c.Operators {
		if _, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), k); err != nil {
			return fmt.Errorf("%w: operator key %d: %v (want the 65-byte public key 'validatord key new' prints)", ErrCeremonyFile, i, err)
		}
	}
	return checkNodes(c.Nodes, ErrCeremonyFile)
}

// checkNodes verifies every descriptor and refuses a node given twice; a
// duplicate is reported as fileErr (the file's own sentinel).
func checkNodes(nodes []SignedDescriptor, fileErr error) error {
	seen := map[string]int{}
	for i := range nodes {
		d := &nodes[i]
		if err := d.Verify(); err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		for _, k := range [][]byte{[]byte("m" + d.Descriptor.Moniker), append([]byte("v"), d.Descriptor.ValidatorKey...),
			[]byte("n" + d.Descriptor.NodeID), append([]byte("s"), d.Descriptor.SignerKey...),
			append([]byte("c"), d.Descriptor.CustodyKey...), append([]byte("d"), d.Descriptor.DKGKey...)} {
			if j, dup := seen[string(k)]; dup {
				return fmt.Errorf("%w: nodes %d and %d share a moniker or a key (the same node given twice?)", fileErr, j, i)
			}
			seen[string(k)] = i
		}
	}
	return nil
}

// index finds the node whose descriptor matches d in every field.
func (c *Ceremony) index(d *Descriptor) int {
	want, _ := d.signedBytes()
	for i := range c.Nodes {
		if got, _ := c.Nodes[i].Descriptor.signedBytes(); bytes.Equal(got, want) {
			return i
		}
	}
	return -1
}
