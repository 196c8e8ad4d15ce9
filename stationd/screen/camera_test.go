package screen_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"copystation/internal/localweb"
	"copystation/stationd/api"
	"copystation/stationd/screen"
	"copystation/wallet/page"
)

// pageGrant is the customer's phone: the wallet page (wallet/page) in its
// own headless Chromium makes a key, is given token (minted to the key it
// shows), makes a copy code for this station and film and shows it; the
// answer is a PNG of the QR code as the page draws it.
func (r *kioskRig) pageGrant(ctx context.Context, t *testing.T, token string) []byte {
	t.Helper()
	ln, err := localweb.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: (&page.Page{Ledger: r.nw.Node.Ledger, ChainID: r.chain}).Handler(), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox,
		chromedp.WindowSize(480, 1400), chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	phone, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(phone); err != nil { // start the browser on phone, not on a step's shorter context
		t.Fatal(err)
	}
	run(t, phone, 60*time.Second,
		chromedp.Navigate("http://"+ln.Addr().String()+"/"),
		chromedp.WaitVisible(chromedp.CSS("#create")),
		chromedp.SendKeys(chromedp.CSS("#new-pass"), "phone passphrase"),
		chromedp.SendKeys(chromedp.CSS("#new-pass2"), "phone passphrase"),
		chromedp.Click(chromedp.CSS("#create")),
		chromedp.WaitVisible(chromedp.CSS("#open")))
	pub, err := hex.DecodeString(text(t, phone, "#public-key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.nw.Mint(ctx, token, "film", pub); err != nil {
		t.Fatal(err)
	}
	run(t, phone, 30*time.Second,
		chromedp.SendKeys(chromedp.CSS("#station"), r.keys.ID),
		chromedp.SendKeys(chromedp.CSS("#title"), "film"),
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS("#make-grant")),
		chromedp.WaitVisible(chromedp.CSS("#grant-qr svg")))
	png, err := chromedp.Run(phone, chromedp.Screenshot(chromedp.CSS("#grant-qr")))
	if err != nil {
		t.Fatal(err)
	}
	return png
}

// cameraFeed makes the fake camera's video: a QR code PNG on a white
// 640×480 frame, written as a YUV4MPEG2 file (4:2:0, grey: chroma 128)
// that Chromium plays in a loop with --use-file-for-fake-video-capture.
func cameraFeed(t *testing.T, p []byte) string {
	t.Helper()
	code, err := png.Decode(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 640, 480
	frame := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.Gray{0xff}), image.Point{}, draw.Src)
	at := image.Pt((w-code.Bounds().Dx())/2, (h-code.Bounds().Dy())/2)
	if at.X < 0 || at.Y < 0 {
		t.Fatalf("the grant's QR code (%v) does not fit a %d×%d frame", code.Bounds().Size(), w, h)
	}
	draw.Draw(frame, code.Bounds().Add(at), code, code.Bounds().Min, draw.Src)
	path := filepath.Join(t.TempDir(), "camera.y4m")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	chroma := bytes.Repeat([]byte{128}, w*h/4)
	for range 5 {
		bw.WriteString("FRAME\n")
		bw.Write(frame.Pix)
		bw.Write(chroma)
		bw.Write(chroma)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// cameraFlow: the customer holds the phone's code to the kiosk's camera
// (Chromium's fake camera playing the QR code the wallet page drew): the
// screen reads it, starts the copy as a scanned code would, and the copy
// is made.
func cameraFlow(t *testing.T, r *kioskRig, b context.Context) {
	run(t, b, 20*time.Second,
		chromedp.Navigate(r.base+"/title/film"),
		chromedp.WaitVisible(chromedp.CSS("#camera-start")))
	has, err := chromedp.Run(b, chromedp.Evaluate[bool](`"BarcodeDetector" in window`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BarcodeDetector in this Chromium: %v (false: frames are decoded by the screen, POST /scan)", has)
	run(t, b, 60*time.Second,
		chromedp.Click(chromedp.CSS("#camera-start")),
		chromedp.WaitVisible(chromedp.CSS("#progress .phase")))
	run(t, b, 90*time.Second, chromedp.WaitVisible(chromedp.CSS("#receipt")))
	if tok, err := r.nw.Token("tok-cam"); err != nil || tok.State != "spent" {
		t.Errorf("token after the camera's copy = %+v, %v; want spent", tok, err)
	}
}

// TestScanRefusals: the frame endpoint answers a frame with no code 204,
// a body that is not a frame 400, a frame larger than the bound 413, and
// a cross-site post 403, without a browser.
func TestScanRefusals(t *testing.T) {
	h := screenHandler(t)
	tests := []struct {
		name, query, site string
		body              []byte
		want              int
	}{
		{"blank frame", "w=64&h=64", "same-origin", make([]byte, 64*64), http.StatusNoContent},
		{"short frame", "w=64&h=64", "same-origin", make([]byte, 100), http.StatusBadRequest},
		{"no size", "", "same-origin", make([]byte, 64*64), http.StatusBadRequest},
		{"too large", "w=1280&h=720", "same-origin", make([]byte, 1280*720), http.StatusRequestEntityTooLarge},
		{"cross-site", "w=64&h=64", "cross-site", make([]byte, 64*64), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(h, "/scan?"+tt.query, tt.site, tt.body)
			if rec.Code != tt.want {
				t.Errorf("POST /scan?%s = %d %s, want %d", tt.query, rec.Code, strings.TrimSpace(rec.Body.String()), tt.want)
			}
		})
	}
}

// screenHandler is a screen whose daemon is absent: enough for requests
// that need none.
func screenHandler(t *testing.T) http.Handler {
	t.Helper()
	s, err := screen.New(screen.Config{Station: api.NewClient(filepath.Join(t.TempDir(), "none.sock")), TitlesDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

// post sends a body as a page of site would.
func post(h http.Handler, path, site string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, bytes.NewReader(body))
	req.Host = "127.0.0.1:8088"
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Sec-Fetch-Site", site)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
