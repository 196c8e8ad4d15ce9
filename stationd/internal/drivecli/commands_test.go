package drivecli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// shared keeps simulated drives alive across Run calls, as a machine's
// drives are across commands: Close on what Open returns leaves them on.
type shared struct {
	t      *testing.T
	drives map[string]*drivesim.Drive
}

type keepOpen struct{ *drivesim.Drive }

func (keepOpen) Close() error { return nil }

func newShared(t *testing.T) *shared { return &shared{t: t, drives: map[string]*drivesim.Drive{}} }

// add puts a simulated drive behind uri; eject opens its tray (with a real
// START STOP UNIT).
func (s *shared) add(uri string, media drivesim.MediaType, eject bool) *drivesim.Drive {
	s.t.Helper()
	d, err := drivesim.New(drivesim.Options{Media: media, Dir: s.t.TempDir(), Rand: rand.Reader})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { d.Close() })
	if eject {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := drive.New(d).Eject(ctx); err != nil {
			s.t.Fatalf("Eject() = %v", err)
		}
	}
	s.drives[uri] = d
	return d
}

func (s *shared) deps() Deps {
	return Deps{Open: func(uri string) (drive.TransportCloser, error) {
		if d, ok := s.drives[uri]; ok {
			return keepOpen{d}, nil
		}
		return nil, &os.PathError{Op: "open", Path: strings.TrimPrefix(uri, "sg:"), Err: os.ErrPermission}
	}}
}

func runDeps(t *testing.T, deps Deps, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := Run(ctx, args, &out, &errb, deps)
	return code, out.String(), errb.String()
}

// TestInfoNoMedium: `drive info` on an empty drive reports the drive and
// where its tray is, and exits 0, instead of failing with sense 02/3A/0x.
func TestInfoNoMedium(t *testing.T) {
	s := newShared(t)
	s.add("sim:closed", 0, false)
	s.add("sim:open", 0, true)
	tests := []struct {
		uri, tray string
	}{
		{"sim:closed", "tray closed"},
		{"sim:open", "tray open"},
	}
	for _, tc := range tests {
		t.Run(tc.tray, func(t *testing.T) {
			code, out, stderr := runDeps(t, s.deps(), "info", "--device", tc.uri)
			want := []string{"drive:         COPYSTN VIRTUAL BD-RW 1.00\n", "writes:        BD-RE, BD-R RRM, BD-R SRM\n",
				"medium:        no medium, " + tc.tray + "\n"}
			for _, w := range want {
				if code != 0 || !strings.Contains(out, w) {
					t.Errorf("info %s = %d, missing %q\n%s%s", tc.uri, code, w, out, stderr)
				}
			}
			code, out, stderr = runDeps(t, s.deps(), "info", "--device", tc.uri, "--json")
			var in Info
			if code != 0 || json.Unmarshal([]byte(out), &in) != nil || in.Medium != "none" || in.Tray != tc.tray ||
				in.Vendor != "COPYSTN" || len(in.WritableProfiles) != 3 || in.CapacitySectors != 0 {
				t.Errorf("info --json %s = %d, %+v\n%s%s", tc.uri, code, in, out, stderr)
			}
		})
	}
	if code, out, stderr := run(t, "info", "--device", "sim:none"); code != 0 || !strings.Contains(out, "no medium, tray closed") {
		t.Errorf("info sim:none = %d\n%s%s", code, out, stderr)
	}
}

// TestFormatBlank runs `drive format` and `drive blank` on one simulated
// drive after another, checking output, exit code and what the disc holds.
func TestFormatBlank(t *testing.T) {
	img := filepath.Join(t.TempDir(), "image.bin")
	if err := os.WriteFile(img, bytes.Repeat([]byte("copystation "), 20000), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newShared(t)
	s.add("sim:bd-re", drivesim.BDRE25, false)
	s.add("sim:bd-r", drivesim.BDR25, false)
	s.add("sim:empty", 0, false)
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"blank unformatted BD-RE", []string{"blank", "--device", "sim:bd-re"}, 1, "", "not formatted, so there is nothing to blank; format it"},
		{"format BD-RE", []string{"format", "--device", "sim:bd-re"}, 0, "formatted the BD-RE: 11826176 sectors", ""},
		{"write BD-RE", []string{"write", "--device", "sim:bd-re", "--image", img}, 0, "wrote 240000 bytes", ""},
		{"blank written BD-RE", []string{"blank", "--device", "sim:bd-re"}, 0, "blanked the BD-RE: 11826176 sectors", ""},
		{"format BD-RE without spare", []string{"format", "--device", "sim:bd-re", "--no-spare"}, 0, "formatted the BD-RE: 12219392 sectors", ""},
		{"blank keeps no spare", []string{"blank", "--device", "sim:bd-re"}, 0, "blanked the BD-RE: 12219392 sectors", ""},
		{"format BD-R", []string{"format", "--device", "sim:bd-r"}, 1, "", "the disc is BD-R SRM; only a BD-RE can be formatted or blanked"},
		{"blank BD-R", []string{"blank", "--device", "sim:bd-r"}, 1, "", "the disc is BD-R SRM; only a BD-RE can be formatted or blanked"},
		{"format empty drive", []string{"format", "--device", "sim:empty"}, 1, "", "no disc in the drive; load a BD-RE"},
		{"blank extra argument", []string{"blank", "--device", "sim:bd-re", "now"}, 2, "", "usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runDeps(t, s.deps(), tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(stderr, tc.err) {
				t.Errorf("%q = %d\nstdout %q\nstderr %q\nwant %d, %q, %q", tc.args, code, out, stderr, tc.code, tc.out, tc.err)
			}
		})
	}
	// The blank disc reads back zeros where the image was.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make([]byte, 4*drive.SectorSize)
	if err := drive.New(s.drives["sim:bd-re"]).Read(ctx, 0, got); err != nil || !bytes.Equal(got, make([]byte, len(got))) {
		t.Errorf("Read(0) after blank = %v, zeros %v", err, bytes.Equal(got, make([]byte, len(got))))
	}
	if _, err := drive.New(s.drives["sim:bd-r"]).MediaInfo(ctx); err != nil {
		t.Errorf("the refused BD-R no longer answers: %v", err)
	}
}
