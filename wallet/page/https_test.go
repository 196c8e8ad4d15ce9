package page

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"copystation/internal/localweb"
	"copystation/stationd/simstation"
)

// startLedger starts a real node with the title "film" and returns it
// and its chain ID.
func startLedger(ctx context.Context, t *testing.T) (*simstation.Network, string) {
	t.Helper()
	dir := t.TempDir()
	nw, err := simstation.StartNetwork(ctx, filepath.Join(dir, "node"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nw.Close() })
	if _, err := simstation.MakeTitle(ctx, nw, filepath.Join(dir, "titles"), "film", 1<<20, 1); err != nil {
		t.Fatal(err)
	}
	chain, err := nw.Node.Ledger.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return nw, chain
}

// TestPageOverHTTPSInChromium is the page as a phone opens it: served
// over TLS at a name that is not localhost (wallet.test, which the
// browser resolves to 127.0.0.1), with a certificate from
// localweb.SelfSigned that the browser trusts by its key's pin, the way a
// phone's user accepts it after checking the fingerprint. The page runs
// in a secure context there (WebCrypto works): it makes its key,
// registers, lists tokens and makes a copy code the ledger accepts, and
// no request leaves its origin.
func TestPageOverHTTPSInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	chromium := chromiumPath(t)
	nw, chain := startLedger(ctx, t)
	cert := testCert(t, "wallet.test")
	ln, err := localweb.ListenTLS("127.0.0.1:0", cert)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: (&Page{Ledger: nw.Node.Ledger, ChainID: chain, Hosts: []string{"wallet.test"}}).Handler(), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	base := "https://wallet.test:" + port

	spki := sha256.Sum256(cert.Leaf.RawSubjectPublicKeyInfo)
	b, requests := browser(ctx, t, chromium,
		chromedp.Flag("host-resolver-rules", "MAP wallet.test 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	run(t, b, 60*time.Second,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#create")))
	secure, err := chromedp.Run(b, chromedp.Evaluate[bool](`window.isSecureContext && !!crypto.subtle && location.origin === `+jsString(base)))
	if err != nil || !secure {
		t.Fatalf("the page at %s is not a secure context with WebCrypto (%v)", base, err)
	}
	pub := createKey(t, b, "a phone passphrase")
	ownerSteps(t, b, nw, chain, pub)
	checkRequests(t, *requests, base)
}

func testCert(t *testing.T, names ...string) tls.Certificate {
	t.Helper()
	certPEM, keyPEM, err := localweb.SelfSigned(names, time.Now(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func jsString(s string) string { return "'" + s + "'" }
