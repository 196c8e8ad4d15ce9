package page

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"copystation/grantcode"
	"copystation/stationd/simstation"
	"copystation/wallet"
)

// TestPage: the wallet's page against a real node: a copy code made from
// the form is a grant signed by the wallet, the tokens are read with their
// proofs, a bad receipt is refused, and a cross-site post is refused.
func TestPage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, err := simstation.StartNetwork(ctx, filepath.Join(dir, "node"))
	if err != nil {
		t.Fatal(err)
	}
	defer nw.Close()
	if _, err := simstation.MakeTitle(ctx, nw, filepath.Join(dir, "titles"), "film", 1<<20, 1); err != nil {
		t.Fatal(err)
	}
	w, err := wallet.Create(filepath.Join(dir, "w"), []byte("phone-pass"), wallet.KDF{Time: 1, MemoryKiB: 64, Threads: 1}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := nw.Mint(ctx, "tok-7", "film", w.PublicKey()); err != nil {
		t.Fatal(err)
	}
	chain, _ := nw.Node.Ledger.ChainID(ctx)
	h := (&Page{W: w, Ledger: nw.Node.Ledger, ChainID: chain}).Handler()
	do := func(method, path string, form url.Values, site string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Host = "127.0.0.1:8099"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", site)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := do("POST", "/grant", url.Values{"station": {"0123456789abcdef0123456789abcdef"}, "title": {"film"}, "token": {"tok-7"}, "minutes": {"5"}}, "same-origin")
	code := regexp.MustCompile(`CSG1:[A-Za-z0-9_-]+`).FindString(rec.Body.String())
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<svg") || code == "" {
		t.Fatalf("POST /grant = %d:\n%s", rec.Code, rec.Body)
	}
	_, g, err := grantcode.Decode(code)
	if err != nil || g.Verify(w.PublicKey()) != nil || g.Grant.ChainID != chain || g.Grant.TokenID != "tok-7" {
		t.Errorf("the page's code = %+v, %v; want a grant for tok-7 signed by the wallet", g, err)
	}
	if rec := do("GET", "/tokens?ids=tok-7", nil, "same-origin"); !strings.Contains(rec.Body.String(), "<td>tok-7</td><td>film</td><td>unspent</td><td>yes</td>") {
		t.Errorf("GET /tokens = %d:\n%s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/verify", url.Values{"receipt": {"copystation:copy?job=x"}}, "same-origin"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "does not check out") {
		t.Errorf("POST /verify garbage = %d:\n%s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/grant", url.Values{"station": {"s"}, "title": {"film"}, "token": {"tok-7"}}, "cross-site"); rec.Code != http.StatusForbidden {
		t.Errorf("cross-site POST /grant = %d, want 403", rec.Code)
	}
}
