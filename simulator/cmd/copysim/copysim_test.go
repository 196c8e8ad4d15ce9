package main

import (
	"bytes"
	"context"
	"copystation/drive"
	"copystation/drive/serial"
	"copystation/internal/testenv"
	"copystation/robot"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startCopysim builds copysim, runs it as a child process and waits for its
// links.
func startCopysim(t *testing.T, args ...string) (driveLink, robotLink string, cmd *exec.Cmd) {
	t.Helper()
	if runtime.GOOS != "linux" {
		testenv.Require(t, "copysim's pseudo-terminals need Linux")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "copysim")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build copysim: %v\n%s", err, out)
	}
	driveLink, robotLink = filepath.Join(dir, "drive"), filepath.Join(dir, "robot")
	cmd = exec.Command(bin, append([]string{"--drive-link", driveLink, "--robot-link", robotLink,
		"--dir", filepath.Join(dir, "discs")}, args...)...)
	os.Mkdir(filepath.Join(dir, "discs"), 0o700)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start copysim: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("copysim stderr:\n%s", stderr.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, e1 := os.Stat(driveLink)
		_, e2 := os.Stat(robotLink)
		if e1 == nil && e2 == nil {
			return driveLink, robotLink, cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("copysim links did not appear within 60s: %v, %v", e1, e2)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func do(t *testing.T, tr drive.Transport, cdb []byte, dir drive.Direction, buf []byte) drive.Result {
	t.Helper()
	res, err := tr.Do(cdb, dir, buf, 30*time.Second) // a bound only: commands answer at once
	if err != nil {
		t.Fatalf("Do(% x) over the pseudo-terminal = %v", cdb, err)
	}
	return res
}

func mustGood(t *testing.T, tr drive.Transport, cdb []byte, dir drive.Direction, buf []byte) {
	t.Helper()
	if res := do(t, tr, cdb, dir, buf); res.Status != drive.StatusGood {
		t.Fatalf("Do(% x) sense = %x, want GOOD", cdb, res.Sense)
	}
}

// TestCopysimProcess drives a copysim child process end to end, over lines
// that drop and corrupt some frames and replies: the robot
// loads a blank, the host writes, closes, finalises and reads it back over
// the serial framing, ejects, and the robot unloads it; SIGTERM then stops
// copysim and removes its links.
func TestCopysimProcess(t *testing.T) {
	driveLink, robotLink, cmd := startCopysim(t, "--blanks", "3", "--seed", "5",
		"--fault-line-drop", "0.05", "--fault-line-corrupt", "0.05", "--fault-robot-line-drop", "0.2")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	bot, err := robot.Open(robotLink, robot.WithRetry(200*time.Millisecond), robot.WithTimeout(60*time.Second))
	if err != nil {
		t.Fatalf("robot.Open(%s) = %v", robotLink, err)
	}
	defer bot.Close()
	if err := bot.Pick(ctx); err != nil {
		t.Fatalf("Pick = %v", err)
	}
	if err := bot.Load(ctx, 1); err != nil {
		t.Fatalf("Load(1) = %v", err)
	}

	tr, err := serial.Open(driveLink, serial.Options{RetryInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("serial.Open(%s) = %v", driveLink, err)
	}
	defer tr.Close()
	tur := make([]byte, 6)
	var senses []string
	for range 5 { // power-on reset, then medium may have changed, then ready
		res := do(t, tr, tur, drive.DirNone, nil)
		if res.Status == drive.StatusGood {
			break
		}
		senses = append(senses, string([]byte{res.Sense[2] + '0', ' '})+string(res.Sense[12:14]))
	}
	if len(senses) != 2 {
		t.Errorf("unit attentions before ready = %d, want 2 (29/00, 28/00)", len(senses))
	}
	data := bytes.Repeat([]byte("copysim over a pty "), 64*2048/19+1)[:64*2048]
	w := make([]byte, 12)
	w[0], w[10] = byte(drive.OpWrite12), 0x80
	binary.BigEndian.PutUint32(w[6:], 32)
	for i := range uint32(2) {
		binary.BigEndian.PutUint32(w[2:], i*32)
		mustGood(t, tr, w, drive.DirOut, data[i*32*2048:(i+1)*32*2048])
	}
	mustGood(t, tr, []byte{0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, drive.DirNone, nil)
	mustGood(t, tr, []byte{0x5B, 0, 0x01, 0, 0, 1, 0, 0, 0, 0}, drive.DirNone, nil)
	mustGood(t, tr, []byte{0x5B, 0, 0x06, 0, 0, 0, 0, 0, 0, 0}, drive.DirNone, nil)
	got := make([]byte, 64*2048)
	mustGood(t, tr, []byte{0xA8, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0}, drive.DirIn, got)
	if !bytes.Equal(got, data) {
		t.Errorf("read back over the pty differs from what was written")
	}
	rdi := make([]byte, 34)
	mustGood(t, tr, []byte{0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0}, drive.DirIn, rdi)
	if rdi[2]&3 != 2 {
		t.Errorf("disc status after finalise = %d, want 2 (complete)", rdi[2]&3)
	}
	mustGood(t, tr, []byte{0x1B, 0, 0, 0, 0x02, 0}, drive.DirNone, nil)
	if err := bot.Unload(ctx, 1); err != nil {
		t.Fatalf("Unload(1) = %v", err)
	}
	st, err := bot.Status(ctx)
	if err != nil || st.Input != 2 || st.Output != 1 || st.Drives[0].HasDisc {
		t.Errorf("Status = %+v, %v, want 2 blanks, 1 finished disc, drive empty", st, err)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("copysim after SIGTERM = %v, want a clean exit", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("copysim did not exit within 60s of SIGTERM")
	}
	for _, l := range []string{driveLink, robotLink} {
		if _, err := os.Lstat(l); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("link %s after exit: %v, want removed", l, err)
		}
	}
}

func TestConfigFlags(t *testing.T) {
	var errOut bytes.Buffer
	if code := Main(context.Background(), []string{"--media", "bd-r-99"}, &errOut, &errOut); code != 1 {
		t.Errorf("Main(--media bd-r-99) = %d, want 1; output %s", code, errOut.String())
	}
	if code := Main(context.Background(), []string{"--fault-hang", "zz"}, &errOut, &errOut); code != 2 {
		t.Errorf("Main(--fault-hang zz) = %d, want 2", code)
	}
}

// TestCopysimTwoDrives loads a blank into each of two drives through the
// robot and reads both media IDs over their own pseudo-terminals.
func TestCopysimTwoDrives(t *testing.T) {
	driveLink, robotLink, _ := startCopysim(t, "--drives", "2", "--blanks", "2")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bot, err := robot.Open(robotLink, robot.WithRetry(time.Second), robot.WithTimeout(60*time.Second))
	if err != nil {
		t.Fatalf("robot.Open = %v", err)
	}
	defer bot.Close()
	ids := map[string]bool{}
	for k, link := range []string{driveLink, driveLink + ".2"} {
		if err := bot.Pick(ctx); err != nil {
			t.Fatalf("Pick = %v", err)
		}
		if err := bot.Load(ctx, k+1); err != nil {
			t.Fatalf("Load(%d) = %v", k+1, err)
		}
		tr, err := serial.Open(link, serial.Options{})
		if err != nil {
			t.Fatalf("serial.Open(%s) = %v", link, err)
		}
		for range 5 {
			if do(t, tr, make([]byte, 6), drive.DirNone, nil).Status == drive.StatusGood {
				break
			}
		}
		id := make([]byte, 36)
		mustGood(t, tr, []byte{0xAD, 0x01, 0, 0, 0, 0, 0, 0x86, 0, 36, 0, 0}, drive.DirIn, id)
		ids[string(id[4:20])] = true
		tr.Close()
	}
	if len(ids) != 2 {
		t.Errorf("media IDs of the two discs are equal, want distinct")
	}
	st, err := bot.Status(ctx)
	if err != nil || len(st.Drives) != 2 || !st.Drives[0].HasDisc || !st.Drives[1].HasDisc || st.Input != 0 {
		t.Errorf("Status = %+v, %v, want both drives loaded and the bin empty", st, err)
	}
}

// TestCopysimFaultFlags checks that fault flags reach the drive: a medium
// error comes back as 03/11/00 over the pty, and a hung command ends at
// its deadline with an error.
func TestCopysimFaultFlags(t *testing.T) {
	driveLink, _, _ := startCopysim(t, "--loaded", "--fault-medium-error", "5", "--fault-hang", "35")
	// The allowance is wide so the hung command's answer (the drive's own
	// timeout, after 1 s) always arrives before the host gives up: were the
	// host first, the drive would still be running it and refuse the next
	// command as busy.
	tr, err := serial.Open(driveLink, serial.Options{RetryInterval: 100 * time.Millisecond, LinkAllowance: 10 * time.Second})
	if err != nil {
		t.Fatalf("serial.Open = %v", err)
	}
	defer tr.Close()
	for range 5 {
		if do(t, tr, make([]byte, 6), drive.DirNone, nil).Status == drive.StatusGood {
			break
		}
	}
	w := []byte{0xAA, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0x80, 0}
	mustGood(t, tr, w, drive.DirOut, make([]byte, 32*2048))
	res := do(t, tr, []byte{0xA8, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0}, drive.DirIn, make([]byte, 32*2048))
	want := []byte{0xF0, 0, 0x03, 0, 0, 0, 5, 10, 0, 0, 0, 0, 0x11, 0, 0, 0, 0, 0}
	if res.Status != drive.StatusCheckCondition || !bytes.Equal(res.Sense, want) {
		t.Errorf("READ over a medium error = status %#x sense %x, want %x", res.Status, res.Sense, want)
	}
	start := time.Now()
	if _, err := tr.Do([]byte{0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, drive.DirNone, nil, time.Second); !errors.Is(err, drive.ErrTimeout) {
		t.Errorf("hung SYNCHRONIZE CACHE = %v, want %v", err, drive.ErrTimeout)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("hung command took %v to fail, want about its 1s deadline", d)
	}
	// The hang fired once; the drive answers again.
	mustGood(t, tr, []byte{0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, drive.DirNone, nil)
}

// TestRunRefusesUsedDiscDir checks that copysim will not start on a disc
// directory from an earlier run, whose media IDs the same seed would draw
// again.
func TestRunRefusesUsedDiscDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "disc-00112233445566778899aabbccddeeff.img"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := Config{DriveLink: filepath.Join(dir, "drive"), RobotLink: filepath.Join(dir, "robot"), Media: "bd-r-25", Blanks: 1, Drives: 1, SpeedX: 16, Dir: dir}
	err := Run(context.Background(), c, io.Discard, log.New(io.Discard, "", 0))
	if err == nil || !strings.Contains(err.Error(), "earlier run") {
		t.Errorf("Run on a used --dir = %v, want a refusal naming the earlier run's discs", err)
	}
}
