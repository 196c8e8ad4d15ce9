package robot_test

import (
	"context"
	"copystation/drive"
	"copystation/robot"
	"copystation/simulator/drivesim"
	"copystation/simulator/linefault"
	"copystation/simulator/robotsim"
	"errors"
	"io"
	"testing"
	"time"
)

type pipeEnd struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (p *pipeEnd) Close() error {
	for _, c := range p.closers {
		c.Close()
	}
	return nil
}

func pipePair() (a, b *pipeEnd) {
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	return &pipeEnd{ar, aw, []io.Closer{ar, aw}}, &pipeEnd{br, bw, []io.Closer{br, bw}}
}

type rig struct {
	drv   *drivesim.Drive
	sim   *robotsim.Robot
	bot   *robot.Robot
	line  *linefault.Line
	devRW io.ReadWriter
}

// newRig wires a client to a simulated robot with one simulated drive,
// through a line that loses what lossy says.
func newRig(t *testing.T, blanks int, lossy linefault.Options, opts ...robot.Option) *rig {
	t.Helper()
	drv, err := drivesim.New(drivesim.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := robotsim.New(robotsim.Options{Drives: []robotsim.Drive{drv}, Blanks: blanks, Media: drivesim.BDR25})
	if err != nil {
		t.Fatal(err)
	}
	hostEnd, devEnd := pipePair()
	line := linefault.New(devEnd, lossy)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sim.Serve(ctx, line); close(done) }()
	bot := robot.New(hostEnd, append([]robot.Option{robot.WithRetry(50 * time.Millisecond), robot.WithTimeout(30 * time.Second)}, opts...)...)
	t.Cleanup(func() {
		cancel()
		bot.Close()
		devEnd.Close()
		<-done
		sim.Close()
		drv.Close()
	})
	return &rig{drv: drv, sim: sim, bot: bot, line: line}
}

func eject(t *testing.T, d *drivesim.Drive) {
	t.Helper()
	var res drive.Result
	var err error
	for range 3 { // a unit attention (power on, new medium) may come first
		res, err = d.Do([]byte{0x1B, 0, 0, 0, 0x02, 0}, drive.DirNone, nil, time.Second)
		if err == nil && res.Status == drive.StatusGood {
			return
		}
	}
	t.Fatalf("eject = %v, sense %x", err, res.Sense)
}

func TestCopyCycle(t *testing.T) {
	r := newRig(t, 2, linefault.Options{})
	ctx := context.Background()
	if err := r.bot.Pick(ctx); err != nil {
		t.Fatalf("Pick = %v", err)
	}
	if err := r.bot.Load(ctx, 1); err != nil {
		t.Fatalf("Load(1) = %v", err)
	}
	if !r.drv.HasDisc() {
		t.Fatalf("drive has no disc after Load(1)")
	}
	if err := r.bot.Unload(ctx, 1); !errors.Is(err, robot.ErrTrayClosed) {
		t.Errorf("Unload with the tray closed = %v, want ErrTrayClosed", err)
	}
	eject(t, r.drv)
	if err := r.bot.Unload(ctx, 1); err != nil {
		t.Fatalf("Unload(1) = %v", err)
	}
	st, err := r.bot.Status(ctx)
	if err != nil {
		t.Fatalf("Status = %v", err)
	}
	if st.Input != 1 || st.Output != 1 || st.Gripper || len(st.Drives) != 1 || st.Drives[0].HasDisc {
		t.Errorf("Status after one cycle = %+v, want 1 in, 1 out, drive empty", st)
	}
	if out := r.sim.Output(); len(out) != 1 || out[0].Media() != drivesim.BDR25 {
		t.Errorf("output bin = %v, want one BD-R", out)
	}
	// Second blank: reject it straight from the gripper, then run dry.
	r.bot.Pick(ctx)
	if err := r.bot.Reject(ctx, 0); err != nil {
		t.Fatalf("Reject(gripper) = %v", err)
	}
	if err := r.bot.Pick(ctx); !errors.Is(err, robot.ErrInputEmpty) {
		t.Errorf("Pick from an empty bin = %v, want ErrInputEmpty", err)
	}
}

