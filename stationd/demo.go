package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"copystation/burn/titlepkg"
	"copystation/media/film"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/stationd/simstation"
	"copystation/tracing/tardos"
)

// DemoResult is what `stationd demo --json` prints last.
type DemoResult struct {
	StationID string      `json:"station_id"`
	TitleID   string      `json:"title_id"`
	Copy      DemoReceipt `json:"copy"`
	Refusal   DemoRefusal `json:"second_attempt"`
}

// DemoReceipt is the receipt of the burned copy.
type DemoReceipt struct {
	CopyID     string `json:"copy_id"`
	JobID      string `json:"job_id"`
	Token      string `json:"token"`
	MediaID    string `json:"media_id"`
	Height     int64  `json:"ledger_height"`
	TxHash     string `json:"tx_hash"`
	DiscDigest string `json:"disc_digest"`
	Attempts   int    `json:"attempts"`
	Bytes      int64  `json:"image_bytes"`
	// PlayedBack: a player read the disc (header, media ID binding, key
	// block, every cluster) and its image is the title's with this copy's
	// forensic variants. The codeword itself is not shown: it is committed
	// on the ledger for the issuer's forensics, never published.
	PlayedBack bool `json:"played_back"`
}

// DemoRefusal is how the second copy with the same token was refused.
type DemoRefusal struct {
	JobID   string `json:"job_id"`
	State   string `json:"state"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stationd demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "end with one JSON object holding the receipt and the refusal (narration goes to stderr)")
	sizeMiB := fs.Int("size", 96, "size of the demo title's image in MiB")
	keep := fs.String("keep", "", "keep the demo's state in this directory instead of a temporary one")
	kiosk := fs.Bool("kiosk", false, "serve the kiosk screen on the simulated station and wait (print its address and a demo wallet)")
	listen := fs.String("listen", "127.0.0.1:8088", "with --kiosk: the screen's loopback address")
	withFilm := fs.Bool("film", false, "burn a real film (a Blu-ray movie made with ffmpeg) instead of a generated image; with --keep, the decrypted copy stays as DIR/copy.udf")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *kiosk {
		if err := runDemoKiosk(ctx, stdout, *sizeMiB, *keep, *listen, nil); err != nil {
			fmt.Fprintf(stderr, "stationd demo --kiosk: %v\n", err)
			return 1
		}
		return 0
	}
	say := stdout
	if *asJSON {
		say = stderr
	}
	res, err := runDemo(ctx, say, *sizeMiB, *keep, *withFilm)
	if err != nil {
		fmt.Fprintf(stderr, "stationd demo: %v\n", err)
		return 1
	}
	if *asJSON {
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		e.Encode(res)
	}
	return 0
}

// demoPlayerLeaf is the demo player's leaf in the network's player tree.
const demoPlayerLeaf = 1

func runDemo(ctx context.Context, out io.Writer, sizeMiB int, keep string, withFilm bool) (*DemoResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "stationd-demo-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	step := func(format string, a ...any) { fmt.Fprintf(out, "==> "+format+"\n", a...) }

	step("Starting an embedded validation node (CometBFT, copy-token contract) and its station gateway")
	nw, err := simstation.StartNetwork(ctx, filepath.Join(dir, "node"))
	if err != nil {
		return nil, err
	}
	defer nw.Close()
	fmt.Fprintf(out, "    gateway on %s (Noise, node key pinned by the station)\n", nw.Addr)

	step("Opening the station's TPM (the in-process reference TPM) and its station keys")
	sdir := filepath.Join(dir, "station")
	keys, err := simstation.OpenKeys(sdir)
	if err != nil {
		return nil, err
	}
	defer keys.Close()
	fmt.Fprintf(out, "    station ID %s\n", keys.ID)

	step("Operator enrolls the station on the ledger")
	if _, err := nw.Enroll(ctx, keys.Signing, keys.Agreement); err != nil {
		return nil, err
	}

	const titleID, token = "demo-film", "demo-token-1"
	var title *simstation.Title
	var fm *film.Film
	if withFilm {
		step("Issuer encodes a 6-second test film twice (ffmpeg), authors it as a Blu-ray movie, packages and registers %q", titleID)
		title, fm, err = simstation.MakeFilmTitle(ctx, nw, filepath.Join(sdir, "titles"), titleID)
		if err == nil {
			fmt.Fprintf(out, "    %d-byte UDF 2.50 image; %d forensic segments, each a GOP inside BDMV/STREAM/00000.m2ts\n", title.ImageSize, len(fm.Variants))
		}
	} else {
		step("Issuer packages and registers title %q (%d MiB image, 2 forensic segments)", titleID, sizeMiB)
		title, err = simstation.MakeTitle(ctx, nw, filepath.Join(sdir, "titles"), titleID, int64(sizeMiB)<<20, 1)
	}
	if err != nil {
		return nil, err
	}

	step("Issuer mints copy token %q, owned by the station (a home appliance)", token)
	if err := nw.Mint(ctx, token, titleID, keys.Signing); err != nil {
		return nil, err
	}

	step("Starting the station daemon: one simulated BD-R burner (2x, time sped up 5 times), a disc loader with 5 blanks")
	step("A player maker enrolls a demo player (leaf %d of the network's player tree): its device keys, extracted by the node from its share of the group secret", demoPlayerLeaf)
	player, err := nw.EnrollPlayer(ctx, demoPlayerLeaf)
	if err != nil {
		return nil, err
	}
	defer player.Wipe()
	players, err := nw.Players()
	if err != nil {
		return nil, err
	}
	st, err := simstation.Start(ctx, keys, simstation.Options{Dir: sdir, Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: players, Blanks: 5, SpeedX: 2, TimeScale: 0.2})
	if err != nil {
		return nil, err
	}
	defer st.Stop()

	step("Burning a copy: media check, authorisation (spend on the ledger), write, verify, finalise, report")
	j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: titleID, TokenID: token})
	if err != nil {
		return nil, err
	}
	done, err := watchJob(ctx, st.Client, j.ID, out)
	if err != nil {
		return nil, err
	}
	if done.State != job.Done {
		return nil, fmt.Errorf("the copy did not complete: job %s %s: %s", done.ID, done.State, done.Reason)
	}
	r := DemoReceipt{CopyID: done.CopyID, JobID: done.ID, Token: token, MediaID: hex.EncodeToString(done.MediaID),
		Height: done.Receipt.Height, TxHash: done.Receipt.TxHash, DiscDigest: hex.EncodeToString(done.DiscDigest),
		Attempts: done.Attempt, Bytes: title.ImageSize}
	step("Playing the disc back as the demo player does (header, media ID binding, disc key block opened with its device keys, every cluster)")
	var decrypted bytes.Buffer // kept only for a film, whose variants are read back
	var sink io.Writer = io.Discard
	if fm != nil {
		sink = &decrypted
	}
	pb, err := st.PlayTo(ctx, player, sink)
	if err != nil {
		return nil, err
	}
	if want := title.CopyHash(pb.Header.Codeword); !bytes.Equal(pb.DiscDigest, want) {
		return nil, fmt.Errorf("the disc plays, but its image %x is not the title's with this copy's forensic variants (%x)", pb.DiscDigest, want)
	}
	r.PlayedBack = true
	fmt.Fprintf(out, "    plays: %d bytes, the title's image with this copy's own forensic variants\n", title.ImageSize)
	if fm != nil {
		if err := traceFilm(ctx, out, dir, decrypted.Bytes(), fm, pb.Header.Codeword); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(out, "\nReceipt\n  copy ID      %s\n  token        %s\n  media ID     %s\n  ledger       height %d, tx %s\n  disc digest  %s\n  attempts     %d\n\n",
		r.CopyID, r.Token, r.MediaID, r.Height, r.TxHash, r.DiscDigest, r.Attempts)

	step("Trying a second copy with the same token")
	j2, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: titleID, TokenID: token})
	if err != nil {
		return nil, err
	}
	second, err := watchJob(ctx, st.Client, j2.ID, io.Discard)
	if err != nil {
		return nil, err
	}
	ref := DemoRefusal{JobID: second.ID, State: string(second.State), Code: second.Code, Message: second.Reason}
	if second.State != job.Failed || second.Code == "" {
		return nil, fmt.Errorf("the second copy was not refused: job %s %s", second.ID, second.State)
	}
	fmt.Fprintf(out, "    Refused: %s\n    (code %s; nothing was spent, no blank was used)\n", ref.Message, ref.Code)
	return &DemoResult{StationID: keys.ID, TitleID: titleID, Copy: r, Refusal: ref}, nil
}

// watchJob follows a job to its end, drawing a progress bar on out: one
// line redrawn on a terminal, a line per change elsewhere.
func watchJob(ctx context.Context, c *api.Client, id string, out io.Writer) (*api.Job, error) {
	last := ""
	format := "    %s\n"
	if isTerminal(out) {
		format = "\r    %-90s"
	}
	for {
		j, err := c.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if line := progressLine(j); line != last {
			fmt.Fprintf(out, format, line)
			last = line
		}
		if j.State.Terminal() {
			if isTerminal(out) {
				fmt.Fprintln(out)
			}
			return j, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// traceFilm saves the decrypted copy as dir/copy.udf and reads its
// forensic variants back from the video stream, as a trace would.
func traceFilm(ctx context.Context, out io.Writer, dir string, img []byte, fm *film.Film, codeword []byte) error {
	path := filepath.Join(dir, "copy.udf")
	if err := os.WriteFile(path, img, 0o600); err != nil {
		return err
	}
	got, err := film.Decide(ctx, path, &fm.Table)
	if err != nil {
		return err
	}
	for i, d := range got {
		want := tardos.A
		if titlepkg.CodewordBit(codeword, i) == 1 {
			want = tardos.B
		}
		if d != want {
			return fmt.Errorf("the copy's video stream shows %v at segment %d, not the variant its codeword names", d, i)
		}
	}
	fmt.Fprintf(out, "    traced: the video stream of the decrypted copy shows, in all %d segments, the variants the network gave this copy\n", len(got))
	fmt.Fprintf(out, "    decrypted copy: %s (a UDF 2.50 BD-R image holding a BDMV movie; see README)\n", path)
	return nil
}
