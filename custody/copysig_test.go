package custody

import (
	"bytes"
	"errors"
	"testing"
)

// TestCombineAnySubset: every t-subset of the 4 nodes, and a repeat, gives
// the same signature and codeword, which verifies under the group key.
func TestCombineAnySubset(t *testing.T) {
	res := testNetwork(t, 4, 2)
	g := res[0].Group
	label := copyLabel(t, "job-1")
	var first Signature
	for i, set := range [][]int{{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}, {0, 1}, {3, 2, 1, 0}} {
		sig, rejected, err := Combine(g, label, partials(t, res, label, set...))
		if err != nil || len(rejected) != 0 {
			t.Fatalf("Combine(%v) = %v, rejected %v", set, err, rejected)
		}
		if i == 0 {
			first = sig
		} else if sig != first {
			t.Errorf("Combine(%v) = %x, want %x", set, sig, first)
		}
	}
	if err := Verify(g.Key(), label, first); err != nil {
		t.Errorf("Verify = %v", err)
	}
	c1, _ := DeriveCodeword(first, 4096)
	c2, _ := DeriveCodeword(first, 4096)
	if !bytes.Equal(c1.bits, c2.bits) || c1.Seed != c2.Seed {
		t.Error("DeriveCodeword is not deterministic")
	}
}

