package screen_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"periph.io/x/conn/v3/gpio"

	"copystation/wallet"
)

// TestKioskInChromium drives the kiosk screen in a real headless Chromium
// against a simulated station: a customer's copy from the catalog to the
// receipt with a grant from the wallet's QR code typed by a scanner, a
// second copy whose code the wallet page makes and the camera reads (a
// fake camera playing the page's QR code), a refusal (the token is
// already used), the staff view (out of blanks, tamper latch and clear)
// and the staff PIN's lockout. No request leaves the screen's address.
func TestKioskInChromium(t *testing.T) {
	// A bound, not a measure: the run takes about two minutes alone and
	// more under -race on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	r := startRig(ctx, t, "tok-1")
	loopbackOnly(t, r.base)
	r.camera = cameraFeed(t, r.pageGrant(ctx, t, "tok-cam"))
	b := r.browser(ctx, t)

	t.Run("customer copy to receipt", func(t *testing.T) { customerFlow(t, r, b) })
	t.Run("code read by the camera", func(t *testing.T) { cameraFlow(t, r, b) })
	t.Run("token already used", func(t *testing.T) { refusalFlow(t, r, b) })
	t.Run("codes refused before any job", func(t *testing.T) { codeRefusals(t, r, b) })
	t.Run("home appliance's own token", func(t *testing.T) { homeFlow(t, r, b) })
	t.Run("staff view", func(t *testing.T) { staffFlow(ctx, t, r) })
	t.Run("PIN lockout", func(t *testing.T) { lockoutFlow(ctx, t, r) })
	if off := r.offMachine(); len(off) > 0 {
		t.Errorf("requests left the screen's address: %q", off)
	}
}

// run runs browser steps within timeout, failing with where the browser
// was and what it showed.
func run(t *testing.T, ctx context.Context, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("chromedp: %v (at %s: %q)", err, loc, body)
	}
}

