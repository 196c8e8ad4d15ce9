package localweb

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
)

// ErrPlaintextNetwork is the error for a plaintext listener on an address
// a network could reach: the page would travel in the clear, and a
// browser gives WebCrypto only to a secure context (HTTPS or localhost).
var ErrPlaintextNetwork = errors.New("a page served to other machines needs TLS: give both --tls-cert FILE and --tls-key FILE (make them with `wallet cert`), or listen on 127.0.0.1")

// ErrTLSFiles is the error for a certificate without its key or the reverse.
var ErrTLSFiles = errors.New("give both --tls-cert and --tls-key, or neither")

// ServerTLS is the TLS configuration of a page served to a network: TLS
// 1.3 only. Every TLS 1.3 suite is an AEAD with forward secrecy, so no
// suite list is needed; the browsers a phone runs (Safari 12.1+, Chrome
// 70+, Firefox 63+) all speak it, and there is no older client to serve.
func ServerTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

// ListenTLS opens addr (any address: loopback, a LAN IP, or all
// interfaces) for TLS with ServerTLS(cert).
func ListenTLS(addr string, cert tls.Certificate) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("localweb.ListenTLS %q: %w", addr, err)
	}
	return tls.NewListener(ln, ServerTLS(cert)), nil
}

// ListenPlain is Listen with a reason a person can act on when addr is
// not loopback: a plaintext page is for this machine's own browser only.
func ListenPlain(addr string) (net.Listener, error) {
	ln, err := Listen(addr)
	if errors.Is(err, ErrNotLoopback) && !strings.HasPrefix(addr, "unix:") {
		return nil, fmt.Errorf("localweb.Listen %q: %w", addr, ErrPlaintextNetwork)
	}
	return ln, err
}

// HostAllowed reports whether a request's Host header names this machine's
// loopback or one of names (compared without the port, case-insensitively;
// an IP name matches the same IP however it is written).
func HostAllowed(host string, names []string) bool {
	if LoopbackHost(host) {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return false
	}
	ip := net.ParseIP(host)
	for _, n := range names {
		n = strings.TrimSuffix(strings.Trim(n, "[]"), ".")
		if nip := net.ParseIP(n); ip != nil && nip != nil {
			if ip.Equal(nip) {
				return true
			}
			continue
		}
		if n != "" && strings.EqualFold(n, host) {
			return true
		}
	}
	return false
}
