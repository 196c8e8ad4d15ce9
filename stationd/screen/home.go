package screen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"copystation/stationd/api"
	"copystation/stationd/job"
)

// HomeToken is a copy token the station itself owns (minted to its
// signing key): a home appliance's own tokens, copied with a confirmation
// on the screen and no phone.
type HomeToken struct {
	Token, Title string
}

// ErrHomeTokens is the error for a home tokens file that does not parse.
var ErrHomeTokens = errors.New("not a valid home tokens file")

const (
	maxHomeFile   = 64 << 10
	maxHomeTokens = 1000
)

// homeID is the daemon's ID rule (stationd/daemon CheckBurn): tokens,
// titles and jobs.
var homeID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ParseHomeTokens reads the home tokens file: one "TOKEN TITLE" per line,
// blank lines and lines starting with # ignored.
func ParseHomeTokens(b []byte) ([]HomeToken, error) {
	if len(b) > maxHomeFile {
		return nil, fmt.Errorf("screen.ParseHomeTokens: %w: %d bytes, at most %d", ErrHomeTokens, len(b), maxHomeFile)
	}
	var out []HomeToken
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 || !homeID.MatchString(f[0]) || !homeID.MatchString(f[1]) {
			return nil, fmt.Errorf("screen.ParseHomeTokens: %w: line %d: want TOKEN TITLE (letters, digits, '.', '_', '-')", ErrHomeTokens, n)
		}
		if len(out) == maxHomeTokens {
			return nil, fmt.Errorf("screen.ParseHomeTokens: %w: more than %d tokens", ErrHomeTokens, maxHomeTokens)
		}
		out = append(out, HomeToken{Token: f[0], Title: f[1]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("screen.ParseHomeTokens: %w: %v", ErrHomeTokens, err)
	}
	return out, nil
}

// homeTokenFor returns the first home token for a title that no job of
// this station has used yet ("" if none). A token spent elsewhere is
// refused by the ledger when the copy is asked for, as token_spent.
func (s *Server) homeTokenFor(r *http.Request, title string) string {
	if len(s.cfg.HomeTokens) == 0 {
		return ""
	}
	jobs, err := s.cfg.Station.Jobs(r.Context())
	if err != nil {
		return ""
	}
	used := map[string]bool{}
	for _, j := range jobs {
		if j.State != job.Failed || j.Code == "token_spent" {
			used[j.TokenID] = true
		}
	}
	for _, h := range s.cfg.HomeTokens {
		if h.Title == title && !used[h.Token] {
			return h.Token
		}
	}
	return ""
}

// startHomeCopy copies with the station's own token after the owner's
// confirmation (the button) and, when one is set, the owner's PIN, which
// has the staff PIN's lockout.
func (s *Server) startHomeCopy(w http.ResponseWriter, r *http.Request) {
	t, err := s.catalog.Get(r.PathValue("title"))
	if err != nil {
		s.render(w, http.StatusNotFound, "refusal.html", map[string]any{"Refusal": Refusal{"This film is not on this station", "Choose a film from the list.", "no_title"}})
		return
	}
	refuse := func(code int, ref Refusal) {
		s.render(w, code, "title.html", map[string]any{"Title": t, "Refusal": ref, "StationID": stationID(r, s.cfg.Station), "HomeToken": s.homeTokenFor(r, t.ID), "HomePIN": s.home.enabled})
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("confirm") != "yes" {
		refuse(http.StatusBadRequest, Refusal{"The copy was not confirmed", "Press \"Yes, make the copy\" to start it.", "not_confirmed"})
		return
	}
	if s.home.enabled {
		if _, locked, ok := s.home.try(r.PostForm.Get("pin")); !ok {
			msg := "Wrong PIN. Try again."
			if locked > 0 {
				msg = fmt.Sprintf("Too many wrong PINs: copies are locked for %s.", locked)
			}
			refuse(http.StatusForbidden, Refusal{msg, "The PIN is the one the owner set for copies on this appliance.", "home_pin"})
			return
		}
	}
	tok := s.homeTokenFor(r, t.ID)
	if tok == "" {
		refuse(http.StatusConflict, Refusal{"No copy left for this film", "This appliance's tokens for this film have been used.", "token_spent"})
		return
	}
	j, err := s.cfg.Station.Burn(r.Context(), api.BurnRequest{TitleID: t.ID, TokenID: tok})
	if err != nil {
		s.cfg.Logger.Error("screen: home copy refused", "err", err)
		refuse(http.StatusServiceUnavailable, Refusal{"The station could not start the copy", "Try again in a moment.", "burn"})
		return
	}
	http.Redirect(w, r, "/copy/"+url.PathEscape(j.ID), http.StatusSeeOther)
}
