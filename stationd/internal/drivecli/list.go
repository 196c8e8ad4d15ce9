package drivecli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"copystation/drive"
)

// ErrNoDrives: the machine shows no optical drive.
var ErrNoDrives = errors.New("drivecli: no optical drive found")

// identifyTimeout bounds the INQUIRY and GET CONFIGURATION of one drive,
// so one hung drive does not hide the others.
const identifyTimeout = 20 * time.Second

// Listed is one line of `drive list` (and an element of its --json array).
type Listed struct {
	Path     string   `json:"path"`            // what --device sg: takes
	SG       string   `json:"sg,omitempty"`    // /dev/sgN
	Block    string   `json:"block,omitempty"` // /dev/srN
	Vendor   string   `json:"vendor,omitempty"`
	Model    string   `json:"model,omitempty"`
	Firmware string   `json:"firmware,omitempty"`
	Writes   []string `json:"writes,omitempty"` // writable profiles from GET CONFIGURATION
	Error    string   `json:"error,omitempty"`  // why this drive could not be asked
}

// list prints every optical drive under --root, asking each who it is.
// It exits 1 when none is found or one of them could not be asked; the
// others are listed all the same.
func list(ctx context.Context, args []string, stdout, stderr io.Writer, deps Deps) int {
	fs := flag.NewFlagSet("stationd drive list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	root := fs.String("root", "/", "root of the file system holding sys/class and dev (tests point it at a made-up tree)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "stationd drive list: no positional arguments are taken\n%s", usage)
		return 2
	}
	found, err := Enumerate(*root)
	if err == nil && len(found) == 0 {
		err = fmt.Errorf("%w: no SCSI device of type 5 (MMC) under %s or %s; is the drive connected and the sg module loaded (modprobe sg)?",
			ErrNoDrives, filepath.Join(*root, "sys/class/scsi_generic"), filepath.Join(*root, "sys/class/block"))
	}
	if err != nil {
		fmt.Fprintf(stderr, "stationd drive list: %v\n", err)
		return 1
	}
	var out []Listed
	failed := 0
	for _, f := range found {
		l := ask(ctx, f, deps)
		if l.Error != "" {
			failed++
		}
		out = append(out, l)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "stationd drive list: %v\n", err)
			return 1
		}
	} else {
		printList(stdout, out)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "stationd drive list: %d of %d drives could not be asked (see their error)\n", failed, len(out))
		return 1
	}
	return 0
}

// ask opens one found drive and identifies it.
func ask(ctx context.Context, f Found, deps Deps) Listed {
	l := Listed{Path: f.Path, SG: f.SG, Block: f.Block}
	if f.Err != nil {
		l.Error = f.Err.Error()
		return l
	}
	t, err := deps.open("sg:" + f.Path)
	if err != nil {
		l.Error = err.Error()
		return l
	}
	defer t.Close()
	ctx, cancel := context.WithTimeout(ctx, identifyTimeout)
	defer cancel()
	id, err := drive.New(t).Identify(ctx)
	if err != nil {
		l.Error = err.Error()
		return l
	}
	l.Vendor, l.Model, l.Firmware = id.Vendor, id.Product, id.Revision
	if w := writable(id); len(w) > 0 {
		l.Writes = w
	}
	return l
}

// printList prints one table row per drive, and the errors of the drives
// that could not be asked below the table, so long messages do not break
// its columns.
func printList(w io.Writer, ls []Listed) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tBLOCK\tVENDOR\tMODEL\tFIRMWARE\tWRITES")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, l := range ls {
		if l.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t?\t?\t?\t(error below)\n", l.Path, dash(l.Block))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.Path, dash(l.Block), dash(l.Vendor), dash(l.Model), dash(l.Firmware), dash(strings.Join(l.Writes, ", ")))
	}
	tw.Flush()
	for _, l := range ls {
		if l.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", l.Path, l.Error)
		}
	}
}
