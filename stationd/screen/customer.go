package screen

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"copystation/grantcode"
	"copystation/internal/qr"
	"copystation/stationd/api"
	"copystation/stationd/job"
)

func (s *Server) catalogPage(w http.ResponseWriter, r *http.Request) {
	titles, bad := s.catalog.List()
	for id, err := range bad {
		s.cfg.Logger.Warn("screen: title left out of the catalog", "title", id, "err", err)
	}
	s.render(w, http.StatusOK, "catalog.html", map[string]any{"Titles": titles})
}

func (s *Server) poster(w http.ResponseWriter, r *http.Request) {
	t, err := s.catalog.Get(r.PathValue("title"))
	if err != nil || t.Poster == "" {
		http.NotFound(w, r)
		return
	}
	b, err := readBounded(filepath.Join(s.cfg.TitlesDir, t.Poster), maxPoster)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := http.DetectContentType(b)
	if ct != "image/png" && ct != "image/jpeg" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Write(b)
}

func (s *Server) titlePage(w http.ResponseWriter, r *http.Request) {
	t, err := s.catalog.Get(r.PathValue("title"))
	if err != nil {
		s.render(w, http.StatusNotFound, "refusal.html", map[string]any{"Refusal": Refusal{"This film is not on this station", "Choose a film from the list.", "no_title"}})
		return
	}
	s.render(w, http.StatusOK, "title.html", map[string]any{"Title": t, "StationID": stationID(r, s.cfg.Station),
		"HomeToken": s.homeTokenFor(r, t.ID), "HomePIN": s.home.enabled})
}

// startCopy takes the code the scanner typed. Everything the station can
// check itself is checked before a job is made, so a wrong code costs the
// customer nothing and leaves nothing behind; the ledger checks the rest
// (signature, owner, token unspent) and a refusal there fails the job
// before any blank is written.
func (s *Server) startCopy(w http.ResponseWriter, r *http.Request) {
	t, err := s.catalog.Get(r.PathValue("title"))
	if err != nil {
		s.render(w, http.StatusNotFound, "refusal.html", map[string]any{"Refusal": Refusal{"This film is not on this station", "Choose a film from the list.", "no_title"}})
		return
	}
	refuse := func(code int, ref Refusal) {
		s.render(w, code, "title.html", map[string]any{"Title": t, "Refusal": ref, "StationID": stationID(r, s.cfg.Station),
			"HomeToken": s.homeTokenFor(r, t.ID), "HomePIN": s.home.enabled})
	}
	if err := r.ParseForm(); err != nil {
		refuse(http.StatusBadRequest, Refusal{"The code could not be read", "Scan it again.", "bad_form"})
		return
	}
	raw, g, err := grantcode.Decode(r.PostForm.Get("code"))
	if err != nil {
		refuse(http.StatusBadRequest, refusalForCode(err))
		return
	}
	st, err := s.cfg.Station.Status(r.Context())
	if err != nil {
		refuse(http.StatusServiceUnavailable, Refusal{"The station is not ready", "Staff have been called. Your token has not been used.", "no_daemon"})
		return
	}
	switch {
	case st.Tampered:
		refuse(http.StatusServiceUnavailable, Refusal{"This station is closed for service", "Staff have been called. Your token has not been used.", "tampered"})
		return
	case st.Draining:
		refuse(http.StatusServiceUnavailable, drainingRefusal)
		return
	case g.Grant.TitleID != t.ID:
		refuse(http.StatusBadRequest, Refusal{"This code is for another film", "Choose the film the code is for, or make a new code for this one.", "grant_mismatch"})
		return
	case g.Grant.StationID != st.StationID:
		refuse(http.StatusBadRequest, Refusal{"This code is for another station", "Make a new code in your wallet for this station (its number is at the bottom of the screen), then scan it.", "grant_mismatch"})
		return
	case time.Unix(g.Grant.Expiry, 0).Before(s.cfg.Now()):
		refuse(http.StatusBadRequest, refusalOf("grant_expired"))
		return
	}
	j, err := s.cfg.Station.Burn(r.Context(), api.BurnRequest{TitleID: t.ID, TokenID: g.Grant.TokenID, Grant: raw})
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) && ae.Code == "tampered" {
			refuse(http.StatusServiceUnavailable, Refusal{"This station is closed for service", "Staff have been called. Your token has not been used.", "tampered"})
			return
		}
		if errors.As(err, &ae) && ae.Code == "draining" {
			refuse(http.StatusServiceUnavailable, drainingRefusal)
			return
		}
		s.cfg.Logger.Error("screen: burn refused", "err", err)
		refuse(http.StatusServiceUnavailable, Refusal{"The station could not start your copy", "Staff have been called. Your token has not been used.", "burn"})
		return
	}
	http.Redirect(w, r, "/copy/"+url.PathEscape(j.ID), http.StatusSeeOther)
}

