package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/internal/localweb"
)

// TestCertAndServe: `wallet cert` writes a certificate and a 0600 key and
// prints the certificate's fingerprint; it never overwrites them. `wallet
// serve` refuses plaintext on a network address and half a TLS pair; with
// the pair it serves HTTPS on the certificate's names and refuses another
// Host.
func TestCertAndServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "wallet.crt"), filepath.Join(dir, "wallet.key")
	wallet := func(ctx context.Context, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(ctx, args, &out, &errb, func(string) string { return "" })
		return code, out.String(), errb.String()
	}
	code, out, errs := wallet(ctx, "cert", "--name", "wallet.test", "--name", "127.0.0.1", "--tls-cert", crt, "--tls-key", key)
	if code != 0 {
		t.Fatalf("wallet cert = exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(crt)
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "SHA-256     "+localweb.Fingerprint(c.Raw)) {
		t.Errorf("wallet cert printed %q, want the fingerprint %s", out, localweb.Fingerprint(c.Raw))
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if code, _, errs := wallet(ctx, "cert", "--name", "x.test", "--tls-cert", crt, "--tls-key", key); code == 0 || !strings.Contains(errs, "exists") {
		t.Errorf("wallet cert over existing files = exit %d: %s", code, errs)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"plaintext on all interfaces", []string{"--listen", "0.0.0.0:0"}, "needs TLS"},
		{"plaintext on a LAN address", []string{"--listen", "192.168.1.20:8443"}, "needs TLS"},
		{"plaintext with a public name", []string{"--host", "wallet.test"}, "needs TLS"},
		{"certificate without key", []string{"--listen", "0.0.0.0:0", "--tls-cert", crt}, "both --tls-cert and --tls-key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := wallet(ctx, append([]string{"serve", "--chain", "test-chain"}, c.args...)...)
			if code != 1 || !strings.Contains(errs, c.want) {
				t.Errorf("wallet serve %q = exit %d: %s, want %q", c.args, code, errs, c.want)
			}
		})
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	sctx, stop := context.WithCancel(ctx)
	done := make(chan int)
	go func() {
		code, _, _ := wallet(sctx, "serve", "--chain", "test-chain", "--listen", addr, "--tls-cert", crt, "--tls-key", key)
		done <- code
	}()
	pool := x509.NewCertPool()
	pool.AddCert(c)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "wallet.test"}}}
	get := func(host string) int {
		for {
			req, _ := http.NewRequestWithContext(ctx, "GET", "https://"+addr+"/api/info", nil)
			req.Host = host
			res, err := client.Do(req)
			if err == nil {
				res.Body.Close()
				return res.StatusCode
			}
			if ctx.Err() != nil {
				t.Fatalf("wallet serve never answered: %v", err)
			}
			time.Sleep(20 * time.Millisecond) // the server is starting: wait for it, not a timing assertion
		}
	}
	if got := get("wallet.test"); got != http.StatusOK {
		t.Errorf("GET with Host wallet.test = %d, want 200", got)
	}
	if got := get("evil.test"); got != http.StatusMisdirectedRequest {
		t.Errorf("GET with Host evil.test = %d, want 421", got)
	}
	stop()
	if code := <-done; code != 0 {
		t.Errorf("wallet serve after Ctrl-C = exit %d", code)
	}
}
