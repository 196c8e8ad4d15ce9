package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/grantcode"
	"copystation/internal/qr/qrtest"
	"copystation/wallet/wallettest"
)

// TestWalletCommands runs the commands against a real node's RPC on
// loopback: init, id, a grant drawn as a PNG that decodes to a grant code,
// and a token read with its proof.
func TestWalletCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw := wallettest.Network(ctx, t, dir)
	rpc := nw.Node.Config.RPCListen
	env := func(k string) string {
		if k == PassphraseVar {
			return "a long passphrase"
		}
		return ""
	}
	w := filepath.Join(dir, "w.json")
	sh := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := Main(ctx, append([]string{args[0], "--wallet", w}, args[1:]...), &out, &errb, env); code != 0 {
			t.Fatalf("wallet %q = exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	sh("init")
	id := sh("id")
	var pub []byte
	for _, l := range strings.Split(id, "\n") {
		if h, ok := strings.CutPrefix(l, "public key  "); ok {
			pub = decodeHex(t, h)
		}
	}
	if err := nw.Mint(ctx, "tok-9", "film", pub); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "grant.png")
	g := sh("grant", "--node", rpc, "--station", "0123456789abcdef0123456789abcdef", "--title", "film", "--token", "tok-9", "--png", png)
	if !strings.Contains(g, "█") || !strings.Contains(g, grantcode.Prefix) {
		t.Errorf("grant output has no terminal QR code or code text:\n%s", g)
	}
	p, _ := os.ReadFile(png)
	text, err := qrtest.Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, gr, err := grantcode.Decode(text); err != nil || gr.Grant.TokenID != "tok-9" || gr.Grant.ChainID == "" {
		t.Errorf("grant PNG decodes to %+v, %v", gr, err)
	}
	if tok := sh("token", "--node", rpc, "tok-9"); !strings.Contains(tok, "unspent  yours") {
		t.Errorf("token = %q, want unspent and yours", tok)
	}
	if reg := sh("register", "--node", rpc); !strings.Contains(reg, "registered at block") {
		t.Errorf("register = %q", reg)
	}
	if reg := sh("register", "--node", rpc); !strings.Contains(reg, "already registered") {
		t.Errorf("register again = %q", reg)
	}
	if toks := sh("tokens", "--node", rpc); !strings.HasPrefix(toks, "tok-9  title film  unspent  (proved at block") {
		t.Errorf("tokens = %q, want tok-9 unspent", toks)
	}
	var errb bytes.Buffer
	if code := Main(ctx, []string{"id", "--wallet", w}, &bytes.Buffer{}, &errb, func(string) string { return "wrong passphrase" }); code != 1 || !strings.Contains(errb.String(), "wrong passphrase") {
		t.Errorf("id with a wrong passphrase = exit %d: %s", code, errb.String())
	}
}

func decodeHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
