// Package localweb is what a page served for this machine's own browser
// needs: a listener on loopback or a Unix socket (or, for a phone on the
// network, TLS 1.3 with the names it answers to), and the guards in front
// of its handler (known Host names only, cross-site writes refused, a
// policy that loads nothing from elsewhere, bounded bodies). The kiosk
// screen and the wallet's page use it.
package localweb

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
)

// ErrNotLoopback is the error for an address a network could reach.
var ErrNotLoopback = errors.New("this page serves only loopback addresses or a Unix socket: use 127.0.0.1:PORT, [::1]:PORT, localhost:PORT or unix:/path")

// MaxBody bounds a request body (forms are small).
const MaxBody = 16 << 10

// Listen opens a loopback TCP address or "unix:/path"; any other address
// is refused.
func Listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok && path != "" {
		return net.Listen("unix", path)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" || !LoopbackHost(host) {
		return nil, fmt.Errorf("localweb.Listen %q: %w", addr, ErrNotLoopback)
	}
	return net.Listen("tcp", addr)
}

// LoopbackHost reports whether a Host header names this machine's
// loopback (an empty one is a Unix socket client's).
func LoopbackHost(host string) bool {
	if host == "" {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Guard wraps a handler: security headers on every answer; a Host that is
// not a loopback name refused (421: a DNS name rebound to 127.0.0.1 is
// still another site); every cross-site non-GET request refused (403, by
// net/http's CrossOriginProtection); bodies bounded.
func Guard(next http.Handler, log *slog.Logger) http.Handler { return GuardSized(next, log, nil) }

// GuardSized is Guard with a body bound per request: limit returns the
// bound for a request, or 0 for MaxBody (the kiosk's camera frames are
// larger than forms).
func GuardSized(next http.Handler, log *slog.Logger, limit func(*http.Request) int64) http.Handler {
	return GuardHosts(next, log, limit, nil)
}

// GuardHosts is GuardSized that also answers to the public names in names
// (the names a TLS listener's certificate holds, see ListenTLS): a Host
// header naming anything else, loopback apart, is refused.
func GuardHosts(next http.Handler, log *slog.Logger, limit func(*http.Request) int64, names []string) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Warn("localweb: cross-site request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		http.Error(w, "Refused: this request came from another site. This page takes requests only from its own pages.", http.StatusForbidden)
	}))
	inner := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if !HostAllowed(r.Host, names) {
			log.Warn("localweb: request for another host refused", "host", r.Host)
			http.Error(w, "Refused: this page does not answer to that name; open it by the address its server printed.", http.StatusMisdirectedRequest)
			return
		}
		n := int64(MaxBody)
		if limit != nil {
			if l := limit(r); l > 0 {
				n = l
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		inner.ServeHTTP(w, r)
	})
}
