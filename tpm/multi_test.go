package tpm

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"copystation/tpm/tpmtest"
)

// TestTwoSwtpmProcesses gives each of two stations its own swtpm process
// (one over TCP, one over a Unix socket): keys made in one do not load in
// the other, with a clear error.
func TestTwoSwtpmProcesses(t *testing.T) {
	a := tpmtest.StartSwtpm(t, tpmtest.Options{TCP: true})
	b := tpmtest.StartSwtpm(t, tpmtest.Options{})
	dirA, dirB := t.TempDir(), t.TempDir()
	ta, err := Open(a.URI())
	if err != nil {
		t.Fatalf("Open(%s) = %v", a.URI(), err)
	}
	defer ta.Close()
	tb, err := Open(b.URI())
	if err != nil {
		t.Fatalf("Open(%s) = %v", b.URI(), err)
	}
	defer tb.Close()
	sa := mustStation(t, ta, dirA)
	sb := mustStation(t, tb, dirB)
	for _, f := range []string{SigningKeyFile, AgreementKeyFile} {
		blob, err := os.ReadFile(filepath.Join(dirA, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dirB, f), blob, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(tb, dirB); !errors.Is(err, ErrKeysUnloadable) {
		t.Errorf("Load(blobs of swtpm A) on swtpm B = %v, want %v", err, ErrKeysUnloadable)
	}
	sealed, err := sa.Seal([]byte("noise key"), nil)
	if err != nil {
		t.Fatalf("Station.Seal() = %v", err)
	}
	if got, err := sa.Unseal(sealed); err != nil || string(got) != "noise key" {
		t.Errorf("Station.Unseal() on swtpm A = %q, %v, want the secret", got, err)
	}
	if _, err := sb.Unseal(sealed); !errors.Is(err, ErrKeysUnloadable) {
		t.Errorf("Unseal(secret of swtpm A) on swtpm B = %v, want %v", err, ErrKeysUnloadable)
	}
}

func TestOpenURI(t *testing.T) {
	cases := []struct {
		uri  string
		want error
	}{
		{"ftp://x", ErrURI},
		{"sim:", ErrURI},
		{"swtpm:udp:1.2.3.4:5", ErrURI},
		{"swtpm:tcp:127.0.0.1:notaport", ErrURI},
		{"swtpm:unix:", ErrURI},
		{"swtpm:unix:/nonexistent/tpm.sock", ErrTransport},
		{"/dev/nonexistent-tpm", ErrTransport},
	}
	for _, c := range cases {
		t.Run(c.uri, func(t *testing.T) {
			tp, err := Open(c.uri)
			if !errors.Is(err, c.want) {
				t.Errorf("Open(%q) = %v, %v, want %v", c.uri, tp, err, c.want)
			}
		})
	}
}

// TestSimulatorBusy: a second in-process simulator fails after the wait
// instead of blocking for ever.
func TestSimulatorBusy(t *testing.T) {
	tp, err := OpenSimulator(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	old := simWait
	simWait = 10 * time.Millisecond
	defer func() { simWait = old }()
	if tp2, err := OpenSimulator(t.TempDir()); !errors.Is(err, ErrSimulatorBusy) {
		t.Errorf("OpenSimulator() while one is open = %v, %v, want %v", tp2, err, ErrSimulatorBusy)
	}
}