// drainingRefusal answers a customer while the station drains for an
// update: the copies already burning finish, then the daemon restarts.
var drainingRefusal = Refusal{"This station is being updated", "It takes new copies again in a few minutes: please wait and scan your code again. Your token has not been used.", "draining"}

// copyView is what the progress, receipt and refusal pages show.
type copyView struct {
	Job      *api.Job
	Title    *Title
	Phase    string
	Waiting  string
	Percent  int
	Rate     string
	ETA      string
	Place    string // where the disc is: bin, drive, out
	Refusal  *Refusal
	Receipt  string // the ledger link the receipt's QR code holds
	QR       template.HTML
	Finished bool
}

// ErrBadJob is the error for a job ID no daemon would have made.
var ErrBadJob = errors.New("not a job ID")

func (s *Server) copyView(r *http.Request, id string) (*copyView, error) {
	if !homeID.MatchString(id) {
		return nil, fmt.Errorf("%w: %q", ErrBadJob, id)
	}
	j, err := s.cfg.Station.Job(r.Context(), id)
	if err != nil {
		return nil, err
	}
	v := &copyView{Job: j, Phase: phases[j.State], Place: "drive", Finished: j.State.Terminal()}
	if t, err := s.catalog.Get(j.TitleID); err == nil {
		v.Title = t
	} else {
		v.Title = &Title{ID: j.TitleID, Display: Display{Name: j.TitleID}}
	}
	switch j.State {
	case job.Queued:
		v.Place = "bin"
	case job.Reporting, job.Done:
		v.Place = "out"
	}
	if p := j.Progress; p != nil {
		if p.Total > 0 {
			v.Percent = int(100 * p.Done / p.Total)
		}
		if p.BytesPerSec > 0 {
			v.Rate = fmt.Sprintf("%.1f MB/s", p.BytesPerSec/1e6)
		}
		if p.ETA > 0 {
			v.ETA = p.ETA.Round(time.Second).String()
		}
		if p.Waiting != "" {
			st, _ := s.cfg.Station.Status(r.Context())
			v.Waiting = waitingWords(p.Waiting, st)
		}
	}
	switch j.State {
	case job.Done:
		v.Percent = 100
		v.Receipt = ReceiptLink(j)
		if c, err := qr.Encode(v.Receipt); err == nil {
			v.QR = template.HTML(c.SVG("QR code of your copy's ledger record"))
		}
	case job.Failed:
		ref := refusalFor(j)
		v.Refusal = &ref
	}
	return v, nil
}

// ReceiptLink is the text of a receipt's QR code: the copy's record on
// the ledger, which `wallet verify` checks with its proof.
func ReceiptLink(j *api.Job) string {
	q := url.Values{}
	q.Set("job", j.ID)
	q.Set("height", fmt.Sprint(j.Receipt.Height))
	q.Set("tx", j.Receipt.TxHash)
	return "copystation:copy?" + q.Encode()
}

func (s *Server) copyPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.copyView(r, r.PathValue("job"))
	if err != nil {
		s.render(w, http.StatusNotFound, "refusal.html", map[string]any{"Refusal": Refusal{"This copy is not known here", "Start again from the list of films.", "no_job"}})
		return
	}
	s.render(w, http.StatusOK, "copy.html", v)
}

// copyEvents streams the progress fragment while the job runs, then one
// "done" event so the page reloads into the receipt or the refusal.
func (s *Server) copyEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("job")
	s.stream(w, r, func() (string, bool, error) {
		v, err := s.copyView(r, id)
		if err != nil {
			return "", true, err
		}
		html, err := s.fragment("progress", v)
		return html, v.Finished, err
	})
}
