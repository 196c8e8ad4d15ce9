package custody

import (
	"errors"
	"testing"
)

func TestCheckThreshold(t *testing.T) {
	tests := []struct {
		name string
		n, t int
		ok   bool
	}{
		{"n=4 default", 4, 2, true},
		{"n=4 t=f", 4, 1, false},
		{"n=4 t=n", 4, 4, true},
		{"n=4 t>n", 4, 5, false},
		{"n=7 t=2", 7, 2, false},
		{"n=7 t=3", 7, 3, true},
		{"n=1 t=1", 1, 1, true},
		{"n=0", 0, 0, false},
		{"n too big", MaxNodes + 1, 100, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckThreshold(tc.n, tc.t)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrThreshold)) {
				t.Errorf("CheckThreshold(%d, %d) = %v, want ok=%v", tc.n, tc.t, err, tc.ok)
			}
		})
	}
	if got := DefaultThreshold(4); got != 2 {
		t.Errorf("DefaultThreshold(4) = %d, want 2", got)
	}
	if got := DefaultThreshold(10); got != 4 {
		t.Errorf("DefaultThreshold(10) = %d, want 4", got)
	}
}

func TestGroupEncoding(t *testing.T) {
	res := testNetwork(t, 4, 2)
	g := res[0].Group
	b, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 + len(groupMagic) + 4 + 2*G2Len; len(b) != want {
		t.Errorf("len(MarshalBinary()) = %d, want %d", len(b), want)
	}
	h, err := UnmarshalGroup(b)
	if err != nil {
		t.Fatalf("UnmarshalGroup: %v", err)
	}
	if !h.Equal(g) || h.N() != 4 || h.T() != 2 {
		t.Errorf("UnmarshalGroup(MarshalBinary(g)) differs from g")
	}
	bad := map[string][]byte{
		"truncated": b[:len(b)-1],
		"trailing":  append(append([]byte(nil), b...), 0),
		"t=1 of 4":  append(append(append([]byte(nil), b[:len(b)-2*G2Len-2]...), 0, 1), b[len(b)-2*G2Len:len(b)-G2Len]...),
		"bad point": append(append([]byte(nil), b[:len(b)-G2Len]...), make([]byte, G2Len)...),
	}
	for name, in := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := UnmarshalGroup(in); err == nil {
				t.Errorf("UnmarshalGroup(%s) = nil error", name)
			}
		})
	}
}

func TestKeyShareEncoding(t *testing.T) {
	res := testNetwork(t, 4, 2)
	b, err := res[2].Share.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	ks, err := UnmarshalKeyShare(b)
	if err != nil {
		t.Fatal(err)
	}
	if ks.Node != 2 || !ks.v.Equal(res[2].Share.v) {
		t.Errorf("UnmarshalKeyShare(MarshalBinary()) = node %d, want 2 and the same scalar", ks.Node)
	}
	ks.Wipe()
	if !ks.v.Equal(suite.G1().Scalar().Zero()) {
		t.Error("Wipe left the share non-zero")
	}
	for i := range b[len(b)-ScalarLen:] {
		b[len(b)-ScalarLen+i] = 0xff // above the group order
	}
	if _, err := UnmarshalKeyShare(b); !errors.Is(err, ErrEncoding) {
		t.Errorf("UnmarshalKeyShare(non-canonical) = %v, want ErrEncoding", err)
	}
}
