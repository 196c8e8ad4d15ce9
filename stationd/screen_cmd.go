package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"copystation/stationd/api"
	"copystation/stationd/notify"
	"copystation/stationd/screen"
)

// cmdScreen serves the kiosk screen for the daemon on --socket.
func cmdScreen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stationd screen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8088", "loopback address (or unix:/path) for the kiosk browser")
	socket := fs.String("socket", "/run/stationd/stationd.sock", "the daemon's API socket")
	titles := fs.String("titles", "/var/lib/stationd/titles", "the daemon's titles_dir (packages, display sidecars, posters)")
	pinFile := fs.String("staff-pin-file", "", "file holding the staff PIN (4 to 12 digits); none: no staff view")
	homeFile := fs.String("home-tokens", "", "home appliance: file of tokens the station owns, one \"TOKEN TITLE\" a line")
	homePinFile := fs.String("home-pin-file", "", "home appliance: file holding the owner's PIN for copies (optional)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := screen.Config{Station: api.NewClient(*socket), TitlesDir: *titles, Logger: slog.New(slog.NewTextHandler(stderr, nil))}
	var err error
	if cfg.StaffPIN, err = readPIN(*pinFile); err == nil {
		cfg.HomePIN, err = readPIN(*homePinFile)
	}
	if err == nil && *homeFile != "" {
		var b []byte
		if b, err = os.ReadFile(*homeFile); err == nil {
			cfg.HomeTokens, err = screen.ParseHomeTokens(b)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "stationd screen: %v\n", err)
		return 1
	}
	srv, err := screen.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "stationd screen: %v\n", err)
		return 1
	}
	ln, err := screen.Listen(*listen)
	if err != nil {
		fmt.Fprintf(stderr, "stationd screen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "kiosk screen on http://%s/ (staff view: /staff)\n", ln.Addr())
	// Type=notify in stationd-screen.service: ready once the address is bound.
	if err := notify.FromEnv().Ready("kiosk screen on " + ln.Addr().String()); err != nil {
		fmt.Fprintf(stderr, "stationd screen: tell systemd: %v\n", err)
	}
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "stationd screen: %v\n", err)
		return 1
	}
	return 0
}

// readPIN reads a PIN file ("" for no file).
func readPIN(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	return strings.TrimSpace(string(b)), err
}