func TestRefusals(t *testing.T) {
	r := newRig(t, 3, linefault.Options{})
	ctx := context.Background()
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"load with empty gripper", func() error { return r.bot.Load(ctx, 1) }, robot.ErrGripperEmpty},
		{"load drive 2 of 1", func() error { r.bot.Pick(ctx); return r.bot.Load(ctx, 2) }, robot.ErrNoDrive},
		{"pick twice", func() error { return r.bot.Pick(ctx) }, robot.ErrGripperFull},
		{"unload an empty drive", func() error { r.bot.Load(ctx, 1); eject(t, r.drv); r.drv.Remove(); return r.bot.Unload(ctx, 1) }, robot.ErrDriveEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestJam(t *testing.T) {
	r := newRig(t, 3, linefault.Options{})
	r.sim.Inject(robotsim.Jam{Op: "LOAD", After: 1})
	ctx := context.Background()
	r.bot.Pick(ctx)
	err := r.bot.Load(ctx, 1)
	var de *robot.DeviceError
	if !errors.Is(err, robot.ErrJam) || !errors.As(err, &de) || de.Code != "JAM" {
		t.Fatalf("Load into a jamming robot = %v, want ErrJam with code JAM", err)
	}
	if err := r.bot.Load(ctx, 1); !errors.Is(err, robot.ErrJam) {
		t.Errorf("Load while jammed = %v, want ErrJam", err)
	}
	if st, _ := r.bot.Status(ctx); !st.Jammed || !st.Gripper {
		t.Errorf("Status while jammed = %+v, want jammed with the disc in the gripper", st)
	}
	if err := r.bot.Reset(ctx); err != nil {
		t.Fatalf("Reset = %v", err)
	}
	if err := r.bot.Load(ctx, 1); err != nil {
		t.Errorf("Load after Reset = %v", err)
	}
}

// TestLostRepliesNeverMoveTwice drops and corrupts robot replies: the
// client retransmits, and the robot answers from its last reply.
func TestLostRepliesNeverMoveTwice(t *testing.T) {
	r := newRig(t, 5, linefault.Options{Seed: 1, Drop: []int{0, 2}, Corrupt: []int{3}})
	ctx := context.Background()
	for range 3 {
		if err := r.bot.Pick(ctx); err != nil {
			t.Fatalf("Pick over a lossy line = %v", err)
		}
		if err := r.bot.Reject(ctx, 0); err != nil {
			t.Fatalf("Reject over a lossy line = %v", err)
		}
	}
	st, err := r.bot.Status(ctx)
	if err != nil || st.Input != 2 || st.Rejected != 3 {
		t.Errorf("Status = %+v, %v, want 2 blanks left and 3 rejected: no motion repeated", st, err)
	}
	if s := r.line.Stats(); s.DroppedWrites != 2 || s.CorruptedWrites != 1 {
		t.Errorf("line stats = %+v, want 2 dropped and 1 corrupted replies", s)
	}
}

func TestDeadlines(t *testing.T) {
	hostEnd, devEnd := pipePair()
	defer devEnd.Close()
	go io.Copy(io.Discard, devEnd) // a robot that never answers
	bot := robot.New(hostEnd, robot.WithRetry(10*time.Millisecond), robot.WithTimeout(50*time.Millisecond))
	defer bot.Close()
	start := time.Now()
	if err := bot.Pick(context.Background()); !errors.Is(err, robot.ErrTimeout) {
		t.Errorf("Pick with no robot = %v, want ErrTimeout", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := bot.Status(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Status with a short context = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("deadlines took %v", d)
	}
	bot.Close()
	if err := bot.Reset(context.Background()); !errors.Is(err, robot.ErrClosed) {
		t.Errorf("Reset after Close = %v, want ErrClosed", err)
	}
}

// TestContextWinsOverRobotTimer: when the robot's own timer and the caller's
// context are both ready, the context's error comes back, every time. The
// robot timer here has always fired already, as it would for a goroutine
// descheduled past both deadlines on a loaded machine.
func TestContextWinsOverRobotTimer(t *testing.T) {
	fired := func(time.Duration) <-chan time.Time {
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c
	}
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"deadline passed", expired, context.DeadlineExceeded},
		{"canceled", canceled, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hostEnd, devEnd := pipePair()
			defer devEnd.Close()
			go io.Copy(io.Discard, devEnd) // a robot that never answers
			bot := robot.New(hostEnd, robot.WithTimers(fired))
			defer bot.Close()
			// select picks among ready cases at random: 64 tries leave a
			// wrong preference no place to hide.
			for i := range 64 {
				if _, err := bot.Status(tt.ctx); !errors.Is(err, tt.want) || errors.Is(err, robot.ErrTimeout) {
					t.Fatalf("try %d: Status = %v, want %v", i, err, tt.want)
				}
			}
		})
	}
}

// stuckWriter never accepts a byte, like a line whose device stopped
// reading with full buffers.
type stuckWriter struct {
	io.Reader
	block chan struct{}
}

func (s stuckWriter) Write([]byte) (int, error) { <-s.block; return 0, io.ErrClosedPipe }

func TestStuckLineEndsAtDeadline(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	block := make(chan struct{})
	defer close(block)
	bot := robot.New(stuckWriter{pr, block}, robot.WithTimeout(50*time.Millisecond))
	defer bot.Close()
	done := make(chan error, 1)
	go func() { done <- bot.Pick(context.Background()) }()
	select {
	case err := <-done:
		if !errors.Is(err, robot.ErrTimeout) {
			t.Errorf("Pick on a stuck line = %v, want ErrTimeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Pick on a stuck line did not return")
	}
}
