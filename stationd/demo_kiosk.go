//go:build !nonode

package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"time"

	"copystation/stationd/screen"
	"copystation/stationd/simstation"
	"copystation/wallet"
)

// Demo kiosk's fixed secrets: this is a demonstration on simulated parts.
const (
	demoPIN        = "2468"
	demoHomePIN    = "1357"
	demoPassphrase = "demo-passphrase"
)

// demoTitles are the demo catalog: ID, display, size as a share of --size.
var demoTitles = []struct {
	id      string
	display screen.Display
	share   int64
	from    color.RGBA
}{
	{"demo-film", screen.Display{Name: "The Copy Station Story", RunningMinutes: 96, Year: 2026,
		Synopsis: "A disc made once, for one person, and recorded for good."}, 1, color.RGBA{0x0b, 0x5c, 0xad, 0xff}},
	{"demo-short", screen.Display{Name: "Blank Disc Blues", RunningMinutes: 12, Year: 2025,
		Synopsis: "A short film about waiting in the input bin."}, 4, color.RGBA{0xa4, 0x16, 0x1a, 0xff}},
}

// runDemoKiosk starts the simulated station with the kiosk screen, prints
// its address and a demo customer's wallet, and serves until ctx ends.
// ready, if not nil, gets the screen's base URL.
func runDemoKiosk(ctx context.Context, out io.Writer, sizeMiB int, keep, listen string, ready func(string)) error {
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "stationd-kiosk-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	step := func(format string, a ...any) { fmt.Fprintf(out, "==> "+format+"\n", a...) }
	step("Starting an embedded validation node and its station gateway")
	nw, err := simstation.StartNetwork(ctx, filepath.Join(dir, "node"))
	if err != nil {
		return err
	}
	defer nw.Close()
	sdir := filepath.Join(dir, "station")
	keys, err := simstation.OpenKeys(sdir)
	if err != nil {
		return err
	}
	defer keys.Close()
	if _, err := nw.Enroll(ctx, keys.Signing, keys.Agreement); err != nil {
		return err
	}
	titles := filepath.Join(sdir, "titles")
	for i, t := range demoTitles {
		step("Issuer packages and registers %q", t.display.Name)
		size := max(int64(sizeMiB)<<20/t.share, 1<<20) &^ (64<<10 - 1)
		if _, err := simstation.MakeTitle(ctx, nw, titles, t.id, size, uint64(i+1)); err != nil {
			return err
		}
		if err := screen.WriteDisplay(titles, t.id, t.display, screen.PlainPoster(t.from, color.RGBA{0x11, 0x11, 0x22, 0xff})); err != nil {
			return err
		}
	}
	step("Making the demo customer's wallet and minting three tokens to it")
	wpath := filepath.Join(dir, "wallet.json")
	w, err := wallet.Create(wpath, []byte(demoPassphrase), wallet.DefaultKDF, rand.Reader)
	if err != nil {
		return err
	}
	for i := 1; i <= 3; i++ {
		if err := nw.Mint(ctx, fmt.Sprintf("demo-token-%d", i), "demo-film", w.PublicKey()); err != nil {
			return err
		}
	}
	step("Issuer mints demo-home-1 for %q to the station itself, as a home appliance owns its tokens", demoTitles[1].display.Name)
	if err := nw.Mint(ctx, "demo-home-1", demoTitles[1].id, keys.Signing); err != nil {
		return err
	}
	step("Starting the station daemon (one simulated burner at 2x, time sped up 5 times, 5 blanks)")
	nodes, group, players, err := nw.Pins()
	if err != nil {
		return err
	}
	st, err := simstation.Start(ctx, keys, simstation.Options{Dir: sdir, Nodes: nodes, Group: group, Players: players, Blanks: 5, SpeedX: 2, TimeScale: 0.2})
	if err != nil {
		return err
	}
	defer st.Stop()
	srv, err := screen.New(screen.Config{Station: st.Client, TitlesDir: titles, StaffPIN: demoPIN,
		HomeTokens: []screen.HomeToken{{Token: "demo-home-1", Title: demoTitles[1].id}}, HomePIN: demoHomePIN})
	if err != nil {
		return err
	}
	ln, err := screen.Listen(listen)
	if err != nil {
		return err
	}
	chain, err := nw.Node.Ledger.ChainID(ctx)
	if err != nil {
		return err
	}
	code, err := w.Grant(rand.Reader, time.Now(), wallet.GrantRequest{ChainID: chain, StationID: keys.ID, TitleID: "demo-film", TokenID: "demo-token-1", Life: wallet.MaxGrantLife})
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, `
Kiosk screen:   %s/        (open it in a browser; chromium --kiosk %s/ for the full screen)
Staff view:     %s/staff   PIN %s
Station ID:     %s
Ledger RPC:     %s   (chain %s)
Demo wallet:    %s   passphrase %q
                owns demo-token-1, demo-token-2, demo-token-3 for demo-film
Home appliance: the station owns demo-home-1 for demo-short: its page offers the copy
                with a confirmation and the owner's PIN %s, no phone

A copy code for demo-token-1, valid 15 minutes (type or paste it on the film's page, as a scanner would):
  %s

A fresh code, as a QR code and a PNG, from the wallet command:
  COPYSTATION_WALLET_PASSPHRASE=%s go run ./wallet/cmd/wallet grant --wallet %s \
    --node %s --station %s --title demo-film --token demo-token-2 --png grant.png

The wallet as a page for this machine's browser (its key is made in the browser;
give it a token with: wallet transfer --wallet %s --node %s --token demo-token-3 --to <its public key>):
  go run ./wallet/cmd/wallet serve --node %s

Press Ctrl-C to stop.
`, base, base, base, demoPIN, keys.ID, nw.Node.Config.RPCListen, chain, wpath, demoPassphrase, demoHomePIN, code,
		demoPassphrase, wpath, nw.Node.Config.RPCListen, keys.ID, wpath, nw.Node.Config.RPCListen, nw.Node.Config.RPCListen)
	if ready != nil {
		ready(base)
	}
	return srv.Serve(ctx, ln)
}
