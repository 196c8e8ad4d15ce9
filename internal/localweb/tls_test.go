package localweb

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHostAllowed(t *testing.T) {
	names := []string{"wallet.test", "192.168.1.20", "fd00::7"}
	for _, c := range []struct {
		host string
		want bool
	}{
		{"127.0.0.1:8099", true},
		{"localhost", true},
		{"wallet.test", true},
		{"WALLET.test:8443", true},
		{"wallet.test.:8443", true},
		{"192.168.1.20:8443", true},
		{"[fd00::7]:8443", true},
		{"[fd00:0::7]:8443", true},
		{"evil.test", false},
		{"wallet.test.evil.test", false},
		{"192.168.1.21:8443", false},
		{"[fd00::8]:8443", false},
		{":8443", false},
	} {
		if got := HostAllowed(c.host, names); got != c.want {
			t.Errorf("HostAllowed(%q) = %v, want %v", c.host, got, c.want)
		}
	}
	if HostAllowed("wallet.test", nil) {
		t.Error(`HostAllowed("wallet.test", nil) = true, want false (loopback only)`)
	}
}

func FuzzHostAllowed(f *testing.F) {
	for _, s := range []string{"wallet.test:8443", "[::1]:80", "192.168.1.20", "[", "..:", "[fd00::7]"} {
		f.Add(s)
	}
	names := []string{"wallet.test", "192.168.1.20", "fd00::7", ""}
	f.Fuzz(func(t *testing.T, host string) {
		if HostAllowed(host, names) && !LoopbackHost(host) && !strings.Contains(strings.ToLower(host), "wallet.test") &&
			!strings.Contains(host, "192.168.1.20") && !strings.Contains(host, ":") {
			t.Errorf("HostAllowed(%q) = true for a name not listed", host)
		}
	})
}

// TestListenPlainRefusesNetwork: a page in the clear is for loopback only.
func TestListenPlainRefusesNetwork(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.168.1.20:8443", ":8099", "wallet.test:8443"} {
		ln, err := ListenPlain(addr)
		if err == nil {
			ln.Close()
		}
		if !errors.Is(err, ErrPlaintextNetwork) {
			t.Errorf("ListenPlain(%q) = %v, want ErrPlaintextNetwork", addr, err)
		}
	}
	ln, err := ListenPlain("127.0.0.1:0")
	if err != nil {
		t.Fatalf("ListenPlain(127.0.0.1:0) = %v", err)
	}
	ln.Close()
}

// TestGuardHostsOverTLS serves over TLS 1.3 on loopback with a certificate
// for wallet.test: that name and loopback are answered; another Host (a
// DNS name rebound to this address) and a cross-site POST are refused; a
// TLS 1.2 client is refused.
func TestGuardHostsOverTLS(t *testing.T) {
	certPEM, keyPEM, err := SelfSigned([]string{"wallet.test", "127.0.0.1"}, time.Now(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if got := CertNames(cert.Leaf); strings.Join(got, ",") != "wallet.test,127.0.0.1" {
		t.Errorf("CertNames = %v", got)
	}
	ln, err := ListenTLS("127.0.0.1:0", cert)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	hs := &http.Server{Handler: GuardHosts(mux, slog.New(slog.DiscardHandler), nil, CertNames(cert.Leaf))}
	go hs.Serve(ln)
	defer hs.Close()

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := func(maxVersion uint16) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "wallet.test", MaxVersion: maxVersion}}}
	}
	url := "https://" + ln.Addr().String() + "/"
	for _, c := range []struct {
		name, method, host, origin, site string
		want                             int
	}{
		{"its name", "GET", "wallet.test", "", "", 200},
		{"its name, same-origin POST", "POST", "wallet.test:8443", "https://wallet.test:8443", "same-origin", 200},
		{"loopback", "GET", "127.0.0.1", "", "", 200},
		{"wrong host", "GET", "evil.test", "", "", http.StatusMisdirectedRequest},
		{"cross-origin POST", "POST", "wallet.test", "https://evil.test", "cross-site", http.StatusForbidden},
		{"cross-origin POST, no fetch metadata", "POST", "wallet.test", "https://evil.test", "", http.StatusForbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, url, strings.NewReader("x"))
			req.Host = c.host
			if c.origin != "" {
				req.Header.Set("Origin", c.origin)
			}
			if c.site != "" {
				req.Header.Set("Sec-Fetch-Site", c.site)
			}
			res, err := client(0).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != c.want {
				t.Errorf("%s %s Host %s = %d, want %d", c.method, url, c.host, res.StatusCode, c.want)
			}
		})
	}
	if res, err := client(tls.VersionTLS12).Get(url); err == nil {
		res.Body.Close()
		t.Error("a TLS 1.2 client was served, want a handshake refusal (TLS 1.3 only)")
	}
}

// TestSelfSigned: the certificate holds the names, is a server
// certificate, verifies for each name, and a bad name is refused.
func TestSelfSigned(t *testing.T) {
	certPEM, _, err := SelfSigned([]string{"Wallet.LAN", "192.168.1.20"}, time.Now(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(certPEM)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	for _, n := range []string{"wallet.lan", "192.168.1.20"} {
		if _, err := c.Verify(x509.VerifyOptions{DNSName: n, Roots: pool}); err != nil {
			t.Errorf("Verify(%s) = %v", n, err)
		}
	}
	if fp := Fingerprint(c.Raw); len(fp) != 95 || strings.Count(fp, ":") != 31 {
		t.Errorf("Fingerprint = %q, want 32 colon-separated bytes", fp)
	}
	for _, bad := range [][]string{nil, {""}, {"*.lan"}, {"wallet lan"}, {"-x.lan"}} {
		if _, _, err := SelfSigned(bad, time.Now(), rand.Reader); !errors.Is(err, ErrCertName) {
			t.Errorf("SelfSigned(%q) = %v, want ErrCertName", bad, err)
		}
	}
}
