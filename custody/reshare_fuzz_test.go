package custody

import (
	"bytes"
	"testing"
)

// FuzzDecodeTitleReshareDeal: no panic on any bytes; what decodes
// re-encodes to the same bytes; the acceptance checks (signature, session,
// sets) run on it without panic.
func FuzzDecodeTitleReshareDeal(f *testing.F) {
	fx := newTitleReshareFixture(f, 1, 4, nil, 1)
	deals := fx.deals(f, nil)
	f.Add(deals[0])
	f.Add(deals[1][:120])
	f.Add(deals[2][:len(deals[2])-1])
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := DecodeTitleReshareDeal(in)
		if err != nil {
			return
		}
		signed, err := d.encodeSigned()
		if out := appendField(signed, d.Sig); err != nil || !bytes.Equal(out, in) {
			t.Errorf("DecodeTitleReshareDeal(%x) re-encodes as %x, %v", in, out, err)
		}
		var bad []*NodeError
		_ = fx.cfg.acceptDeals([][]byte{in}, &bad)
	})
}
