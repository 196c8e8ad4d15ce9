package screen

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"copystation/stationd/api"
)

// TestListenLoopbackOnly: the screen refuses any address a network could
// reach.
func TestListenLoopbackOnly(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"[::1]:0", true},
		{"localhost:0", true},
		{"unix:" + t.TempDir() + "/screen.sock", true},
		{":0", false},
		{"0.0.0.0:0", false},
		{"192.0.2.1:8080", false},
		{"example.org:80", false},
		{"unix:", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ln, err := Listen(tt.addr)
			if ln != nil {
				ln.Close()
			}
			if tt.ok && err != nil {
				t.Errorf("Listen(%q) = %v, want a listener", tt.addr, err)
			}
			if !tt.ok && !errors.Is(err, ErrNotLoopback) {
				t.Errorf("Listen(%q) = %v, want ErrNotLoopback", tt.addr, err)
			}
		})
	}
}

// TestGuards: cross-site posts and non-loopback Host names are refused
// before any handler runs; pages carry a policy that loads nothing from
// elsewhere.
func TestGuards(t *testing.T) {
	s, err := New(Config{Station: api.NewClient(t.TempDir() + "/none.sock"), TitlesDir: t.TempDir(), StaffPIN: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	tests := []struct {
		name   string
		method string
		path   string
		host   string
		header map[string]string
		want   int
	}{
		{"catalog", "GET", "/", "127.0.0.1:8080", nil, http.StatusOK},
		{"rebound name", "GET", "/", "evil.example:8080", nil, http.StatusMisdirectedRequest},
		{"cross-site grant", "POST", "/title/film/copy", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"cross-origin staff action", "POST", "/staff/robot-reset", "127.0.0.1:8080", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"staff action without PIN", "POST", "/staff/robot-reset", "127.0.0.1:8080", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusForbidden},
		{"staff events without PIN", "GET", "/staff/events", "127.0.0.1:8080", nil, http.StatusForbidden},
		{"unknown title", "GET", "/title/nope", "127.0.0.1:8080", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader("code=x"))
			req.Host = tt.host
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("%s %s = %d, want %d (%s)", tt.method, tt.path, rec.Code, tt.want, rec.Body)
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
		})
	}
}

// TestPINLockout: three wrong PINs are free, the fourth locks the form,
// the right PIN is refused while locked, and the lock doubles.
func TestPINLockout(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	g := newStaffGate("2468", func() time.Time { return now })
	for i := range freeAttempts {
		if _, locked, ok := g.try("0000"); ok || locked != 0 {
			t.Fatalf("wrong PIN %d: ok %v locked %v, want refused, not locked", i+1, ok, locked)
		}
	}
	if _, locked, _ := g.try("0000"); locked != lockBase {
		t.Fatalf("fourth wrong PIN: locked %v, want %v", locked, lockBase)
	}
	if _, locked, ok := g.try("2468"); ok || locked == 0 {
		t.Fatalf("right PIN while locked: ok %v locked %v, want refused", ok, locked)
	}
	now = now.Add(lockBase)
	if _, locked, _ := g.try("1111"); locked != 2*lockBase {
		t.Fatalf("fifth wrong PIN: locked %v, want %v", locked, 2*lockBase)
	}
	now = now.Add(2 * lockBase)
	if tok, _, ok := g.try("2468"); !ok || tok == "" {
		t.Fatal("right PIN after the lock: refused")
	}
}
