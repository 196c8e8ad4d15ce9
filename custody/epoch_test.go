package custody

import (
	"bytes"
	"errors"
	"testing"
)

// epochAfterReshare reshares both the group secret and one title from 4
// nodes to 5 (the DKG keys sign both sessions) and returns the new shares,
// the title's results and the record of epoch 1.
func epochAfterReshare(t *testing.T) (*reshareFixture, []*DKGResult, *titleReshareFixture, []*TitleReshared, *EpochRecord) {
	t.Helper()
	gf := newReshareFixture(t, 4, nil, 1)
	res, err := RunReshareInProcess(gf.rc, gf.parties)
	if err != nil {
		t.Fatalf("RunReshareInProcess: %v", err)
	}
	nw := gf.newShares(t, res)
	tf := newTitleReshareFixture(t, 16, 4, nil, 1)
	tf.oldDKG, tf.cfg.OldNodes = gf.oldKeys, gf.rc.OldNodes
	tr := tf.combineAll(t, tf.deals(t, nil))
	rec := &EpochRecord{ChainID: "chain", Epoch: 1, Group: nw[0].Group, Titles: []EpochTitle{{TitleID: tf.title.TitleID}}}
	for _, r := range tr {
		rec.Titles[0].Roots = append(rec.Titles[0].Roots, r.Root)
	}
	return gf, nw, tf, tr, rec
}

// TestEpochAfterReshare: after 4 -> 5, t new nodes (the joined one among
// them) sign the epoch record; a station that pinned the genesis group
// accepts it, and with the record's group and roots makes a copy whose
// partials and releases include the joined node's: the group key and the
// title keys are the issuer's. A record changed after signing, a stale
// epoch, another chain and another group key are refused.
func TestEpochAfterReshare(t *testing.T) {
	gf, nw, tf, tr, rec := epochAfterReshare(t)
	pinned := gf.old[0].Group
	enc, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	label, err := rec.Label()
	if err != nil {
		t.Fatal(err)
	}
	sig, _, err := Combine(nw[0].Group, label, partials(t, nw, label, 1, 4))
	if err != nil {
		t.Fatalf("Combine(epoch label, new nodes 1 and 4) = %v", err)
	}
	got, err := AcceptEpoch(pinned, "chain", 0, enc, sig)
	if err != nil {
		t.Fatalf("AcceptEpoch = %v", err)
	}
	if !got.Group.Equal(nw[0].Group) {
		t.Fatal("accepted group differs from the reshared group")
	}

	// A copy under the new epoch: σ_copy from the joined node 4 and node
	// 2, releases from 4 and 0, checked against the record's roots.
	copyLbl := copyLabel(t, "j-epoch")
	sigma, _, err := Combine(got.Group, copyLbl, partials(t, nw, copyLbl, 2, 4))
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(pinned.Key(), copyLbl, sigma); err != nil {
		t.Fatalf("σ_copy from new shares under the pinned X: %v", err)
	}
	var rels []*Release
	for _, j := range []int{4, 0} {
		ts, err := OpenShares(tf.newPriv[j], tf.title, j, tr[j].Blob, tr[j].Root)
		if err != nil {
			t.Fatal(err)
		}
		rel, err := ts.ReleaseFor(tf.title.TitleID, got.Group, copyLbl, sigma, nil)
		if err != nil {
			t.Fatalf("ReleaseFor(new node %d) = %v", j, err)
		}
		rels = append(rels, rel)
	}
	roots, _ := got.Roots(tf.title.TitleID)
	cw, _ := DeriveCodeword(sigma, tf.title.Segments)
	keys, _, err := CombineKeys(tf.title, roots, 2, rels, cw)
	if err != nil {
		t.Fatalf("CombineKeys(new nodes 4 and 0, epoch roots) = %v", err)
	}
	if keys.Base != tf.dealt.Keys.Base || keys.Segments[3] != tf.dealt.Keys.Variants[3][cw.Bit(3)] {
		t.Error("keys from the new epoch differ from the issuer's")
	}

	changed := bytes.Clone(enc)
	changed[len(changed)-1] ^= 1
	other := newReshareFixture(t, 4, nil, 0).old[0].Group
	otherRec := &EpochRecord{ChainID: "chain", Epoch: 1, Group: other, Titles: []EpochTitle{{TitleID: "title-1", Roots: make([][32]byte, 4)}}}
	otherEnc, _ := otherRec.MarshalBinary()
	refusals := []struct {
		name    string
		chain   string
		current uint32
		rec     []byte
		want    error
	}{
		{"root changed after signing", "chain", 0, changed, ErrBadSignature},
		{"stale epoch", "chain", 1, enc, ErrEpoch},
		{"another chain", "other", 0, enc, ErrEpoch},
		{"another group key", "chain", 0, otherEnc, ErrEpoch},
		{"truncated", "chain", 0, enc[:len(enc)-5], ErrEpoch},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := AcceptEpoch(pinned, tc.chain, tc.current, tc.rec, sig); !errors.Is(err, tc.want) {
				t.Errorf("AcceptEpoch = %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzUnmarshalEpochRecord: no panic; what decodes re-encodes alike.
func FuzzUnmarshalEpochRecord(f *testing.F) {
	res := testNetwork(f, 4, 2)
	rec := &EpochRecord{ChainID: "chain", Epoch: 3, Group: res[0].Group,
		Titles: []EpochTitle{{TitleID: "a", Roots: make([][32]byte, 4)}, {TitleID: "b", Roots: make([][32]byte, 4)}}}
	b, err := rec.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:60])
	f.Fuzz(func(t *testing.T, in []byte) {
		e, err := UnmarshalEpochRecord(in)
		if err != nil {
			return
		}
		if out, err := e.MarshalBinary(); err != nil || !bytes.Equal(out, in) {
			t.Errorf("MarshalBinary(UnmarshalEpochRecord(%x)) = %x, %v", in, out, err)
		}
	})
}
