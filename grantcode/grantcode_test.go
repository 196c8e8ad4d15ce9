package grantcode

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"copystation/protocol"
)

func signedGrant(t testing.TB) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	g := &protocol.SignedGrant{Grant: protocol.CustomerGrant{ChainID: "copystation-local", TokenID: "tok-1",
		StationID: "0123456789abcdef0123456789abcdef", TitleID: "film", Expiry: 1893456000}}
	if g.Signature, err = protocol.Sign(rand.Reader, k, &g.Grant); err != nil {
		t.Fatal(err)
	}
	return g.Encode()
}

func TestRoundTrip(t *testing.T) {
	raw := signedGrant(t)
	text := Encode(raw)
	for _, typed := range []string{text, text + "\r\n", "  " + text + "\n", text + "\t"} {
		got, g, err := Decode(typed)
		if err != nil {
			t.Fatalf("Decode(%q) = %v", typed, err)
		}
		if !bytes.Equal(got, raw) || g.Grant.TokenID != "tok-1" {
			t.Errorf("Decode(%q) = %x %+v, want %x", typed, got, g.Grant, raw)
		}
	}
	if strings.Trim(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:") != "" {
		t.Errorf("Encode = %q: holds characters a scanner may not type", text)
	}
}

func TestDecodeRefusals(t *testing.T) {
	text := Encode(signedGrant(t))
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrNotGrant},
		{"product barcode", "4006381333931", ErrNotGrant},
		{"web address", "https://example.org/x", ErrNotGrant},
		{"cut short", text[:len(text)/2], ErrDamaged},
		{"one character changed", text[:20] + "!" + text[21:], ErrDamaged},
		{"padding", text + "==", ErrDamaged},
		{"trailing junk", text + "AAAA", ErrDamaged},
		{"upper-cased by the scanner", strings.ToUpper(text), ErrDamaged},
		{"too long", Prefix + strings.Repeat("A", MaxLen), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(tt.in)
			if !errors.Is(err, tt.want) {
				t.Errorf("Decode = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzDecode: whatever a scanner types, Decode answers a grant that
// encodes back to the same bytes, or a typed error; never a panic.
func FuzzDecode(f *testing.F) {
	f.Add(Encode(signedGrant(f)))
	f.Add("CSG1:")
	f.Add("CSG1:AAAA")
	f.Add("4006381333931\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		raw, g, err := Decode(in)
		if err != nil {
			if !errors.Is(err, ErrNotGrant) && !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("Decode(%q) = untyped error %v", in, err)
			}
			return
		}
		if !bytes.Equal(g.Encode(), raw) {
			t.Fatalf("Decode(%q): grant re-encodes to %x, want %x", in, g.Encode(), raw)
		}
	})
}