// text reads an element's text.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func customerFlow(t *testing.T, r *kioskRig, b context.Context) {
	run(t, b, 20*time.Second,
		chromedp.Navigate(r.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#title-film")))
	if name := text(t, b, "#title-film .name"); name != "The Copy Station Story" {
		t.Errorf("catalog shows %q, want the title's display name", name)
	}
	screenshot(b, t, "1-catalog")
	run(t, b, 10*time.Second,
		chromedp.Click(chromedp.CSS("#title-film")),
		chromedp.WaitVisible(chromedp.CSS("#code")))
	if station := text(t, b, "#station-id"); station != r.keys.ID {
		t.Errorf("title page names station %q, want %q", station, r.keys.ID)
	}
	screenshot(b, t, "2-title")
	code := r.scanGrant(t, "tok-1")
	// The scanner types the code and an Enter, as a keyboard would.
	run(t, b, 20*time.Second,
		chromedp.SendKeys(chromedp.CSS("#code"), code+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#progress .phase")))
	screenshot(b, t, "3-progress")
	run(t, b, 90*time.Second, chromedp.WaitVisible(chromedp.CSS("#receipt")))
	link := text(t, b, "#receipt-link")
	screenshot(b, t, "4-receipt")
	v, err := wallet.VerifyReceipt(context.Background(), r.nw.Node.Ledger, link)
	if err != nil {
		t.Fatalf("wallet.VerifyReceipt(%q) = %v", link, err)
	}
	if v.Copy.Token != "tok-1" || v.Proved == nil || text(t, b, "#copy-id") == "" {
		t.Errorf("receipt's copy = %+v, want token tok-1, proved, a copy ID shown", v.Copy)
	}
	if tok, err := r.nw.Token("tok-1"); err != nil || tok.State != "spent" {
		t.Errorf("token after the copy = %+v, %v; want spent", tok, err)
	}
}

func refusalFlow(t *testing.T, r *kioskRig, b context.Context) {
	code := r.scanGrant(t, "tok-1")
	run(t, b, 60*time.Second,
		chromedp.Navigate(r.base+"/title/film"),
		chromedp.WaitVisible(chromedp.CSS("#code")),
		chromedp.SendKeys(chromedp.CSS("#code"), code+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#refusal")))
	head := text(t, b, "#refusal h2")
	kind, err := chromedp.Run(b, chromedp.AttributeValue(chromedp.CSS("#refusal"), "data-code"))
	if err != nil || kind.Value != "token_spent" || !strings.Contains(head, "already been used") {
		t.Errorf("refusal = %q (code %q, %v), want the token already used", head, kind.Value, err)
	}
	screenshot(b, t, "5-refusal")
}

// codeRefusals: codes the station can judge itself are refused on the
// title page, in a customer's words, and no job is made.
func codeRefusals(t *testing.T, r *kioskRig, b context.Context) {
	grant := func(now time.Time, station, title string) string {
		text, err := r.wallet.Grant(rand.Reader, now, wallet.GrantRequest{ChainID: r.chain, StationID: station, TitleID: title, TokenID: "tok-1"})
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	good := grant(time.Now(), r.keys.ID, "film")
	tests := []struct{ name, code, want string }{
		{"expired", grant(time.Now().Add(-10*time.Minute), r.keys.ID, "film"), "grant_expired"},
		{"another station", grant(time.Now(), "0123456789abcdef0123456789abcdef", "film"), "grant_mismatch"},
		{"another film", grant(time.Now(), r.keys.ID, "other-film"), "grant_mismatch"},
		{"a product barcode", "4006381333931", "not_grant"},
		{"half a scan", good[:len(good)/2], "damaged"},
	}
	before, err := r.st.Client.Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run(t, b, 20*time.Second,
				chromedp.Navigate(r.base+"/title/film"),
				chromedp.WaitVisible(chromedp.CSS("#code")),
				chromedp.SendKeys(chromedp.CSS("#code"), tt.code+kb.Enter),
				chromedp.WaitVisible(chromedp.CSS("#refusal")))
			kind, err := chromedp.Run(b, chromedp.AttributeValue(chromedp.CSS("#refusal"), "data-code"))
			if err != nil || kind.Value != tt.want {
				t.Errorf("refusal code %q (%v), want %q: %s", kind.Value, err, tt.want, text(t, b, "#refusal"))
			}
		})
	}
	if after, err := r.st.Client.Jobs(context.Background()); err != nil || len(after) != len(before) {
		t.Errorf("jobs %d before, %d after (%v): a refused code made a job", len(before), len(after), err)
	}
}

// homeFlow copies with the station's own token: a confirmation and the
// owner's PIN, no phone; a wrong PIN is refused first.
func homeFlow(t *testing.T, r *kioskRig, b context.Context) {
	run(t, b, 20*time.Second,
		chromedp.Navigate(r.base+"/title/film"),
		chromedp.WaitVisible(chromedp.CSS("#home")),
		chromedp.SendKeys(chromedp.CSS("#homepin"), "0000"),
		chromedp.Click(chromedp.CSS("#home-confirm")),
		chromedp.WaitVisible(chromedp.CSS("#refusal")))
	if kind, err := chromedp.Run(b, chromedp.AttributeValue(chromedp.CSS("#refusal"), "data-code")); err != nil || kind.Value != "home_pin" {
		t.Errorf("wrong home PIN: refusal %q (%v), want home_pin", kind.Value, err)
	}
	screenshot(b, t, "2b-home")
	run(t, b, 90*time.Second,
		chromedp.SendKeys(chromedp.CSS("#homepin"), homePIN),
		chromedp.Click(chromedp.CSS("#home-confirm")),
		chromedp.WaitVisible(chromedp.CSS("#receipt")))
	if tok, err := r.nw.Token("home-1"); err != nil || tok.State != "spent" {
		t.Errorf("home token after the copy = %+v, %v; want spent", tok, err)
	}
	run(t, b, 10*time.Second,
		chromedp.Navigate(r.base+"/title/film"),
		chromedp.WaitVisible(chromedp.CSS("#code")))
	if n, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll("#home").length`)); err != nil || n != 0 {
		t.Errorf("after its copy the home token is still offered (%d forms, %v)", n, err)
	}
}

func staffLogin(t *testing.T, b context.Context, base, pin string) {
	run(t, b, 10*time.Second,
		chromedp.Navigate(base+"/staff"),
		chromedp.WaitVisible(chromedp.CSS("#pin")),
		chromedp.SendKeys(chromedp.CSS("#pin"), pin+kb.Enter),
		chromedp.Sleep(200*time.Millisecond),
		chromedp.WaitReady(chromedp.CSS("footer")))
}

func staffFlow(ctx context.Context, t *testing.T, r *kioskRig) {
	b := r.browser(ctx, t)
	staffLogin(t, b, r.base, staffPIN)
	run(t, b, 10*time.Second, chromedp.WaitVisible(chromedp.CSS("#alerts")))
	screenshot(b, t, "6-staff")

	// A person takes the blanks out of the robot's input bin.
	r.st.Robot.Sim.SetInput(0)
	emptied := time.Now()
	run(t, b, 2*time.Second, chromedp.WaitVisible(chromedp.CSS(`#alerts [data-kind="out_of_blanks"]`)))
	t.Logf("out of blanks shown %v after the bin emptied", time.Since(emptied).Round(time.Millisecond))
	if left := text(t, b, "#bin-input"); left != "0" {
		t.Errorf("blanks left = %q, want 0", left)
	}
	screenshot(b, t, "7-staff-alerts")
	r.st.Robot.Sim.SetInput(5)

	// The enclosure opens and closes again: the alarm latches.
	r.tamper.Out(gpio.High)
	run(t, b, 5*time.Second, chromedp.WaitVisible(chromedp.CSS(`#alerts [data-kind="tamper"]`)))
	r.tamper.Out(gpio.Low)
	run(t, b, 5*time.Second,
		chromedp.Sleep(time.Second), // several refreshes of the board
		chromedp.WaitVisible(chromedp.CSS(`#alerts [data-kind="tamper"]`)))
	screenshot(b, t, "8-staff-tamper")
	run(t, b, 10*time.Second,
		chromedp.SendKeys(chromedp.CSS("#tcode"), tamperCode+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#alerts .ok")))
}

func lockoutFlow(ctx context.Context, t *testing.T, r *kioskRig) {
	b := r.browser(ctx, t)
	for i := range 3 {
		staffLogin(t, b, r.base, "0000")
		if msg := text(t, b, "#refusal"); !strings.Contains(msg, "Wrong PIN") {
			t.Fatalf("wrong PIN %d: %q, want Wrong PIN", i+1, msg)
		}
	}
	staffLogin(t, b, r.base, "0000")
	if msg := text(t, b, "#refusal"); !strings.Contains(msg, "locked") {
		t.Fatalf("fourth wrong PIN: %q, want locked", msg)
	}
	staffLogin(t, b, r.base, staffPIN)
	if msg := text(t, b, "#refusal"); !strings.Contains(msg, "locked") {
		t.Errorf("right PIN while locked: %q, want still locked", msg)
	}
	screenshot(b, t, "9-staff-locked")
}
