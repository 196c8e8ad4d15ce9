package burn

import (
	"bytes"
	"context"
	"copystation/burn/titlepkg"
	"errors"
	"testing"
	"time"

	"copystation/burn/disc"
	"copystation/drive"
)

func TestCopyRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		n    int
		segs [][2]int
		cw   []byte
	}{
		{"no segments", 100, nil, nil},
		{"variants A and B", 700, [][2]int{{3, 2}, {40, 33}, {500, 1}, {699, 1}}, []byte{0b1010_0000}},
		{"all B", 64, [][2]int{{0, 32}, {32, 32}}, []byte{0xC0}},
		// 10 MB: ten 1 MiB units, the last short and ending in a partial
		// cluster; segments straddle unit boundaries.
		{"several units", 5000, [][2]int{{511, 2}, {1024, 32}, {4990, 10}}, []byte{0b1010_0000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.n, tc.segs...)
			sim := newSim(t)
			job := f.job(t, sim, "job-"+tc.name, tc.cw)
			var phases []Phase
			job.Progress = func(p Progress) error {
				if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
					phases = append(phases, p.Phase)
				}
				return nil
			}
			job.Clock = &fakeClock{}
			res, err := Copy(context.Background(), newDrive(sim), job)
			if err != nil {
				t.Fatalf("Copy() = %v, want nil", err)
			}
			want := []Phase{PhaseAuthenticate, PhaseCheck, PhaseWrite, PhaseSync, PhaseVerify, PhaseFinalise, PhaseDone}
			if !equal(phases, want) {
				t.Errorf("phases = %v, want %v", phases, want)
			}
			di, err := drive.ReadDiscInformation{}.Execute(sim)
			if err != nil || di.Status != drive.DiscComplete {
				t.Errorf("disc status after copy = %v, %v, want finalised", di, err)
			}
			img, h, err := play(t, sim)
			if err != nil {
				t.Fatalf("ReadDisc() = %v, want nil", err)
			}
			if !bytes.Equal(img, f.want(tc.cw)) {
				t.Errorf("ReadDisc() image differs from the image with codeword %08b's variants", tc.cw)
			}
			if !bytes.Equal(h.Codeword, tc.cw) || h.TitleID != "film-1" || h.Layout != res.Layout {
				t.Errorf("ReadDisc() header = %+v, want codeword %x, layout %+v", h, tc.cw, res.Layout)
			}
		})
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCopiesDifferInVariantsOnly: two copies of one title with different
// codewords differ exactly in the sectors of the segments whose bits differ.
func TestCopiesDifferInVariantsOnly(t *testing.T) {
	segs := [][2]int{{1, 1}, {10, 4}, {64, 32}, {200, 3}, {250, 7}}
	f := newFixture(t, 300, segs...)
	cws := [][]byte{{0b10110_000}, {0b01100_000}}
	var imgs [][]byte
	for i, cw := range cws {
		sim := newSim(t)
		if _, err := Copy(context.Background(), newDrive(sim), f.job(t, sim, "job-"+string(rune('a'+i)), cw)); err != nil {
			t.Fatalf("Copy(codeword %08b) = %v", cw, err)
		}
		img, _, err := play(t, sim)
		if err != nil {
			t.Fatalf("ReadDisc() = %v", err)
		}
		imgs = append(imgs, img)
	}
	inSeg := map[int]int{}
	for i, s := range segs {
		for k := range s[1] {
			inSeg[s[0]+k] = i
		}
	}
	for s := 0; s < 300; s++ {
		a, b := imgs[0][s*disc.SectorSize:(s+1)*disc.SectorSize], imgs[1][s*disc.SectorSize:(s+1)*disc.SectorSize]
		seg, ok := inSeg[s]
		wantDiff := ok && titlepkg.CodewordBit(cws[0], seg) != titlepkg.CodewordBit(cws[1], seg)
		if got := !bytes.Equal(a, b); got != wantDiff {
			t.Errorf("sector %d differs = %v, want %v (segment %d, %v)", s, got, wantDiff, seg, ok)
		}
	}
}

// countWrites counts the WRITE commands that reach the simulated drive.
type countWrites struct {
	drive.Transport
	writes int
}

func (c *countWrites) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	if len(cdb) > 0 && (cdb[0] == byte(drive.OpWrite12) || cdb[0] == byte(drive.OpWrite10)) {
		c.writes++
	}
	return c.Transport.Do(cdb, dir, buf, timeout)
}

func TestCopyRefusesBeforeTouchingDrive(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *testing.T, f *fixture, j *Job)
		want   error
	}{
		{"tampered last chunk", func(t *testing.T, f *fixture, j *Job) { j.Package = tamperedPackage(t, f, -1) }, ErrPackage},
		{"tampered first chunk", func(t *testing.T, f *fixture, j *Job) { j.Package = tamperedPackage(t, f, 0) }, ErrPackage},
		{"keys for another blank", func(t *testing.T, f *fixture, j *Job) { j.MediaID = bytes.Repeat([]byte{9}, 16) }, ErrWrongDisc},
		{"codeword too short", func(t *testing.T, f *fixture, j *Job) { j.Keys.Codeword = nil }, ErrJob},
		{"wrong profile", func(t *testing.T, f *fixture, j *Job) { j.Keys.Format.Profile = uint16(drive.ProfileBDRE) }, ErrWrongDisc},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 200, [2]int{5, 2})
			sim := newSim(t)
			job := f.job(t, sim, "job-1", []byte{0x80})
			tc.mutate(t, f, &job)
			cw := &countWrites{Transport: sim}
			_, err := Copy(context.Background(), newDrive(cw), job)
			var e *Error
			if !errors.Is(err, tc.want) || !errors.As(err, &e) || e.Spoiled {
				t.Fatalf("Copy() = %v, want an unspoiled *Error wrapping %v", err, tc.want)
			}
			if cw.writes != 0 {
				t.Errorf("Copy() sent %d WRITE commands, want 0", cw.writes)
			}
			if di, err := (drive.ReadDiscInformation{}).Execute(sim); err != nil || di.Status != drive.DiscEmpty {
				t.Errorf("disc status = %+v, %v, want blank", di, err)
			}
		})
	}
}
