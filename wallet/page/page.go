// Package page is the wallet as a page a phone's browser opens (`wallet
// serve`): the owner key is made and kept in the browser, sealed by the
// passphrase (WebCrypto: PBKDF2-SHA256 and AES-256-GCM), and the page signs
// registrations, transfers and grants itself. This server holds no key: it
// serves the page, relays the page's signed transactions to a validation
// node, lists an owner's tokens with their proofs, checks receipts and
// draws QR codes, behind localweb's guards: on loopback, or over TLS to
// the public names in Hosts.
package page

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"copystation/grantcode"
	"copystation/internal/localweb"
	"copystation/internal/qr"
	"copystation/validatord/contract"
	"copystation/wallet"
)

//go:embed page.html wallet.css wallet.js
var files embed.FS

// Page serves the wallet page for one network.
type Page struct {
	Ledger  wallet.Ledger // nil: offline, only copy codes
	ChainID string
	Logger  *slog.Logger
	// Hosts are the public names the page answers to besides loopback
	// (served over TLS to a phone, see `wallet serve --host`).
	Hosts []string
}

// relayed are the transactions the page makes; the server relays no other.
var relayed = map[contract.TxType]bool{contract.TxRegisterOwner: true, contract.TxTransferToken: true}

// Handler is the page behind localweb's guards.
func (p *Page) Handler() http.Handler {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	for _, f := range []struct{ path, name, typ string }{
		{"/{$}", "page.html", "text/html; charset=utf-8"}, {"/wallet.css", "wallet.css", "text/css"}, {"/wallet.js", "wallet.js", "text/javascript"},
	} {
		mux.HandleFunc("GET "+f.path, func(w http.ResponseWriter, r *http.Request) {
			b, _ := files.ReadFile(f.name)
			w.Header().Set("Content-Type", f.typ)
			w.Write(b)
		})
	}
	mux.HandleFunc("GET /api/info", func(w http.ResponseWriter, r *http.Request) {
		answer(w, http.StatusOK, map[string]any{"chain_id": p.ChainID, "online": p.Ledger != nil})
	})
	mux.HandleFunc("GET /api/nonce/{owner}", p.nonce)
	mux.HandleFunc("GET /api/tokens/{owner}", p.tokens)
	mux.HandleFunc("POST /api/submit", p.submit)
	mux.HandleFunc("POST /api/verify", p.verify)
	mux.HandleFunc("POST /api/qr", p.qr)
	return localweb.GuardHosts(mux, p.Logger, nil, p.Hosts)
}

// answer writes JSON; a refusal is {"message": ...} with its status.
func answer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func refuse(w http.ResponseWriter, code int, msg string) {
	answer(w, code, map[string]string{"message": msg})
}

// online answers 409 when the page has no node.
func (p *Page) online(w http.ResponseWriter) bool {
	if p.Ledger == nil {
		refuse(w, http.StatusConflict, "No validation node: start the wallet with --node to reach the ledger.")
	}
	return p.Ledger != nil
}

func (p *Page) nonce(w http.ResponseWriter, r *http.Request) {
	if !p.online(w) {
		return
	}
	var n uint64
	if err := p.Ledger.Query(r.Context(), "/nonce/"+r.PathValue("owner"), &n); err != nil {
		refuse(w, http.StatusBadGateway, "The ledger did not answer: "+err.Error())
		return
	}
	answer(w, http.StatusOK, map[string]uint64{"nonce": n})
}

// tokenView is a token as the page lists it.
type tokenView struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	State        string `json:"state"`
	ProvedHeight int64  `json:"proved_height"`
}

func (p *Page) tokens(w http.ResponseWriter, r *http.Request) {
	if !p.online(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	toks, err := wallet.OwnerTokens(ctx, p.Ledger, r.PathValue("owner"))
	if err != nil {
		refuse(w, http.StatusBadGateway, "Your tokens could not be read: "+err.Error())
		return
	}
	out := make([]tokenView, 0, len(toks))
	for _, t := range toks {
		out = append(out, tokenView{ID: t.ID, Title: t.Title, State: t.State, ProvedHeight: t.Proved.Height})
	}
	answer(w, http.StatusOK, out)
}

// submit relays a transaction the page signed, after checking it is one
// the page makes; the ledger checks the rest and its refusal is answered
// with the contract's code and words.
func (p *Page) submit(w http.ResponseWriter, r *http.Request) {
	if !p.online(w) {
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		refuse(w, http.StatusRequestEntityTooLarge, "The transaction is too large.")
		return
	}
	tx, err := contract.DecodeTx(raw)
	if err != nil || !relayed[tx.Type] {
		refuse(w, http.StatusBadRequest, "Not a transaction this page makes (an owner registration or a transfer).")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	res, err := p.Ledger.Submit(ctx, "wallet page", raw)
	var code contract.Code
	if errors.As(err, &code) {
		msg := code.Error()
		if code == contract.CodeOwnerExists {
			msg = "You are already registered: nothing more to do."
		}
		answer(w, http.StatusUnprocessableEntity, map[string]any{"code": code, "name": code.Name(), "message": msg})
		return
	}
	if err != nil {
		refuse(w, http.StatusBadGateway, "The ledger did not take it: "+err.Error())
		return
	}
	answer(w, http.StatusOK, map[string]any{"code": 0, "height": res.Height})
}

func (p *Page) verify(w http.ResponseWriter, r *http.Request) {
	if !p.online(w) {
		return
	}
	text, err := io.ReadAll(r.Body)
	if err != nil {
		refuse(w, http.StatusRequestEntityTooLarge, "The receipt is too long.")
		return
	}
	v, err := wallet.VerifyReceipt(r.Context(), p.Ledger, string(text))
	if err != nil {
		refuse(w, http.StatusBadRequest, "The receipt does not check out: "+err.Error())
		return
	}
	answer(w, http.StatusOK, map[string]string{"message": "Your copy is on the ledger: copy " + v.Copy.JobID + " of token " + v.Copy.Token +
		" (" + v.Copy.Title + "), made at station " + v.Copy.Station + "."})
}

// qr draws a copy code as an SVG; it draws nothing but grant codes.
func (p *Page) qr(w http.ResponseWriter, r *http.Request) {
	text, err := io.ReadAll(r.Body)
	if err != nil {
		refuse(w, http.StatusRequestEntityTooLarge, "The code is too long.")
		return
	}
	if _, _, err := grantcode.Decode(string(text)); err != nil {
		refuse(w, http.StatusBadRequest, "Not a copy code: "+err.Error())
		return
	}
	c, err := qr.Encode(string(text))
	if err != nil {
		refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	io.WriteString(w, c.SVG("copy code for the kiosk"))
}
