package simdaemon

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"copystation/stationd/config"
	"copystation/stationd/daemon"
	"copystation/stationd/job"
	"copystation/stationd/notify"
)

// Main runs a station daemon on simulated parts against given validation
// nodes until ctx ends: `stationd simrun ARGS` and `stationd-simrun simrun
// ARGS` both come here. hook is the crash test's (nil outside tests). Not
// for production.
func Main(ctx context.Context, args []string, stderr io.Writer, hook func(job.Job)) int {
	fs := flag.NewFlagSet("stationd simrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "the station's state directory (TPM simulator, journal, titles)")
	node := fs.String("node", "", "a validation node: ADDRESS,NOISE_KEY_HEX,SIGNING_KEY_HEX")
	group := fs.String("group", "", "the network's custody group in hex (genesis custody.group)")
	playersFlag := fs.String("players", "", "the network's player tree: TREE,DEPTH")
	drives := fs.Int("drives", 1, "simulated burners")
	speed := fs.Int("speed", 16, "simulated write speed (x BD)")
	scale := fs.Float64("time-scale", 0, "simulated time scale (0: as fast as the machine goes)")
	media := fs.String("media", "bd-r-25", "blank media: bd-r-25, bd-r-50 or bd-re-25")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	parts := strings.Split(*node, ",")
	pp := strings.Split(*playersFlag, ",")
	depth, derr := strconv.Atoi(pp[min(1, len(pp)-1)])
	g, gerr := hex.DecodeString(*group)
	if *dir == "" || len(parts) != 3 || len(pp) != 2 || derr != nil || gerr != nil || len(g) == 0 {
		fmt.Fprintln(stderr, "stationd simrun: give --dir, --node ADDRESS,NOISE_KEY_HEX,SIGNING_KEY_HEX, --group GROUP_HEX and --players TREE,DEPTH")
		return 2
	}
	m, err := ParseMedia(*media)
	if err != nil {
		fmt.Fprintf(stderr, "stationd simrun: %v\n", err)
		return 2
	}
	daemon.SetGCPercent()
	keys, err := OpenKeys(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "stationd simrun: %v\n", err)
		return 1
	}
	defer keys.Close()
	var l slog.Level
	l.UnmarshalText([]byte(*level))
	st, err := Start(ctx, keys, Options{Dir: *dir, Drives: *drives, SpeedX: *speed, TimeScale: *scale, Media: m,
		Nodes: []config.Node{{Address: parts[0], StaticKey: parts[1], SigningKey: parts[2]}}, Group: g,
		Players: config.Players{Tree: pp[0], Depth: depth},
		Logger:  slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l})), Notifier: notify.FromEnv(), AfterTransition: hook})
	if err != nil {
		fmt.Fprintf(stderr, "stationd simrun: %v\n", err)
		return 1
	}
	<-ctx.Done()
	if err := st.Stop(); err != nil {
		fmt.Fprintf(stderr, "stationd simrun: %v\n", err)
		return 1
	}
	return 0
}
