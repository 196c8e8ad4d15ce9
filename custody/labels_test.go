package custody

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestCopyLabelVector(t *testing.T) {
	rec := CopyRecord{ChainID: "c", TitleID: "t", JobID: "j", TokenID: "k", StationKeyID: "s"}
	got, err := rec.Label()
	if err != nil {
		t.Fatal(err)
	}
	want := "0013" + "636f707973746174696f6e2f636f70792f7631" +
		"000163" + "000174" + "00016a" + "00016b" + "000173"
	if hex.EncodeToString(got) != want {
		t.Errorf("Label() = %x, want %s", got, want)
	}
}

func TestPlayerTreeLabelVector(t *testing.T) {
	got, err := PlayerTreeLabel("T1", 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	want := "001a" + "636f707973746174696f6e2f706c617965722d747265652f7631" +
		"00025431" + "000103" + "000400000005"
	if hex.EncodeToString(got) != want {
		t.Errorf("PlayerTreeLabel() = %x, want %s", got, want)
	}
}

// TestLabelsDistinct: shifting a byte between adjacent fields, or reading a
// copy label as a tree label, never gives the same bytes (prefix-free).
func TestLabelsDistinct(t *testing.T) {
	a, _ := CopyRecord{"ab", "c", "j", "k", "s"}.Label()
	b, _ := CopyRecord{"a", "bc", "j", "k", "s"}.Label()
	tree, _ := PlayerTreeLabel("ab", 0, 0)
	for _, pair := range [][2][]byte{{a, b}, {a, tree}} {
		if bytes.HasPrefix(pair[0], pair[1]) || bytes.HasPrefix(pair[1], pair[0]) {
			t.Errorf("labels %x and %x: one is a prefix of the other", pair[0], pair[1])
		}
	}
	root, _ := PlayerTreeLabel("T", 0, 0)
	leaf, _ := PlayerTreeLabel("T", 1, 0)
	if bytes.Equal(root, leaf) {
		t.Error("root and depth-1 node share a label")
	}
}

func TestLabelErrors(t *testing.T) {
	tests := []struct {
		name string
		f    func() error
	}{
		{"empty job", func() error { _, err := CopyRecord{"c", "t", "", "k", "s"}.Label(); return err }},
		{"long title", func() error {
			_, err := CopyRecord{"c", strings.Repeat("x", MaxLabelField+1), "j", "k", "s"}.Label()
			return err
		}},
		{"not utf8", func() error { _, err := CopyRecord{"c", "t", "\xff", "k", "s"}.Label(); return err }},
		{"depth 33", func() error { _, err := PlayerTreeLabel("T", 33, 0); return err }},
		{"path above depth", func() error { _, err := PlayerTreeLabel("T", 2, 4); return err }},
		{"empty tree", func() error { _, err := PlayerTreeLabel("", 2, 1); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f(); !errors.Is(err, ErrLabel) {
				t.Errorf("error = %v, want ErrLabel", err)
			}
		})
	}
	if _, err := PlayerTreeLabel("T", 32, 0xffffffff); err != nil {
		t.Errorf("PlayerTreeLabel(depth 32, all ones) = %v, want nil", err)
	}
}
