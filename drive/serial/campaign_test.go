package serial_test

import (
	"bufio"
	"bytes"
	"copystation/internal/testenv"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"copystation/drive"
	"copystation/drive/serial"
)

// The campaigns here kill a host in the middle of large WRITE Commands on
// a real pseudo-terminal to copysim, a separate process, and require the
// next host's first command to be answered. That command has a 1 s
// timeout and a 1 s link allowance: a wedged link fails it with ErrTimeout
// instead of hanging the test. COPYSTATION_SERIAL_KILLS sets the number of
// kills of each campaign (the long mode, e.g. 500); the short mode makes
// 20 with cut frames and 5 with killed processes.

var tur = []byte{0x00, 0, 0, 0, 0, 0}

// writeCommand encodes, as a host would, a WRITE(10) Command frame of
// blocks sectors, so that the test can cut it at any byte.
func writeCommand(seq, lba uint32, blocks int) []byte {
	cdb := []byte{0x2A, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(cdb[2:], lba)
	binary.BigEndian.PutUint16(cdb[7:], uint16(blocks))
	p := binary.BigEndian.AppendUint32(nil, 10000) // timeout, ms
	p = append(p, byte(drive.DirOut), byte(len(cdb)))
	p = binary.BigEndian.AppendUint32(p, 0) // data-in length
	p = append(p, cdb...)
	p = append(p, randomImage(blocks*drive.SectorSize)...)
	return serial.AppendFrame(nil, serial.Frame{Type: serial.TypeCommand, Seq: seq, Payload: p})
}

// firstCommand opens a new host on link and requires its first command to
// be answered. It returns how long that took from the open, for the log:
// the bound is the transport's own deadlines (the Sync's, then the
// command's), not this figure.
func firstCommand(t *testing.T, link, what string) time.Duration {
	t.Helper()
	start := time.Now()
	tr, err := serial.Open(link, serial.Options{LinkAllowance: time.Second})
	if err != nil {
		t.Fatalf("%s: serial.Open(%s) = %v", what, link, err)
	}
	defer tr.Close()
	if _, err := tr.Do(tur, drive.DirNone, nil, time.Second); err != nil {
		t.Fatalf("%s: the next host's first Do(TEST UNIT READY) = %v, want the drive's answer", what, err)
	}
	return time.Since(start)
}

// latencies collects how long each next host's first answer took.
type latencies []time.Duration

func (l latencies) String() string {
	s := slices.Clone(l)
	slices.Sort(s)
	if len(s) == 0 {
		return "none"
	}
	return fmt.Sprintf("median %v, max %v over %d hosts", s[len(s)/2].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond), len(s))
}

