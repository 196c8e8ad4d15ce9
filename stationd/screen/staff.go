package screen

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Lockout of the staff PIN: freeAttempts wrong PINs are allowed, then each
// further one locks the form for lockBase, doubling up to lockMax, even
// for the right PIN, so a PIN of 4 digits cannot be tried through.
const (
	freeAttempts = 3
	lockBase     = 30 * time.Second
	lockMax      = 15 * time.Minute
	sessionLife  = 15 * time.Minute
	sessionName  = "kiosk_staff"
)

func validPIN(p string) bool {
	if len(p) < 4 || len(p) > 12 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// staffGate checks the PIN and keeps staff sessions, in memory only: a
// restart logs staff out.
type staffGate struct {
	pin      [32]byte // SHA-256 of the PIN, compared in constant time
	enabled  bool
	now      func() time.Time
	mu       sync.Mutex
	failures int
	until    time.Time // locked until
	sessions map[string]time.Time
}

func newStaffGate(pin string, now func() time.Time) *staffGate {
	return &staffGate{pin: sha256.Sum256([]byte(pin)), enabled: pin != "", now: now, sessions: map[string]time.Time{}}
}

// try checks a PIN; it returns a session token, or how long the form is
// locked (0 for a plain wrong PIN).
func (g *staffGate) try(pin string) (token string, locked time.Duration, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if now.Before(g.until) {
		return "", g.until.Sub(now), false
	}
	d := sha256.Sum256([]byte(pin))
	if !g.enabled || subtle.ConstantTimeCompare(d[:], g.pin[:]) != 1 {
		g.failures++
		if n := g.failures - freeAttempts; n > 0 {
			wait := lockBase << min(n-1, 10)
			g.until = now.Add(min(wait, lockMax))
			return "", min(wait, lockMax), false
		}
		return "", 0, false
	}
	g.failures = 0
	var b [32]byte
	rand.Read(b[:])
	token = hex.EncodeToString(b[:])
	g.sessions[token] = now.Add(sessionLife)
	return token, 0, true
}

// valid reports whether a request carries a live staff session.
func (g *staffGate) valid(r *http.Request) bool {
	c, err := r.Cookie(sessionName)
	if err != nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	exp, ok := g.sessions[c.Value]
	if !ok || g.now().After(exp) {
		delete(g.sessions, c.Value)
		return false
	}
	return true
}

func (g *staffGate) end(r *http.Request) {
	if c, err := r.Cookie(sessionName); err == nil {
		g.mu.Lock()
		delete(g.sessions, c.Value)
		g.mu.Unlock()
	}
}

func (s *Server) staffPage(w http.ResponseWriter, r *http.Request) {
	if !s.staff.enabled {
		s.render(w, http.StatusNotFound, "refusal.html", map[string]any{"Refusal": Refusal{"No staff view on this station", "Set a staff PIN in the station's configuration ([screen] staff_pin).", "no_staff"}})
		return
	}
	if !s.staff.valid(r) {
		s.render(w, http.StatusOK, "login.html", nil)
		return
	}
	b, err := s.board(r)
	if err != nil {
		s.render(w, http.StatusServiceUnavailable, "staff.html", &board{Problem: err.Error()})
		return
	}
	s.render(w, http.StatusOK, "staff.html", b)
}

func (s *Server) staffLogin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.render(w, http.StatusBadRequest, "login.html", map[string]any{"Problem": "The form could not be read: enter the PIN again."})
		return
	}
	token, locked, ok := s.staff.try(r.PostForm.Get("pin"))
	switch {
	case locked > 0:
		s.cfg.Logger.Warn("screen: staff PIN locked", "for", locked)
		s.render(w, http.StatusTooManyRequests, "login.html", map[string]any{"Problem": fmt.Sprintf("Too many wrong PINs: the staff view is locked for %s.", locked.Round(time.Second))})
		return
	case !ok:
		s.cfg.Logger.Warn("screen: wrong staff PIN")
		s.render(w, http.StatusForbidden, "login.html", map[string]any{"Problem": "Wrong PIN. Try again."})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionName, Value: token, Path: "/staff", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionLife / time.Second)})
	http.Redirect(w, r, "/staff", http.StatusSeeOther)
}

func (s *Server) staffLogout(w http.ResponseWriter, r *http.Request) {
	s.staff.end(r)
	http.SetCookie(w, &http.Cookie{Name: sessionName, Value: "", Path: "/staff", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// staffOnly answers a request without a staff session and reports false.
func (s *Server) staffOnly(w http.ResponseWriter, r *http.Request) bool {
	if s.staff.enabled && s.staff.valid(r) {
		return true
	}
	http.Error(w, "Refused: enter the staff PIN first.", http.StatusForbidden)
	return false
}

func (s *Server) staffEvents(w http.ResponseWriter, r *http.Request) {
	if !s.staffOnly(w, r) {
		return
	}
	s.stream(w, r, func() (string, bool, error) {
		if !s.staff.valid(r) {
			return "", true, nil // the session ended: the page reloads to the PIN form
		}
		b, err := s.board(r)
		if err != nil {
			return "", false, err
		}
		html, err := s.fragment("board", b)
		return html, false, err
	})
}

// act runs a staff action and shows the board with its outcome.
func (s *Server) act(w http.ResponseWriter, r *http.Request, what string, do func() error) {
	if !s.staffOnly(w, r) {
		return
	}
	if err := do(); err != nil {
		s.cfg.Logger.Warn("screen: staff action failed", "action", what, "err", err)
		b, berr := s.board(r)
		if berr != nil {
			b = &board{}
		}
		b.Problem = fmt.Sprintf("%s failed: %v", what, err)
		s.render(w, http.StatusConflict, "staff.html", b)
		return
	}
	s.cfg.Logger.Info("screen: staff action", "action", what)
	http.Redirect(w, r, "/staff", http.StatusSeeOther)
}

func (s *Server) staffCancel(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, "Cancel job "+r.PathValue("job"), func() error {
		if !homeID.MatchString(r.PathValue("job")) {
			return fmt.Errorf("%w: %q", ErrBadJob, r.PathValue("job"))
		}
		_, err := s.cfg.Station.Cancel(r.Context(), r.PathValue("job"))
		return err
	})
}

func (s *Server) staffTamperClear(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, "Tamper clear", func() error {
		if err := r.ParseForm(); err != nil {
			return err
		}
		return s.cfg.Station.ClearTamper(r.Context(), r.PostForm.Get("code"))
	})
}

func (s *Server) staffRobotReset(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, "Robot reset", func() error { return s.cfg.Station.ResetRobot(r.Context()) })
}
