package drivetest_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"copystation/drive"
	"copystation/drive/drivetest"
	"copystation/simulator/drivesim"
)

func openSim(t *testing.T) *drivesim.Drive {
	t.Helper()
	sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), Media: drivesim.BDR25, Seed: 5})
	if err != nil {
		t.Fatalf("drivesim.New() = %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func TestConformanceDrivesim(t *testing.T) {
	drivetest.RunConformance(t, func(t *testing.T) drive.Transport { return openSim(t) })
}

// TestRecordPlayback records the conformance suite against the simulator,
// then runs the same suite against the recording alone.
func TestRecordPlayback(t *testing.T) {
	var mu sync.Mutex
	recs := map[string]*drivetest.Record{}
	drivetest.RunConformance(t, func(t *testing.T) drive.Transport {
		r := &drivetest.Record{T: openSim(t)}
		mu.Lock()
		recs[t.Name()] = r
		mu.Unlock()
		return r
	})
	saved := map[string][]drivetest.Exchange{}
	for name, r := range recs {
		var b bytes.Buffer
		if err := drivetest.Save(&b, r.Exchanges()); err != nil {
			t.Fatalf("Save() = %v", err)
		}
		ex, err := drivetest.Load(&b)
		if err != nil || len(ex) != len(r.Exchanges()) {
			t.Fatalf("Load(Save()) = %d exchanges, %v; want %d", len(ex), err, len(r.Exchanges()))
		}
		saved[name] = ex
	}
	t.Run("replay", func(t *testing.T) {
		drivetest.RunConformance(t, func(t *testing.T) drive.Transport {
			p := &drivetest.Playback{Ops: saved[strings.Replace(t.Name(), "/replay", "", 1)]}
			t.Cleanup(func() {
				if err := p.Close(); err != nil {
					t.Errorf("Playback.Close() = %v", err)
				}
			})
			return p
		})
	})
}

func TestPlaybackErrors(t *testing.T) {
	tur := drive.TestUnitReady{}.CDB()
	inq := drive.Inquiry{}.CDB()
	ops := []drivetest.Exchange{
		{CDB: tur, Dir: drive.DirNone},
		{CDB: inq, Dir: drive.DirIn, InLen: 96, In: []byte{5, 0x80}, Transferred: 2},
		{CDB: tur, Dir: drive.DirNone, Err: "hung", ErrKind: "timeout"},
	}
	tests := []struct {
		name string
		cdb  []byte
		dir  drive.Direction
		buf  []byte
		want error
	}{
		{"wrong CDB", inq, drive.DirIn, make([]byte, 96), drivetest.ErrMismatch},
		{"wrong direction", tur, drive.DirIn, make([]byte, 96), drivetest.ErrMismatch},
		{"match", tur, drive.DirNone, nil, nil},
		{"wrong buffer size", inq, drive.DirIn, make([]byte, 36), drivetest.ErrMismatch},
		{"match data in", inq, drive.DirIn, make([]byte, 96), nil},
		{"replayed timeout", tur, drive.DirNone, nil, drive.ErrTimeout},
		{"exhausted", tur, drive.DirNone, nil, drivetest.ErrExhausted},
	}
	p := &drivetest.Playback{Ops: ops}
	for _, tc := range tests {
		_, err := p.Do(tc.cdb, tc.dir, tc.buf, time.Second)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("Do(%s) = %v, want %v", tc.name, err, tc.want)
		}
		if tc.name == "match data in" && tc.buf[0] != 5 {
			t.Errorf("Do(%s) did not copy the recorded data", tc.name)
		}
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close() after all replayed = %v, want nil", err)
	}
	p = &drivetest.Playback{Ops: ops}
	if err := p.Close(); !errors.Is(err, drivetest.ErrUnconsumed) {
		t.Errorf("Close() with nothing replayed = %v, want %v", err, drivetest.ErrUnconsumed)
	}
}

func TestLoadRejects(t *testing.T) {
	for _, in := range []string{"", "{", `[{"cdb":""}]`, `[{"cdb":"AAAAAAAAAAAAAAAAAAAAAAAA"}]`, `[{"cdb":"AA==","dir":7}]`, `[{"cdb":"AA==","in":"AAA="}]`} {
		if _, err := drivetest.Load(bytes.NewReader([]byte(in))); !errors.Is(err, drivetest.ErrBadRecording) {
			t.Errorf("Load(%q) = %v, want %v", in, err, drivetest.ErrBadRecording)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(`[{"cdb":"AAAAAAAA","dir":0,"status":0,"transferred":0}]`))
	f.Add([]byte(`[{"cdb":"EgAAAGAA","dir":1,"in_len":96,"in":"BYA=","status":0,"transferred":2}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ex, err := drivetest.Load(bytes.NewReader(b))
		if err != nil {
			return
		}
		p := &drivetest.Playback{Ops: ex}
		for _, e := range ex {
			buf := make([]byte, e.InLen)
			if e.Dir == drive.DirOut {
				buf = e.Out
			}
			if _, err := p.Do(e.CDB, e.Dir, buf, time.Second); err != nil && !errors.Is(err, drive.ErrTimeout) && !errors.Is(err, drive.ErrTransport) {
				t.Fatalf("replaying a loaded recording: %v", err)
			}
		}
		if err := p.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
	})
}
