package custody

import (
	"errors"
	"testing"
)

// TestUncompressedInfinityRejected: circl v1.6.1's SetBytes slices past a
// short buffer (and panics) when the first byte flags an uncompressed point
// at infinity (0x40). Such bytes from outside must be refused with a typed
// error, whether they come as a partial, a group signature or a G2 point.
func TestUncompressedInfinityRejected(t *testing.T) {
	res := testNetwork(t, 4, 2)
	g := res[0].Group
	label := copyLabel(t, "j")
	p := Partial{Node: 1}
	p.Sig[0] = 0x40
	if err := VerifyPartial(g, label, p); !errors.Is(err, ErrBadPartial) {
		t.Errorf("VerifyPartial(0x40…) = %v, want ErrBadPartial", err)
	}
	good := partials(t, res, label, 0)
	if _, _, err := Combine(g, label, append(good, p)); !errors.Is(err, ErrNotEnoughShares) {
		t.Errorf("Combine(good, 0x40…) = %v, want ErrNotEnoughShares", err)
	}
	if err := Verify(g.Key(), label, Signature(p.Sig)); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify(0x40…) = %v, want ErrBadSignature", err)
	}
	pt := make([]byte, G2Len)
	pt[0] = 0x40
	if _, err := ParseDKGPublic(pt); !errors.Is(err, ErrEncoding) {
		t.Errorf("ParseDKGPublic(0x40…) = %v, want ErrEncoding", err)
	}
}

// TestDKGBundleInfinityFlags: a deal file whose signature or encrypted share
// starts with a 0x40-flagged point (a malicious dealer's file) is refused
// with a typed error, not a panic in circl under kyber's Schnorr or ECIES.
func TestDKGBundleInfinityFlags(t *testing.T) {
	cc, keys := testCeremony(t, 4, 2)
	cs := make([]*Ceremony, 2)
	var deals [][]byte
	for i := range cs {
		c, err := NewCeremony(cc, keys[i])
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
		d, _ := c.Deal()
		deals = append(deals, d)
	}
	d, err := DecodeDeal(deals[1])
	if err != nil {
		t.Fatal(err)
	}
	sig := d.Signature
	d.Signature = append([]byte{0x40}, make([]byte, len(sig)-1)...)
	badSig, _ := encodeDeal(d)
	d.Signature = sig
	d.Deals[0].EncryptedShare = append([]byte{0x40}, make([]byte, len(d.Deals[0].EncryptedShare)-1)...)
	badShare, _ := encodeDeal(d)
	for name, in := range map[string][]byte{"signature": badSig, "encrypted share": badShare} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeDeal(in); !errors.Is(err, ErrEncoding) {
				t.Errorf("DecodeDeal = %v, want ErrEncoding", err)
			}
			c, _ := NewCeremony(cc, keys[0])
			own, _ := c.Deal()
			if _, err := c.Respond([][]byte{own, in}); err != nil {
				t.Errorf("Respond = %v, want the bad deal dropped", err)
			}
			if len(c.Rejected) != 1 || !errors.Is(c.Rejected[0], ErrBadBundle) {
				t.Errorf("Rejected = %v, want one ErrBadBundle", c.Rejected)
			}
		})
	}
}
