// Package page is the wallet as a page a phone's browser opens: the
// owner's ID, a copy code shown as a QR code for a kiosk's scanner, the
// tokens it owns (proved), a transfer, and the check of a receipt. It is
// served by `wallet serve` on loopback, on the device that holds the
// wallet, with the key open in that process only.
package page

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"copystation/internal/localweb"
	"copystation/internal/qr"
	"copystation/wallet"
)

//go:embed page.html wallet.css
var files embed.FS

var tmpl = template.Must(template.ParseFS(files, "page.html"))

// Page serves one open wallet.
type Page struct {
	W       *wallet.Wallet
	Ledger  wallet.Ledger // nil: no tokens, transfers or receipts, only codes
	ChainID string
	Now     func() time.Time
	Logger  *slog.Logger
}

type view struct {
	OwnerID, PublicKey string
	Online             bool
	Code               string
	QR                 template.HTML
	Expires            string
	Tokens             []*wallet.TokenView
	Verified           *wallet.Verified
	Done, Problem      string
	Form               map[string]string
}

// Handler is the page behind localweb's guards.
func (p *Page) Handler() http.Handler {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { p.render(w, http.StatusOK, p.base()) })
	mux.HandleFunc("GET /wallet.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		b, _ := files.ReadFile("wallet.css")
		w.Write(b)
	})
	mux.HandleFunc("POST /grant", p.grant)
	mux.HandleFunc("GET /tokens", p.tokens)
	mux.HandleFunc("POST /transfer", p.transfer)
	mux.HandleFunc("POST /verify", p.verify)
	return localweb.Guard(mux, p.Logger)
}

func (p *Page) base() *view {
	return &view{OwnerID: p.W.OwnerID(), PublicKey: hex.EncodeToString(p.W.PublicKey()), Online: p.Ledger != nil, Form: map[string]string{}}
}

func (p *Page) render(w http.ResponseWriter, code int, v *view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := tmpl.Execute(w, v); err != nil {
		p.Logger.Error("wallet page: render", "err", err)
	}
}

func (p *Page) fail(w http.ResponseWriter, v *view, code int, msg string) {
	v.Problem = msg
	p.render(w, code, v)
}

func (p *Page) grant(w http.ResponseWriter, r *http.Request) {
	v := p.base()
	if err := r.ParseForm(); err != nil {
		p.fail(w, v, http.StatusBadRequest, "The form could not be read.")
		return
	}
	for _, k := range []string{"station", "title", "token", "minutes"} {
		v.Form[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	minutes, err := strconv.Atoi(v.Form["minutes"])
	if err != nil {
		minutes = 5
	}
	text, err := p.W.Grant(rand.Reader, p.Now(), wallet.GrantRequest{ChainID: p.ChainID, StationID: v.Form["station"],
		TitleID: v.Form["title"], TokenID: v.Form["token"], Life: time.Duration(minutes) * time.Minute})
	if err != nil {
		p.fail(w, v, http.StatusBadRequest, "No code made: "+err.Error())
		return
	}
	c, err := qr.Encode(text)
	if err != nil {
		p.fail(w, v, http.StatusInternalServerError, err.Error())
		return
	}
	v.Code, v.QR = text, template.HTML(c.SVG("copy code for the kiosk's scanner"))
	v.Expires = p.Now().Add(time.Duration(minutes) * time.Minute).Format("15:04")
	p.render(w, http.StatusOK, v)
}

func (p *Page) online(w http.ResponseWriter, v *view) bool {
	if p.Ledger == nil {
		p.fail(w, v, http.StatusConflict, "No validation node: start the wallet with --node to read the ledger.")
		return false
	}
	return true
}

func (p *Page) tokens(w http.ResponseWriter, r *http.Request) {
	v := p.base()
	if !p.online(w, v) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	v.Form["ids"] = r.URL.Query().Get("ids")
	for _, id := range strings.Fields(v.Form["ids"]) {
		t, err := p.W.Token(ctx, p.Ledger, id)
		if err != nil {
			p.fail(w, v, http.StatusBadGateway, "Token "+id+": "+err.Error())
			return
		}
		v.Tokens = append(v.Tokens, t)
	}
	p.render(w, http.StatusOK, v)
}

func (p *Page) transfer(w http.ResponseWriter, r *http.Request) {
	v := p.base()
	if !p.online(w, v) {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.fail(w, v, http.StatusBadRequest, "The form could not be read.")
		return
	}
	to, err := hex.DecodeString(strings.TrimSpace(r.PostForm.Get("to")))
	if err != nil {
		p.fail(w, v, http.StatusBadRequest, "The new owner's key must be the hex their wallet shows.")
		return
	}
	if err := p.W.Transfer(r.Context(), p.Ledger, rand.Reader, strings.TrimSpace(r.PostForm.Get("token")), to); err != nil {
		p.fail(w, v, http.StatusBadGateway, "Not transferred: "+err.Error())
		return
	}
	v.Done = "Token " + r.PostForm.Get("token") + " transferred."
	p.render(w, http.StatusOK, v)
}

func (p *Page) verify(w http.ResponseWriter, r *http.Request) {
	v := p.base()
	if !p.online(w, v) {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.fail(w, v, http.StatusBadRequest, "The form could not be read.")
		return
	}
	got, err := wallet.VerifyReceipt(r.Context(), p.Ledger, r.PostForm.Get("receipt"))
	if err != nil {
		p.fail(w, v, http.StatusBadRequest, "The receipt does not check out: "+err.Error())
		return
	}
	v.Verified = got
	p.render(w, http.StatusOK, v)
}
