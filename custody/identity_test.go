package custody

import (
	"errors"
	"testing"
)

// TestIdentitySignatureRefused: the identity point (compressed, flags
// 0xc0) is neither a group signature nor a partial, for any key or label.
// With circl v1.6.1 the pairing check alone accepted it.
func TestIdentitySignatureRefused(t *testing.T) {
	res := testNetwork(t, 3, 2)
	g := res[0].Group
	var ident Signature
	ident[0] = 0xc0
	label := []byte("copystation test label")
	if err := Verify(g.Key(), label, ident); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify(group key, identity) = %v, want ErrBadSignature", err)
	}
	for node := range 3 {
		p := Partial{Node: node}
		p.Sig[0] = 0xc0
		if err := VerifyPartial(g, label, p); !errors.Is(err, ErrBadPartial) {
			t.Errorf("VerifyPartial(node %d, identity) = %v, want ErrBadPartial", node, err)
		}
	}
	ps := []Partial{{Node: 0}, {Node: 1}}
	ps[0].Sig[0], ps[1].Sig[0] = 0xc0, 0xc0
	if sig, err := CombineOptimistic(g, label, ps); err == nil {
		t.Errorf("CombineOptimistic(two identity partials) = %x, want an error", sig)
	}
	if sig, _, err := Combine(g, label, ps); err == nil {
		t.Errorf("Combine(two identity partials) = %x, want an error", sig)
	}
}
