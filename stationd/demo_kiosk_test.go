//go:build !nonode

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoKiosk: `stationd demo --kiosk` serves the catalog on loopback,
// prints a demo wallet and a copy code, and the code it prints starts a
// copy on the screen.
func TestDemoKiosk(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	sctx, stop := context.WithCancel(ctx)
	go func() { done <- runDemoKiosk(sctx, &out, 4, "", "127.0.0.1:0", func(b string) { ready <- b }) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("demo --kiosk stopped: %v\n%s", err, out.String())
	}
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("demo --kiosk = %v", err)
		}
	}()
	for _, want := range []string{"Kiosk screen:   " + base, "Demo wallet:", "passphrase", "PIN 2468"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("The Copy Station Story")) || !bytes.Contains(body, []byte("Blank Disc Blues")) {
		t.Fatalf("GET / = %d:\n%s", resp.StatusCode, body)
	}
	resp, err = http.Get(base + "/title/demo-short")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(`id="home"`)) || !bytes.Contains(body, []byte(`id="homepin"`)) {
		t.Errorf("GET /title/demo-short offers no home copy with a PIN:\n%s", body)
	}
	code := regexp.MustCompile(`CSG1:[A-Za-z0-9_-]+`).FindString(out.String())
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.PostForm(base+"/title/demo-film/copy", url.Values{"code": {code}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/copy/") {
		t.Errorf("POST the printed code = %d to %q, want 303 to /copy/JOB", resp.StatusCode, loc)
	}
}
