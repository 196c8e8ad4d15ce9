// Package disccli implements `stationd disc check`: read a burned disc back
// as a player would and say whether it plays.
package disccli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"time"

	"copystation/burn"
	"copystation/burn/disc"
	"copystation/custody/playertree"
	"copystation/drive"
	"copystation/stationd/internal/drivecli"
	"copystation/validatord/vault"
)

// Opener opens a drive by URI (sg:/dev/sgN, serial:/path, sim:).
type Opener func(uri string) (drive.TransportCloser, error)

const usage = `usage: stationd disc check --device URI --device-keys FILE --kek-file FILE [--out FILE] [--start LBA]

Reads the copy on the disc in the drive as a player does: checks the header
and its media ID binding, opens the disc key block with a player's device
keys (FILE as 'validatord player keys' wrote it, sealed under the key in
--kek-file: 32 bytes, raw or 64 hex digits), checks every cluster and
decrypts the image (to --out if given). Exit status 0: the disc plays;
1: it does not (revoked player, clone, altered, unreadable); 2: usage.
`

// Main runs `stationd disc ...` with args after "disc".
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return Run(ctx, args, stdout, stderr, drivecli.Open)
}

// Run is Main with the drive opener given.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, open Opener) int {
	if len(args) > 0 && args[0] == "disc" {
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "verify" {
		return runVerify(ctx, args[1:], stdout, stderr, open)
	}
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("disc check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	device := fs.String("device", "", "drive URI")
	keyFile := fs.String("device-keys", "", "a player's device key file (sealed)")
	kekFile := fs.String("kek-file", "", "the key the device key file is sealed under")
	outFile := fs.String("out", "", "write the decrypted image here")
	start := fs.Uint("start", 0, "LBA of the copy's header")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *device == "" || *keyFile == "" || *kekFile == "" || fs.NArg() != 0 || *start > 1<<32-1 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	key, err := readDeviceKeys(*keyFile, *kekFile)
	if err != nil {
		fmt.Fprintf(stderr, "disc check: %v\n", err)
		return 2
	}
	defer key.Wipe()
	t, err := open(*device)
	if err != nil {
		fmt.Fprintf(stderr, "disc check: opening %s: %v\n", *device, err)
		return 1
	}
	defer t.Close()
	if err := check(ctx, drive.New(t), key, *outFile, uint32(*start), stdout); err != nil {
		fmt.Fprintf(stderr, "disc check: %v\n", explain(err))
		return 1
	}
	return 0
}

// check plays the disc and prints what it found.
func check(ctx context.Context, d *drive.Drive, key *playertree.DeviceKeys, outFile string, start uint32, stdout io.Writer) error {
	if err := d.WaitReady(ctx); err != nil {
		return err
	}
	h := sha256.New()
	var w io.Writer = h
	var f *os.File
	if outFile != "" {
		var err error
		if f, err = os.OpenFile(outFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return err
		}
		w = io.MultiWriter(h, f)
	}
	hdr, err := burn.ReadDisc(ctx, d, key, w, burn.ReadOptions{StartLBA: start, Clock: clock{}})
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(outFile) // nothing half-written
		}
	}
	if err != nil {
		return err
	}
	printHeader(stdout, hdr, h)
	return nil
}

func printHeader(w io.Writer, hdr *disc.Header, h hash.Hash) {
	fmt.Fprintf(w, "title:      %s\n", hdr.TitleID)
	fmt.Fprintf(w, "copy:       %s\n", hdr.CopyID)
	fmt.Fprintf(w, "media ID:   %s\n", hex.EncodeToString(hdr.MediaID))
	fmt.Fprintf(w, "codeword:   %s\n", hex.EncodeToString(hdr.Codeword))
	fmt.Fprintf(w, "image:      %d bytes, sha256 %s\n", hdr.ImageSize, hex.EncodeToString(h.Sum(nil)))
	fmt.Fprintf(w, "package:    %s\n", hex.EncodeToString(hdr.PackageRoot[:]))
	fmt.Fprintf(w, "finalised:  %v\n", hdr.Finalized)
	fmt.Fprintln(w, "result:     plays")
}

// explain puts the common failures in a person's words.
func explain(err error) error {
	switch {
	case errors.Is(err, burn.ErrClone):
		return fmt.Errorf("this disc is a copy of another disc and will not play: %w", err)
	case errors.Is(err, playertree.ErrRevoked):
		return fmt.Errorf("this player is revoked for this disc (the disc was written after its revocation): %w", err)
	case errors.Is(err, playertree.ErrOtherTree):
		return fmt.Errorf("this player belongs to another player tree than the disc: %w", err)
	case errors.Is(err, playertree.ErrKeyBlock), errors.Is(err, disc.ErrKeyBlock):
		return fmt.Errorf("the disc key block does not open with these device keys (another network's player, or an altered disc): %w", err)
	case errors.Is(err, disc.ErrNotCopy):
		return fmt.Errorf("the disc was not made by a copy station (or is blank): %w", err)
	case errors.Is(err, burn.ErrIntegrity):
		return fmt.Errorf("the disc's contents were altered or damaged: %w", err)
	}
	return err
}

// readDeviceKeys opens a device key file sealed under the key in kekFile.
func readDeviceKeys(path, kekFile string) (*playertree.DeviceKeys, error) {
	kek, err := readKey(kekFile)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	b, err := vault.OpenFile(path, kek, vault.LabelDeviceKeys)
	if err != nil {
		return nil, fmt.Errorf("device key file %s: %w (is --kek-file the key it was sealed under?)", path, err)
	}
	defer clear(b)
	k, err := playertree.ParseDeviceKeys(b)
	if err != nil {
		return nil, fmt.Errorf("device key file %s: %w", path, err)
	}
	return k, nil
}

// readKey reads a 32-byte key, raw or hex.
func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if s := strings.TrimSpace(string(b)); len(s) == 2*disc.KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			clear(b)
			return k, nil
		}
	}
	if len(b) != disc.KeySize {
		clear(b)
		return nil, fmt.Errorf("key file %s: want %d bytes or %d hex digits", path, disc.KeySize, 2*disc.KeySize)
	}
	return b, nil
}

// clock is the wall clock for progress rates.
type clock struct{}

func (clock) Now() time.Time { return time.Now() }
