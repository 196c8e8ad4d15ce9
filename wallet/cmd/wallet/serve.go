package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"copystation/internal/localweb"
	"copystation/validatord/ledger"
	"copystation/wallet/page"
)

// names is a repeatable string flag.
type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(v string) error { *n = append(*n, v); return nil }

// serve runs the wallet's page until ctx ends: plaintext on loopback, or
// HTTPS on any address with --tls-cert and --tls-key.
func serve(ctx context.Context, o opts, out io.Writer) error {
	p := &page.Page{ChainID: o.chain}
	if o.node != "" {
		l, err := ledger.Dial(o.node)
		if err != nil {
			return err
		}
		p.Ledger = l
		if p.ChainID == "" {
			if p.ChainID, err = l.ChainID(ctx); err != nil {
				return err
			}
		}
	}
	if p.ChainID == "" {
		return fmt.Errorf("%w: --chain or --node is needed", errUsage)
	}
	ln, scheme, hosts, err := listen(o)
	if err != nil {
		return err
	}
	p.Hosts = hosts
	hs := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { <-ctx.Done(); hs.Close() }()
	fmt.Fprintf(out, "wallet page on %s://%s/ (Ctrl-C to stop)\n", scheme, ln.Addr())
	if len(p.Hosts) > 0 {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		for _, h := range p.Hosts {
			fmt.Fprintf(out, "  open on the phone: https://%s/\n", net.JoinHostPort(h, port))
		}
	}
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// listen opens the page's listener and says which public names it
// answers to: none in plaintext (loopback only); with TLS, --host's or
// else the certificate's.
func listen(o opts) (net.Listener, string, []string, error) {
	if o.tlsCert == "" && o.tlsKey == "" {
		if len(o.hosts) > 0 {
			return nil, "", nil, fmt.Errorf("wallet serve: --host: %w", localweb.ErrPlaintextNetwork)
		}
		ln, err := localweb.ListenPlain(o.listen)
		return ln, "http", nil, err
	}
	if o.tlsCert == "" || o.tlsKey == "" {
		return nil, "", nil, fmt.Errorf("wallet serve: %w", localweb.ErrTLSFiles)
	}
	cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
	if err != nil {
		return nil, "", nil, fmt.Errorf("wallet serve: the TLS certificate or key does not load (make them with `wallet cert`): %w", err)
	}
	hosts := []string(o.hosts)
	if len(hosts) == 0 {
		hosts = localweb.CertNames(cert.Leaf)
	}
	ln, err := localweb.ListenTLS(o.listen, cert)
	return ln, "https", hosts, err
}

// makeCert writes a self-signed certificate for --name and its key (0600,
// never over an existing file) and prints the fingerprint to check on the
// phone when it warns about the certificate.
func makeCert(o opts, out io.Writer) error {
	if len(o.names) == 0 || o.tlsCert == "" || o.tlsKey == "" {
		return fmt.Errorf("%w: --name NAME (repeatable), --tls-cert FILE and --tls-key FILE are needed", errUsage)
	}
	certPEM, keyPEM, err := localweb.SelfSigned(o.names, time.Now(), rand.Reader)
	if err != nil {
		return err
	}
	defer clear(keyPEM)
	if err := writeNew(o.tlsKey, keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeNew(o.tlsCert, certPEM, 0o644); err != nil {
		os.Remove(o.tlsKey)
		return err
	}
	blk, _ := pem.Decode(certPEM)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "certificate %s for %s, valid until %s\nkey         %s (mode 0600)\nSHA-256     %s\n",
		o.tlsCert, strings.Join(localweb.CertNames(c), ", "), c.NotAfter.UTC().Format("2006-01-02"), o.tlsKey, localweb.Fingerprint(c.Raw))
	return nil
}

// writeNew writes a file that must not exist yet, synced before close.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("wallet cert: %w (remove it first to make a new one)", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("wallet cert: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("wallet cert: %w", err)
	}
	return f.Close()
}