// TestPtyDeadHostCampaign: a host writes a seeded random prefix of a WRITE
// Command of up to 1 MiB onto the pty and closes the line, as a host
// killed mid-frame does; the next host opens the line and is answered.
func TestPtyDeadHostCampaign(t *testing.T) {
	link := startCopysim(t, "--loaded")
	rng := rand.New(rand.NewPCG(14, 17))
	var took latencies
	for i := range serial.CampaignKills(t, 20) {
		frame := writeCommand(rng.Uint32(), 0, 1+rng.IntN(512))
		cut := 1 + rng.IntN(len(frame)-1)
		f, err := os.OpenFile(link, os.O_RDWR|unix.O_NOCTTY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(frame[:cut]); err != nil {
			t.Fatalf("writing the dead host's bytes: %v", err)
		}
		f.Close()
		took = append(took, firstCommand(t, link, fmt.Sprintf("kill %d at byte %d of %d", i, cut, len(frame))))
	}
	t.Logf("first answer after a cut frame, from the open: %v", took)
}

// hostHelperEnv names the pty on which TestHostHelperProcess, run as its
// own process, plays a host writing 1 MiB at a time.
const hostHelperEnv = "COPYSTATION_SERIAL_HOST_HELPER"

// TestHostHelperProcess is not a test: TestPtyKilledHostProcess runs the
// test binary with hostHelperEnv set, and this function is then the host
// process it kills. It prints "ready" once its first WRITE is answered,
// then writes until killed.
func TestHostHelperProcess(t *testing.T) {
	link := os.Getenv(hostHelperEnv)
	if link == "" {
		return // run as part of the suite: nothing to do
	}
	tr, err := serial.Open(link, serial.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	data := randomImage(1 << 20)
	cdb := []byte{0x2A, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(cdb[7:], uint16(len(data)/drive.SectorSize))
	for i := 0; ; i++ {
		binary.BigEndian.PutUint32(cdb[2:], uint32(i*len(data)/drive.SectorSize))
		if _, err := tr.Do(cdb, drive.DirOut, data, 10*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err) // the answer does not matter, only the frames on the line
		}
		if i == 0 {
			fmt.Println("ready")
		}
	}
}

// TestPtyKilledHostProcess: a host in its own process writes 1 MiB WRITE
// Commands to copysim over a pty and is killed with SIGKILL at a seeded
// random moment; the next host's first command is answered. copysim's log
// tells how many kills cut a frame (it logs each partial frame it drops).
func TestPtyKilledHostProcess(t *testing.T) {
	link, log := startCopysimLogged(t, "--loaded", "-v")
	rng := rand.New(rand.NewPCG(5, 8))
	kills := max(serial.CampaignKills(t, 50)/10, 5)
	var took latencies
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHostHelperProcess$")
		cmd.Env = append(os.Environ(), hostHelperEnv+"="+link)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan bool, 1)
		go func() {
			line, _ := bufio.NewReader(out).ReadString('\n')
			ready <- strings.TrimSpace(line) == "ready"
		}()
		select {
		case ok := <-ready:
			if !ok {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("kill %d: host process ended before its first answer: %s", i, stderr.String())
			}
		case <-time.After(60 * time.Second): // a bound for a loaded machine, not a measurement
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("kill %d: host process got no answer in 60 s: %s", i, stderr.String())
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		took = append(took, firstCommand(t, link, fmt.Sprintf("kill %d of the host process", i)))
	}
	t.Logf("%d host processes killed; copysim dropped %d partial frames; first answer from the open: %v",
		kills, strings.Count(log(), "partial frame"), took)
}

// startCopysimLogged is startCopysim for a test that reads copysim's log:
// it returns the link and a function that returns the log so far.
func startCopysimLogged(tb testing.TB, args ...string) (string, func() string) {
	tb.Helper()
	buildCopysim(tb)
	dir := tb.TempDir()
	link := filepath.Join(dir, "drive")
	cmd := exec.Command(copysim.bin, append([]string{"--drive-link", link, "--robot-link", filepath.Join(dir, "robot"),
		"--dir", dir}, args...)...)
	var log lockedBuffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start copysim: %v", err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if tb.Failed() {
			tb.Logf("copysim stderr:\n%s", log.String())
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(link); err == nil {
			return link, log.String
		}
		if time.Now().After(deadline) {
			tb.Fatalf("copysim drive link did not appear within 20s")
		}
	}
}

// lockedBuffer is a bytes.Buffer that a process writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// buildCopysim builds copysim once for the package's tests, as
// startCopysim does.
func buildCopysim(tb testing.TB) {
	tb.Helper()
	if runtime.GOOS != "linux" {
		testenv.Require(tb, "copysim's pseudo-terminals need Linux")
	}
	copysim.once.Do(func() {
		dir, err := os.MkdirTemp("", "copysim-bin-")
		if err != nil {
			copysim.err = err
			return
		}
		copysim.bin = filepath.Join(dir, "copysim")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", copysim.bin, "copystation/simulator/cmd/copysim").CombinedOutput()
		if err != nil {
			copysim.err = fmt.Errorf("go build copysim: %v\n%s", err, out)
		}
	})
	if copysim.err != nil {
		tb.Fatal(copysim.err)
	}
}
