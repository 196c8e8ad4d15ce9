package drivecli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"copystation/drive"
)

const usage = `usage:
  stationd drive info  --device URI [--json]
  stationd drive write --device URI --image FILE [--speed X] [--no-finalize]
  stationd drive read  --device URI --out FILE [--sectors N]

URI is sg:/dev/sgN, serial:/path/to/tty or sim: (in-process simulator).
`

// Main runs `stationd drive ...`; args start after "drive" (a leading
// "drive" is accepted too). It returns the process exit code: 0 done,
// 1 failed, 2 usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "drive" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
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
	t, err := Open(*device)
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

// Info is what `drive info` reports (and prints with --json).
type Info struct {
	Device          string   `json:"device"`
	Vendor          string   `json:"vendor"`
	Product         string   `json:"product"`
	Revision        string   `json:"revision"`
	Profile         string   `json:"profile"`
	ProfileCode     uint16   `json:"profile_code"`
	Profiles        []string `json:"profiles"`
	MediaState      string   `json:"media_state"`
	Erasable        bool     `json:"erasable"`
	CapacitySectors uint32   `json:"capacity_sectors"`
	NextWritable    *uint32  `json:"next_writable,omitempty"`
	FreeSectors     uint32   `json:"free_sectors"`
	LastRecorded    uint32   `json:"last_recorded"`
	MediaID         string   `json:"media_id,omitempty"`
	MediaIDError    string   `json:"media_id_error,omitempty"`
}

func info(ctx context.Context, d *drive.Drive, device string, asJSON bool, w io.Writer) error {
	if err := d.WaitReady(ctx); err != nil {
		return err
	}
	id, err := d.Identify(ctx)
	if err != nil {
		return err
	}
	mi, err := d.MediaInfo(ctx)
	if err != nil {
		return err
	}
	in := Info{Device: device, Vendor: id.Vendor, Product: id.Product, Revision: id.Revision,
		Profile: mi.Profile.String(), ProfileCode: uint16(mi.Profile), MediaState: mi.State.String(), Erasable: mi.Erasable,
		CapacitySectors: mi.CapacitySectors, FreeSectors: mi.FreeSectors, LastRecorded: mi.LastRecorded, MediaID: hex.EncodeToString(mi.MediaID)}
	for _, p := range id.Profiles {
		in.Profiles = append(in.Profiles, p.String())
	}
	if mi.NextWritableValid {
		in.NextWritable = &mi.NextWritable
	}
	if mi.MediaIDErr != nil {
		in.MediaIDError = mi.MediaIDErr.Error()
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	fmt.Fprintf(w, "device:        %s\n", in.Device)
	fmt.Fprintf(w, "drive:         %s %s %s\n", in.Vendor, in.Product, in.Revision)
	fmt.Fprintf(w, "profile:       %s (0x%04X)\n", in.Profile, in.ProfileCode)
	fmt.Fprintf(w, "media state:   %s\n", in.MediaState)
	fmt.Fprintf(w, "capacity:      %d sectors of 2048 bytes (%d bytes)\n", in.CapacitySectors, uint64(in.CapacitySectors)*drive.SectorSize)
	if in.NextWritable != nil {
		fmt.Fprintf(w, "next writable: %d\n", *in.NextWritable)
	}
	fmt.Fprintf(w, "free:          %d sectors\n", in.FreeSectors)
	if in.MediaIDError != "" {
		fmt.Fprintf(w, "media ID:      unavailable: %s\n", in.MediaIDError)
	} else {
		fmt.Fprintf(w, "media ID:      %s\n", in.MediaID)
	}
	return nil
}
