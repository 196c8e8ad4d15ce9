package custody

import (
	"bytes"
	"testing"
)

// Every decoder of outside bytes: no panic, and whatever decodes re-encodes
// to the same bytes (one encoding per value).

func FuzzUnmarshalGroup(f *testing.F) {
	res := testNetwork(f, 4, 2)
	b, _ := res[0].Group.MarshalBinary()
	f.Add(b)
	f.Add(b[:40])
	f.Fuzz(func(t *testing.T, in []byte) {
		g, err := UnmarshalGroup(in)
		if err != nil {
			return
		}
		out, _ := g.MarshalBinary()
		if !bytes.Equal(out, in) {
			t.Errorf("MarshalBinary(UnmarshalGroup(%x)) = %x", in, out)
		}
	})
}

func FuzzUnmarshalRelease(f *testing.F) {
	title, privs, d := testTitle(f, 3, 2)
	ts := openAll(f, title, privs, d)
	r, _ := ts[1].Release(title.TitleID, testCodeword(f, 3, 5))
	b, _ := r.MarshalBinary()
	f.Add(b)
	f.Add(b[:30])
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := UnmarshalRelease(in)
		if err != nil {
			return
		}
		out, _ := r.MarshalBinary()
		if !bytes.Equal(out, in) {
			t.Errorf("MarshalBinary(UnmarshalRelease(%x)) = %x", in, out)
		}
		_ = VerifyRelease(title, d.Roots[1], r, testCodeword(t, 3, 5))
	})
}

func FuzzUnmarshalTitleShares(f *testing.F) {
	title, privs, d := testTitle(f, 2, 2)
	ts := openAll(f, title, privs, d)
	b, _ := ts[0].MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		ts, err := UnmarshalTitleShares(in)
		if err != nil {
			return
		}
		out, _ := ts.MarshalBinary()
		if !bytes.Equal(out, in) {
			t.Errorf("MarshalBinary(UnmarshalTitleShares(%x)) = %x", in, out)
		}
	})
}

func FuzzUnmarshalPartial(f *testing.F) {
	res := testNetwork(f, 4, 2)
	label := copyLabel(f, "j")
	b, _ := partials(f, res, label, 2)[0].MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := UnmarshalPartial(in)
		if err != nil {
			return
		}
		_ = VerifyPartial(res[0].Group, label, p)
	})
}

func FuzzUnmarshalKeyShare(f *testing.F) {
	res := testNetwork(f, 4, 2)
	b, _ := res[1].Share.MarshalBinary()
	f.Add(b)
	k, _ := NewDKGKey().MarshalBinary()
	f.Add(k)
	f.Fuzz(func(t *testing.T, in []byte) {
		if ks, err := UnmarshalKeyShare(in); err == nil {
			if out, _ := ks.MarshalBinary(); !bytes.Equal(out, in) {
				t.Errorf("key share %x re-encodes as %x", in, out)
			}
		}
		if dk, err := UnmarshalDKGKey(in); err == nil {
			if out, _ := dk.MarshalBinary(); !bytes.Equal(out, in) {
				t.Errorf("DKG key %x re-encodes as %x", in, out)
			}
		}
	})
}

// dkgFiles runs one ceremony to the justification phase with one complaint,
// so the seeds hold a real deal, response and justification.
func dkgFiles(f *testing.F) (deal, resp, just []byte) {
	cc, keys := testCeremony(f, 4, 2)
	cs := make([]*Ceremony, 4)
	var deals [][]byte
	for i, k := range keys {
		cs[i], _ = NewCeremony(cc, k)
		d, err := cs[i].Deal()
		if err != nil {
			f.Fatal(err)
		}
		deals = append(deals, d)
	}
	bad := bytes.Clone(deals[1])
	bad[len(bad)-200] ^= 1 // node 0 gets node 1's deal corrupted
	in0 := [][]byte{deals[0], bad, deals[2], deals[3]}
	resp, err := cs[0].Respond(in0)
	if err != nil || resp == nil {
		f.Fatalf("Respond = %v, %v; want a complaint", resp, err)
	}
	if _, err := cs[1].Respond(deals); err != nil {
		f.Fatal(err)
	}
	just, err = cs[1].Justify([][]byte{resp})
	if err != nil || just == nil {
		f.Fatalf("Justify = %v, %v; want a justification", just, err)
	}
	return deals[0], resp, just
}

func FuzzDecodeDKGBundles(f *testing.F) {
	deal, resp, just := dkgFiles(f)
	f.Add(deal)
	f.Add(resp)
	f.Add(just)
	f.Fuzz(func(t *testing.T, in []byte) {
		if d, err := DecodeDeal(in); err == nil {
			if out, _ := encodeDeal(d); !bytes.Equal(out, in) {
				t.Errorf("deal %x re-encodes as %x", in, out)
			}
		}
		if r, err := DecodeResponse(in); err == nil {
			if out := encodeResponse(r); !bytes.Equal(out, in) {
				t.Errorf("response %x re-encodes as %x", in, out)
			}
		}
		if j, err := DecodeJustification(in); err == nil {
			if out, _ := encodeJustification(j); !bytes.Equal(out, in) {
				t.Errorf("justification %x re-encodes as %x", in, out)
			}
		}
	})
}

func FuzzUnmarshalDealFile(f *testing.F) {
	title, _, d := testTitle(f, 2, 2)
	d.Keys.Wipe()
	b, err := d.Public(title).MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:40])
	f.Fuzz(func(t *testing.T, in []byte) {
		df, err := UnmarshalDealFile(in)
		if err != nil {
			return
		}
		out, err := df.MarshalBinary()
		if err != nil || !bytes.Equal(out, in) {
			t.Errorf("MarshalBinary(UnmarshalDealFile(%x)) = %x, %v", in, out, err)
		}
	})
}