// TestCopiesDiffer: two copies (job IDs) get different signatures,
// codewords and disc keys; another attempt or blank gets another disc key.
func TestCopiesDiffer(t *testing.T) {
	res := testNetwork(t, 4, 2)
	g := res[0].Group
	l1, l2 := copyLabel(t, "job-1"), copyLabel(t, "job-2")
	s1, _, err := Combine(g, l1, partials(t, res, l1, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	s2, _, err := Combine(g, l2, partials(t, res, l2, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := DeriveCodeword(s1, 256)
	c2, _ := DeriveCodeword(s2, 256)
	if s1 == s2 || bytes.Equal(c1.bits, c2.bits) {
		t.Error("two copies share a signature or codeword")
	}
	if err := Verify(g.Key(), l2, s1); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Verify(copy 1's sig on copy 2's label) = %v, want ErrBadSignature", err)
	}
	k1, _ := DiscKey(s1, 0, []byte("media-A"))
	k2, _ := DiscKey(s1, 1, []byte("media-A"))
	k3, _ := DiscKey(s1, 0, []byte("media-B"))
	k4, _ := DiscKey(s2, 0, []byte("media-A"))
	if k1 == k2 || k1 == k3 || k1 == k4 {
		t.Error("disc keys collide across attempt, blank or copy")
	}
	if _, err := DiscKey(s1, 0, nil); !errors.Is(err, ErrLabel) {
		t.Errorf("DiscKey(empty media ID) = %v, want ErrLabel", err)
	}
}

// TestCombineWrongPartial: a node's wrong partial is named with ErrBadPartial
// and the signature is made from the others.
func TestCombineWrongPartial(t *testing.T) {
	res := testNetwork(t, 4, 2)
	g := res[0].Group
	label := copyLabel(t, "job-1")
	want, _, _ := Combine(g, label, partials(t, res, label, 2, 3))
	ps := partials(t, res, label, 0, 1, 2, 3)
	wrong := partials(t, res, copyLabel(t, "other"), 1)[0] // valid point, wrong label
	ps[1] = wrong
	if err := VerifyPartial(g, label, wrong); !errors.Is(err, ErrBadPartial) {
		t.Errorf("VerifyPartial(wrong) = %v, want ErrBadPartial", err)
	}
	sig, rejected, err := Combine(g, label, ps)
	if err != nil {
		t.Fatalf("Combine with one wrong partial: %v", err)
	}
	if sig != want {
		t.Errorf("Combine = %x, want %x", sig, want)
	}
	if len(rejected) != 1 || rejected[0].Node != 1 || !errors.Is(rejected[0], ErrBadPartial) {
		t.Errorf("rejected = %v, want node 1 with ErrBadPartial", rejected)
	}
	garbage := Partial{Node: 0}
	if err := VerifyPartial(g, label, garbage); !errors.Is(err, ErrBadPartial) {
		t.Errorf("VerifyPartial(zero bytes) = %v, want ErrBadPartial", err)
	}
	if err := VerifyPartial(g, label, Partial{Node: 7, Sig: ps[0].Sig}); !errors.Is(err, ErrBadPartial) {
		t.Errorf("VerifyPartial(node 7 of 4) = %v, want ErrBadPartial", err)
	}
}

// TestCombineNotEnough: fewer than t valid partials from distinct nodes,
// including one node's partial repeated, is ErrNotEnoughShares — one node's
// DKG share alone makes no group signature.
func TestCombineNotEnough(t *testing.T) {
	res := testNetwork(t, 4, 2)
	g := res[0].Group
	label := copyLabel(t, "job-1")
	one := partials(t, res, label, 3)
	bad := partials(t, res, copyLabel(t, "x"), 0)
	for name, ps := range map[string][]Partial{
		"one":          one,
		"one twice":    append(one, one...),
		"one plus bad": append(one, bad...),
		"none":         nil,
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Combine(g, label, ps)
			if !errors.Is(err, ErrNotEnoughShares) {
				t.Errorf("Combine = %v, want ErrNotEnoughShares", err)
			}
			if name == "one plus bad" && !errors.Is(err, ErrBadPartial) {
				t.Errorf("Combine = %v, want it to name the bad partial", err)
			}
		})
	}
}

func TestPartialEncoding(t *testing.T) {
	res := testNetwork(t, 4, 2)
	p := partials(t, res, copyLabel(t, "j"), 3)[0]
	b, _ := p.MarshalBinary()
	q, err := UnmarshalPartial(b)
	if err != nil || q != p {
		t.Errorf("UnmarshalPartial(MarshalBinary(p)) = %v, %v, want p", q, err)
	}
	if _, err := UnmarshalPartial(b[:PartialLen-1]); !errors.Is(err, ErrEncoding) {
		t.Errorf("UnmarshalPartial(short) = %v, want ErrEncoding", err)
	}
}

func TestCodewordBounds(t *testing.T) {
	for _, n := range []int{0, MaxSegments + 1} {
		if _, err := DeriveCodeword(Signature{}, n); !errors.Is(err, ErrCodeword) {
			t.Errorf("DeriveCodeword(%d bits) = %v, want ErrCodeword", n, err)
		}
	}
	c, err := DeriveCodeword(Signature{1}, MaxSegments)
	if err != nil || c.N != MaxSegments {
		t.Errorf("DeriveCodeword(MaxSegments) = %v", err)
	}
}

// TestCombineOptimistic: t good partials give Combine's signature with one
// check; a wrong one makes the result fail to verify (ErrBadSignature), so
// the caller goes on to name it with VerifyPartial.
func TestCombineOptimistic(t *testing.T) {
	res := testNetwork(t, 4, 2)
	g := res[0].Group
	label := copyLabel(t, "job-1")
	p := func(i int, l []byte) Partial {
		ps, err := PartialSign(res[i].Share, l)
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	want, _, err := Combine(g, label, []Partial{p(0, label), p(3, label)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := CombineOptimistic(g, label, []Partial{p(3, label), p(0, label)})
	if err != nil || got != want {
		t.Fatalf("CombineOptimistic() = %x, %v; want Combine's %x", got, err, want)
	}
	if _, err := CombineOptimistic(g, label, []Partial{p(0, label), p(1, []byte("another label"))}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("CombineOptimistic(one wrong partial) = %v, want %v", err, ErrBadSignature)
	}
	if _, err := CombineOptimistic(g, label, []Partial{p(0, label), p(0, label)}); !errors.Is(err, ErrBadPartial) {
		t.Errorf("CombineOptimistic(a node twice) = %v, want %v", err, ErrBadPartial)
	}
	if _, err := CombineOptimistic(g, label, []Partial{p(0, label)}); !errors.Is(err, ErrNotEnoughShares) {
		t.Errorf("CombineOptimistic(one partial) = %v, want %v", err, ErrNotEnoughShares)
	}
}
