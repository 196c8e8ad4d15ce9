package custody

import (
	"fmt"
	"unicode/utf8"
)

// Label domains (docs/key-custody.md, "Labels"). Each label starts with its
// domain, so the network's signature in one role is never valid in another.
const (
	DomainCopy       = "copystation/copy/v1"
	DomainPlayerTree = "copystation/player-tree/v1"
	// DomainTracing labels a title's tracing secret: σ_title on it seeds
	// the title's Tardos biases (docs/tracing.md, "Opening").
	DomainTracing = "copystation/tracing-title/v1"
)

// TracingLabel is a title's tracing label: u16(len(domain)) ‖ domain ‖
// u16(len) ‖ chain ID ‖ u16(len) ‖ title ID. The group signature on it
// seeds the title's biases, so they are secret until t nodes open them.
func TracingLabel(chainID, titleID string) ([]byte, error) {
	b := appendField(nil, []byte(DomainTracing))
	for _, f := range []struct{ name, v string }{{"chain ID", chainID}, {"title ID", titleID}} {
		if err := checkLabelField(f.name, f.v); err != nil {
			return nil, fmt.Errorf("custody.TracingLabel: %w", err)
		}
		b = appendField(b, []byte(f.v))
	}
	return b, nil
}

// MaxLabelField bounds every string field of a label.
const MaxLabelField = 256

// MaxTreeDepth is the deepest player tree a label can name: the node path is
// a u32 of depth bits.
const MaxTreeDepth = 32

// CopyRecord is the ledger's record of one copy; its label is what the
// nodes sign to make the copy's group signature σ_copy. The attempt and
// media ID are deliberately absent, so a retry yields the same codeword.
type CopyRecord struct {
	ChainID      string
	TitleID      string
	JobID        string
	TokenID      string
	StationKeyID string
}

// Label returns the copy label: u16(len(domain)) ‖ domain, then each field
// as u16(len) ‖ UTF-8 bytes, in the order of the struct. Every field is
// required: an empty one would let two records share a label's meaning.
func (c CopyRecord) Label() ([]byte, error) {
	fields := []struct{ name, v string }{
		{"chain ID", c.ChainID}, {"title ID", c.TitleID}, {"job ID", c.JobID},
		{"token ID", c.TokenID}, {"station key ID", c.StationKeyID},
	}
	b := appendField(nil, []byte(DomainCopy))
	for _, f := range fields {
		if err := checkLabelField(f.name, f.v); err != nil {
			return nil, fmt.Errorf("custody.CopyRecord.Label: %w", err)
		}
		b = appendField(b, []byte(f.v))
	}
	return b, nil
}

// PlayerTreeLabel returns the label of node path (the low depth bits, read
// from the root down) at depth of player tree treeID:
// u16(len(domain)) ‖ domain ‖ u16(len) ‖ treeID ‖ u16(1) ‖ u8(depth) ‖
// u16(4) ‖ u32(path). Depth 0 is the root (path 0). The player tree
// (custody/playertree) builds every node key's label with it.
func PlayerTreeLabel(treeID string, depth int, path uint32) ([]byte, error) {
	if err := checkLabelField("tree ID", treeID); err != nil {
		return nil, fmt.Errorf("custody.PlayerTreeLabel: %w", err)
	}
	if depth < 0 || depth > MaxTreeDepth {
		return nil, fmt.Errorf("custody.PlayerTreeLabel: %w: depth %d, want 0 to %d", ErrLabel, depth, MaxTreeDepth)
	}
	if depth < 32 && path>>uint(depth) != 0 {
		return nil, fmt.Errorf("custody.PlayerTreeLabel: %w: path %#x has bits above depth %d", ErrLabel, path, depth)
	}
	b := appendField(nil, []byte(DomainPlayerTree))
	b = appendField(b, []byte(treeID))
	b = appendField(b, []byte{byte(depth)})
	b = appendField(b, []byte{byte(path >> 24), byte(path >> 16), byte(path >> 8), byte(path)})
	return b, nil
}

func checkLabelField(name, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: %s is empty", ErrLabel, name)
	case len(v) > MaxLabelField:
		return fmt.Errorf("%w: %s is %d bytes, want at most %d", ErrLabel, name, len(v), MaxLabelField)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not UTF-8", ErrLabel, name)
	}
	return nil
}
