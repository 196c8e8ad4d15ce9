package screen_test

import (
	"context"
	"image/color"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"copystation/stationd/api"
	"copystation/stationd/screen"
	"copystation/stationd/simstation"
)

// BenchmarkCatalogFirstScreen measures, in a headless Chromium on
// loopback, the time from navigating to the catalog until its first title
// is visible (ms/first-screen), and the catalog page's weight: the HTML,
// stylesheet, script and one poster (page-bytes). The catalog needs no
// daemon, so the screen's client points at a socket nobody serves.
func BenchmarkCatalogFirstScreen(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := b.TempDir()
	nw, err := simstation.StartNetwork(ctx, filepath.Join(dir, "node"))
	if err != nil {
		b.Fatal(err)
	}
	defer nw.Close()
	titles := filepath.Join(dir, "titles")
	for _, id := range []string{"film", "film-2", "film-3"} {
		if _, err := simstation.MakeTitle(ctx, nw, titles, id, 1<<20, 1); err != nil {
			b.Fatal(err)
		}
		if err := screen.WriteDisplay(titles, id, screen.Display{Name: "Film " + id, RunningMinutes: 90},
			screen.PlainPoster(color.RGBA{0x0b, 0x5c, 0xad, 0xff}, color.RGBA{0x11, 0x11, 0x22, 0xff})); err != nil {
			b.Fatal(err)
		}
	}
	srv, err := screen.New(screen.Config{Station: api.NewClient(filepath.Join(dir, "none.sock")), TitlesDir: titles})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := screen.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	defer func() { stop(); <-done }()
	base := "http://" + ln.Addr().String()

	var weight int64
	for _, p := range []string{"/", "/static/kiosk.css", "/static/kiosk.js", "/poster/film"} {
		resp, err := http.Get(base + p)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		weight += n
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(b)), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(b.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := chromedp.Do(bctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#title-film"))); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		if b.N > 1 {
			b.StopTimer()
			if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/first-screen")
	// The browser's own account of the last load, from navigation start:
	// the HTML received, the DOM ready, every image and script loaded.
	// (Headless Chromium reports no paint timing.)
	timing, err := chromedp.Run(bctx, chromedp.Evaluate[[]float64](`(() => { const n = performance.getEntriesByType("navigation")[0];
		return [n.responseEnd, n.domContentLoadedEventEnd, n.loadEventEnd]; })()`))
	if err == nil && len(timing) == 3 {
		b.ReportMetric(timing[0], "ms-html")
		b.ReportMetric(timing[1], "ms-dom")
		b.ReportMetric(timing[2], "ms-load")
	}
	b.ReportMetric(float64(weight), "page-bytes")
}
