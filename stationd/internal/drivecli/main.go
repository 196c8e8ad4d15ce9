package drivecli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"copystation/drive"
)

const usage = `usage:
  stationd drive list   [--root DIR] [--json]
  stationd drive info   --device URI [--json]
  stationd drive format --device URI [--no-spare]   (BD-RE: erases the disc)
  stationd drive blank  --device URI                (formatted BD-RE: quick reformat)
  stationd drive write  --device URI --image FILE [--speed X] [--no-finalize]
  stationd drive read   --device URI --out FILE [--sectors N]

URI is sg:/dev/sgN, serial:/path/to/tty or sim: (in-process simulator).
`

// Deps is what the commands take from the machine; a nil field falls back
// to the real thing. Tests put simulated drives behind Open.
type Deps struct {
	// Open opens a drive URI (list opens "sg:" + each device path it
	// finds); nil means Open.
	Open func(uri string) (drive.TransportCloser, error)
}

func (d Deps) open(uri string) (drive.TransportCloser, error) {
	if d.Open != nil {
		return d.Open(uri)
	}
	return Open(uri)
}

// Main runs `stationd drive ...`; args start after "drive" (a leading
// "drive" is accepted too). It returns the process exit code: 0 done,
// 1 failed, 2 usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return Run(ctx, args, stdout, stderr, Deps{})
}

// Run is Main with its dependencies given.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, deps Deps) int {
	if len(args) > 0 && args[0] == "drive" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	if cmd == "list" {
		return list(ctx, args, stdout, stderr, deps)
	}
	fs := flag.NewFlagSet("stationd drive "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	device := fs.String("device", "", "drive URI: sg:/dev/sgN, serial:/path or sim:")
	var run func(ctx context.Context, d *drive.Drive) error
	switch cmd {
	case "info":
		asJSON := fs.Bool("json", false, "print JSON")
		run = func(ctx context.Context, d *drive.Drive) error { return info(ctx, d, *device, *asJSON, stdout) }
	case "write":
		image := fs.String("image", "", "disc image to write")
		speed := fs.Int("speed", 0, "write speed, in BD 1x units, within what the drive reports for the disc (default: its fastest)")
		noFinal := fs.Bool("no-finalize", false, "close the session but leave the disc appendable")
		run = func(ctx context.Context, d *drive.Drive) error {
			if *image == "" {
				return usageError("write needs --image FILE")
			}
			return write(ctx, d, writeArgs{image: *image, speed: *speed, finalize: !*noFinal}, stdout, stderr)
		}
	case "read":
		out := fs.String("out", "", "file to write the disc contents to")
		sectors := fs.Uint("sectors", 0, "sectors to read (default: up to the last recorded sector)")
		run = func(ctx context.Context, d *drive.Drive) error {
			if *out == "" {
				return usageError("read needs --out FILE")
			}
			return read(ctx, d, *out, uint32(*sectors), stdout)
		}
	case "format":
		noSpare := fs.Bool("no-spare", false, "format without spare areas (format type 31h): more room, no defect management")
		run = func(ctx context.Context, d *drive.Drive) error {
			return format(ctx, d, drive.FormatOptions{NoSpare: *noSpare}, stdout)
		}
	case "blank":
		run = func(ctx context.Context, d *drive.Drive) error { return blank(ctx, d, stdout) }
	default:
		fmt.Fprintf(stderr, "stationd drive: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *device == "" || fs.NArg() != 0 {
		fmt.Fprintf(stderr, "stationd drive %s: --device URI is required and no positional arguments are taken\n%s", cmd, usage)
		return 2
	}
	t, err := deps.open(*device)
	if err != nil {
		fmt.Fprintf(stderr, "stationd drive %s: %v\n", cmd, err)
		return 1
	}
	defer t.Close()
	if err := run(ctx, drive.New(t)); err != nil {
		fmt.Fprintf(stderr, "stationd drive %s: %v\n", cmd, err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprint(stderr, usage)
			return 2
		}
		return 1
	}
	return 0
}

type usageError string

func (e usageError) Error() string { return string(e) }
