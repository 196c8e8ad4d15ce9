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
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pin := ""
	if *pinFile != "" {
		b, err := os.ReadFile(*pinFile)
		if err != nil {
			fmt.Fprintf(stderr, "stationd screen: %v\n", err)
			return 1
		}
		pin = strings.TrimSpace(string(b))
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := screen.New(screen.Config{Station: api.NewClient(*socket), TitlesDir: *titles, StaffPIN: pin, Logger: log})
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
	if err := srv.Serve(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "stationd screen: %v\n", err)
		return 1
	}
	return 0
}
