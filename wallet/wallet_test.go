package wallet

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"copystation/grantcode"
	"copystation/internal/qr/qrtest"
	"copystation/wallet/wallettest"
)

// testKDF keeps argon2id cheap in tests; the format and code are the same.
var testKDF = KDF{Time: 1, MemoryKiB: 64, Threads: 1}

// aliceAndBob creates two wallets in dir/a and dir/b.
func aliceAndBob(t *testing.T, dir string) (alice, bob *Wallet) {
	t.Helper()
	alice, err := Create(filepath.Join(dir, "a"), []byte("alice-pass"), testKDF, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if bob, err = Create(filepath.Join(dir, "b"), []byte("bob-passs"), testKDF, rand.Reader); err != nil {
		t.Fatal(err)
	}
	return alice, bob
}

func TestCreateOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.json")
	w, err := Create(path, []byte("correct horse"), testKDF, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	scalar, _ := w.key.Bytes()
	if bytes.Contains(raw, scalar) {
		t.Fatal("the wallet file holds the key in the clear")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("wallet file mode = %v, want 0600", fi.Mode().Perm())
	}
	tests := []struct {
		name string
		pass string
		want error
	}{
		{"right passphrase", "correct horse", nil},
		{"wrong passphrase", "correct horsf", ErrPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Open(path, []byte(tt.pass))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
			if err == nil && got.OwnerID() != w.OwnerID() {
				t.Errorf("OwnerID = %s, want %s", got.OwnerID(), w.OwnerID())
			}
		})
	}
	if _, err := Create(path, []byte("correct horse"), testKDF, rand.Reader); !errors.Is(err, ErrExists) {
		t.Errorf("Create over a wallet = %v, want ErrExists", err)
	}
	if _, err := Open(path+".none", []byte("x")); !errors.Is(err, ErrNoWallet) {
		t.Errorf("Open(missing) = %v, want ErrNoWallet", err)
	}
}

// TestGrantQR: the grant's PNG decodes (with gozxing, as a scanner would)
// to a grant code the kiosk reads, signed by the wallet's key.
func TestGrantQR(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "w"), []byte("12345678"), testKDF, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_900_000_000, 0)
	text, err := w.Grant(rand.Reader, now, GrantRequest{ChainID: "c", StationID: "s", TitleID: "film", TokenID: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	png, err := GrantPNG(text)
	if err != nil {
		t.Fatal(err)
	}
	got := DecodeQR(t, png)
	_, g, err := grantcode.Decode(got)
	if err != nil {
		t.Fatalf("grantcode.Decode(decoded PNG) = %v", err)
	}
	if err := g.Verify(w.PublicKey()); err != nil {
		t.Errorf("grant signature: %v", err)
	}
	if g.Grant.Expiry != now.Add(5*time.Minute).Unix() {
		t.Errorf("expiry = %d, want 5 minutes on", g.Grant.Expiry)
	}
	if _, err := w.Grant(rand.Reader, now, GrantRequest{ChainID: "c", StationID: "s", TitleID: "f", TokenID: "t", Life: time.Hour}); !errors.Is(err, ErrGrant) {
		t.Errorf("Grant(1 hour) = %v, want ErrGrant", err)
	}
}

// DecodeQR decodes a QR code PNG as a phone's camera would.
func DecodeQR(t testing.TB, p []byte) string {
	t.Helper()
	s, err := qrtest.Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTokenTransfer: against a real node, the wallet sees a token minted
// to it (proved), transfers it, and then sees it is no longer its own.
func TestTokenTransfer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw := wallettest.Network(ctx, t, dir)
	n := nw.Node
	alice, bob := aliceAndBob(t, dir)
	if err := nw.Mint(ctx, "tok-1", "film", alice.PublicKey()); err != nil {
		t.Fatal(err)
	}
	tv, err := alice.Token(ctx, n.Ledger, "tok-1")
	if err != nil {
		t.Fatal(err)
	}
	if !tv.Mine || tv.State != "unspent" || tv.Proved == nil {
		t.Fatalf("Token = %+v, want alice's, unspent, proved", tv)
	}
	if err := bob.Transfer(ctx, n.Ledger, rand.Reader, "tok-1", alice.PublicKey()); err == nil {
		t.Fatal("bob transferred alice's token")
	}
	if err := alice.Transfer(ctx, n.Ledger, rand.Reader, "tok-1", bob.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if tv, err = alice.Token(ctx, n.Ledger, "tok-1"); err != nil || tv.Mine {
		t.Errorf("after the transfer, alice's view = %+v, %v; want not hers", tv, err)
	}
	if tv, err = bob.Token(ctx, n.Ledger, "tok-1"); err != nil || !tv.Mine {
		t.Errorf("after the transfer, bob's view = %+v, %v; want his", tv, err)
	}
}

func TestParseReceipt(t *testing.T) {
	good := "copystation:copy?height=12&job=job-1&tx=" + string(bytes.Repeat([]byte("ab"), 32))
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"good", good, true},
		{"other scheme", "https://x/copy?height=1", false},
		{"bad height", "copystation:copy?height=x&job=j&tx=" + string(bytes.Repeat([]byte("ab"), 32)), false},
		{"short tx", "copystation:copy?height=1&job=j&tx=abcd", false},
		{"bad job", "copystation:copy?height=1&job=a/b&tx=" + string(bytes.Repeat([]byte("ab"), 32)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseReceipt(tt.in)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrReceipt)) {
				t.Errorf("ParseReceipt = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
