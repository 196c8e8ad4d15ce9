package screen_test

import (
	"context"
	"crypto/rand"
	"flag"
	"image/color"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"copystation/internal/qr/qrtest"
	"copystation/internal/testenv"
	"copystation/stationd/config"
	"copystation/stationd/kiosk"
	"copystation/stationd/screen"
	"copystation/stationd/simstation"
	"copystation/wallet"
)

var shots = flag.String("screenshots", "", "write a PNG of each screen into this directory (docs/screens)")

const (
	staffPIN   = "2468"
	homePIN    = "1357"
	tamperCode = "open-sesame"
)

// kioskRig is a simulated station (embedded node, reference TPM, drive
// and robot simulators) with its kiosk screen on loopback, a customer's
// wallet owning tokens, and a headless Chromium.
type kioskRig struct {
	nw     *simstation.Network
	keys   *simstation.StationKeys
	st     *simstation.Station
	tamper *gpiotest.Pin
	wallet *wallet.Wallet
	base   string
	chain  string
	camera string // a y4m for the browsers' fake camera (cameraFeed)

	mu       sync.Mutex
	requests []string // every URL the browser asked for
}

func chromiumPath(t testing.TB) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.Require(t, "Chromium is not installed: apt-get install chromium")
	return ""
}

func startRig(ctx context.Context, t *testing.T, tokens ...string) *kioskRig {
	t.Helper()
	chromiumPath(t)
	dir := t.TempDir()
	r := &kioskRig{tamper: &gpiotest.Pin{N: "tamper"}}
	var err error
	if r.nw, err = simstation.StartNetwork(ctx, filepath.Join(dir, "node")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.nw.Close() })
	if r.keys, err = simstation.OpenKeys(filepath.Join(dir, "station")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.keys.Close() })
	if _, err := r.nw.Enroll(ctx, r.keys.Signing, r.keys.Agreement); err != nil {
		t.Fatal(err)
	}
	titles := filepath.Join(dir, "station", "titles")
	if _, err := simstation.MakeTitle(ctx, r.nw, titles, "film", 8<<20, 3); err != nil {
		t.Fatal(err)
	}
	if err := screen.WriteDisplay(titles, "film", screen.Display{Name: "The Copy Station Story", RunningMinutes: 96, Year: 2026,
		Synopsis: "A film about a disc that is made once, for one person, and recorded for good."},
		screen.PlainPoster(color.RGBA{0x0b, 0x5c, 0xad, 0xff}, color.RGBA{0x11, 0x11, 0x22, 0xff})); err != nil {
		t.Fatal(err)
	}
	if r.wallet, err = wallet.Create(filepath.Join(dir, "wallet.json"), []byte("customer-pass"), wallet.KDF{Time: 1, MemoryKiB: 64, Threads: 1}, rand.Reader); err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if err := r.nw.Mint(ctx, tok, "film", r.wallet.PublicKey()); err != nil {
			t.Fatal(err)
		}
	}
	// A token the station owns, as a home appliance's are.
	if err := r.nw.Mint(ctx, "home-1", "film", r.keys.Signing); err != nil {
		t.Fatal(err)
	}
	if r.chain, err = r.nw.Node.Ledger.ChainID(ctx); err != nil {
		t.Fatal(err)
	}
	panel := func(_ config.Config, wipe func()) (*kiosk.Panel, error) {
		return kiosk.New(kiosk.Pins{Door: &gpiotest.Pin{N: "door"}, Tamper: r.tamper, Ready: &gpiotest.Pin{N: "ready"},
			Busy: &gpiotest.Pin{N: "busy"}, ErrorLight: &gpiotest.Pin{N: "error"}}, tamperCode, wipe)
	}
	// 8 MiB at 1x sped up 2 times: about a second of writing, so the
	// progress screen is seen.
	nodes, group, players, err := r.nw.Pins()
	if err != nil {
		t.Fatal(err)
	}
	if r.st, err = simstation.Start(ctx, r.keys, simstation.Options{Dir: filepath.Join(dir, "station"), Nodes: nodes, Group: group, Players: players,
		Blanks: 5, SpeedX: 1, TimeScale: 0.5, Panel: panel}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.st.Stop() })
	srv, err := screen.New(screen.Config{Station: r.st.Client, TitlesDir: titles, StaffPIN: staffPIN, Poll: 200 * time.Millisecond,
		HomeTokens: []screen.HomeToken{{Token: "home-1", Title: "film"}}, HomePIN: homePIN})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := screen.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() { stop(); <-done })
	r.base = "http://" + ln.Addr().String()
	return r
}

// browser opens a fresh headless Chromium (its own profile: no cookies)
// that records every request it makes.
func (r *kioskRig) browser(ctx context.Context, t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()))
	if r.camera != "" {
		// A fake camera playing the file, and camera permission granted
		// without a prompt (a kiosk sets this by policy).
		opts = append(opts, chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
			chromedp.Flag("use-file-for-fake-video-capture", r.camera))
	}
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			r.mu.Lock()
			r.requests = append(r.requests, e.Request.URL)
			r.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	return bctx
}

// offMachine lists requests that went anywhere but the screen itself.
func (r *kioskRig) offMachine() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, u := range r.requests {
		p, err := url.Parse(u)
		if err != nil || ("http://"+p.Host != r.base && p.Scheme != "data") {
			out = append(out, u)
		}
	}
	return out
}

// scanGrant makes a grant in the wallet, draws its PNG, decodes the PNG
// as a scanner would and returns the text the scanner types.
func (r *kioskRig) scanGrant(t *testing.T, token string) string {
	t.Helper()
	text, err := r.wallet.Grant(rand.Reader, time.Now(), wallet.GrantRequest{ChainID: r.chain, StationID: r.keys.ID, TitleID: "film", TokenID: token})
	if err != nil {
		t.Fatal(err)
	}
	png, err := wallet.GrantPNG(text)
	if err != nil {
		t.Fatal(err)
	}
	got, err := qrtest.Decode(png)
	if err != nil {
		t.Fatal(err)
	}
	if got != text {
		t.Fatalf("the grant's QR code decodes to %q, want %q", got, text)
	}
	return got
}

// screenshot saves the page when -screenshots is set.
func screenshot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	if *shots == "" {
		return
	}
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*shots, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func loopbackOnly(t *testing.T, addr string) {
	t.Helper()
	host, _, _ := net.SplitHostPort(strings.TrimPrefix(addr, "http://"))
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Fatalf("screen listens on %s, want loopback", addr)
	}
}
