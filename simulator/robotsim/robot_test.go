package robotsim

import (
	"copystation/robot"
	"copystation/simulator/drivesim"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func newRobot(t testing.TB, blanks int) (*Robot, *drivesim.Drive) {
	t.Helper()
	drv, err := drivesim.New(drivesim.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Drives: []Drive{drv}, Blanks: blanks, TimeScale: 1, MotionTime: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); drv.Close() })
	return r, drv
}

func TestHandle(t *testing.T) {
	r, drv := newRobot(t, 1)
	tests := []struct {
		name     string
		line     []byte
		want     string // reply words after the sequence number, "" for no reply
		wantWait time.Duration
	}{
		{"status", robot.AppendLine(nil, 1, "STATUS"), "OK IN=1 OUT=0 REJ=0 GRIP=0 JAM=0 DRIVES=1 D1=EMPTY/CLOSED", 0},
		{"pick", robot.AppendLine(nil, 2, "PICK"), "OK", 3 * time.Second},
		{"pick again, retransmitted", robot.AppendLine(nil, 2, "PICK"), "OK", 0},
		{"bad checksum", []byte("3 LOAD 1*0000\n"), "", 0},
		{"unknown verb", robot.AppendLine(nil, 4, "DANCE"), "ERR BADCMD unknown", 0},
		{"load without drive", robot.AppendLine(nil, 5, "LOAD"), "ERR BADCMD arguments", 0},
		{"load drive 0", robot.AppendLine(nil, 6, "LOAD", "0"), "ERR NO_DRIVE", 0},
		{"load", robot.AppendLine(nil, 7, "LOAD", "1"), "OK", 3 * time.Second},
		{"pick from empty bin", robot.AppendLine(nil, 8, "PICK"), "ERR INPUT_EMPTY", 0},
		{"unload, tray closed", robot.AppendLine(nil, 9, "UNLOAD", "1"), "ERR TRAY_CLOSED", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, wait := r.Handle(tt.line)
			if tt.want == "" {
				if reply != nil {
					t.Errorf("Handle(%q) = %q, want no reply", tt.line, reply)
				}
				return
			}
			l, err := robot.ParseLine(reply)
			if err != nil || strings.Join(l.Words, " ") != tt.want || wait != tt.wantWait {
				t.Errorf("Handle(%q) = %q (wait %v), %v, want %q (wait %v)", tt.line, reply, wait, err, tt.want, tt.wantWait)
			}
		})
	}
	if !drv.HasDisc() {
		t.Errorf("drive has no disc after LOAD 1")
	}
}

func FuzzHandle(f *testing.F) {
	f.Add(robot.AppendLine(nil, 1, "LOAD", "1"))
	f.Add(robot.AppendLine(nil, 2, "REJECT"))
	f.Add(robot.AppendLine(nil, 3, "UNLOAD", "+1"))
	f.Add([]byte("1 PICK*0000\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _ := newRobot(t, 2)
		r.opts.TimeScale = 0
		r.Handle(robot.AppendLine(nil, 9000, "PICK"))
		reply, _ := r.Handle(b)
		if reply == nil {
			return
		}
		if _, err := robot.ParseReply(reply, "fuzz"); err != nil {
			t.Fatalf("Handle(%q) replied %q, which does not parse: %v", b, reply, err)
		}
	})
}

// TestLoadDriveFault checks that a drive refusing a disc for a reason
// other than holding one (here: powered off) is not reported as
// DRIVE_FULL, and that the blank stays in the gripper.
func TestLoadDriveFault(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(t *testing.T, drv *drivesim.Drive)
		wantCode string
		wantIs   error
	}{
		{"drive holds a disc", func(t *testing.T, drv *drivesim.Drive) {
			if err := drv.Insert(drivesim.BDR25); err != nil {
				t.Fatal(err)
			}
		}, "DRIVE_FULL", robot.ErrDriveFull},
		{"drive powered off", func(t *testing.T, drv *drivesim.Drive) { drv.Close() }, "DRIVE_FAULT", robot.ErrDevice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, drv := newRobot(t, 1)
			r.opts.TimeScale = 0
			tt.prepare(t, drv)
			r.Handle(robot.AppendLine(nil, 1, "PICK"))
			reply, _ := r.Handle(robot.AppendLine(nil, 2, "LOAD", "1"))
			rep, err := robot.ParseReply(reply, "LOAD 1")
			if err != nil {
				t.Fatalf("LOAD 1 replied %q, which does not parse: %v", reply, err)
			}
			var de *robot.DeviceError
			if !errors.As(rep.Err, &de) || de.Code != tt.wantCode || !errors.Is(rep.Err, tt.wantIs) {
				t.Errorf("LOAD 1 = %v, want code %s", rep.Err, tt.wantCode)
			}
			if tt.wantCode == "DRIVE_FAULT" && (errors.Is(rep.Err, robot.ErrDriveFull) || !strings.Contains(de.Message, "closed")) {
				t.Errorf("LOAD 1 = %v, want the drive's own words and not DRIVE_FULL", rep.Err)
			}
			if !r.status().Gripper {
				t.Errorf("after a failed LOAD the gripper is empty, want the blank still held")
			}
		})
	}
}

// TestLogf: a robot told to log says every motion and every refusal with
// the bins' counts after it, and nothing for a STATUS; Bins reports them.
func TestLogf(t *testing.T) {
	drv, err := drivesim.New(drivesim.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer drv.Close()
	var lines []string
	r, err := New(Options{Drives: []Drive{drv}, Blanks: 2, Logf: func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Handle(robot.AppendLine(nil, 1, "STATUS"))
	r.Handle(robot.AppendLine(nil, 2, "PICK"))
	r.Handle(robot.AppendLine(nil, 3, "UNLOAD", "1"))
	want := []string{"robot: PICK -> OK (input 1, output 0, reject 0)", "robot: UNLOAD 1 -> ERR GRIPPER_FULL (input 1, output 0, reject 0)"}
	if !slices.Equal(lines, want) {
		t.Errorf("logged %q, want %q", lines, want)
	}
	if in, out, rej := r.Bins(); in != 1 || out != 0 || rej != 0 {
		t.Errorf("Bins() = %d, %d, %d; want 1, 0, 0", in, out, rej)
	}
}
