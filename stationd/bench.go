//go:build !nonode

package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"copystation/simulator/drivesim"
	"copystation/stationd/api"
	"copystation/stationd/job"
	"copystation/stationd/simstation"
	"copystation/stationd/titles"
)

// fullDisc is the largest round image that fits a BD-R 25 with its header
// and integrity table: 24.0 GB (366,210 clusters of 64 KiB).
const fullDisc = 366210 << 16

// BenchResult is what `stationd bench` measures.
type BenchResult struct {
	StartupRuns   int     `json:"startup_runs"`
	StartupMinMS  float64 `json:"startup_to_ready_min_ms"`
	StartupMedMS  float64 `json:"startup_to_ready_median_ms"`
	StartupMaxMS  float64 `json:"startup_to_ready_max_ms"`
	BurnBytes     int64   `json:"burn_image_bytes"`
	BurnSeconds   float64 `json:"burn_seconds"`
	BurnMBps      float64 `json:"burn_mb_per_second"`
	ReadyRSSMiB   float64 `json:"daemon_ready_rss_mib"`
	PeakRSSMiB    float64 `json:"daemon_peak_rss_mib"`
	SampledMaxMiB float64 `json:"daemon_sampled_max_rss_mib"`
	Attempts      int     `json:"attempts"`
	Daemon        string  `json:"daemon_binary"`
	DaemonBytes   int64   `json:"daemon_binary_bytes"`
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stationd bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	size := fs.Int64("size", fullDisc, "bytes of the title image to burn (a whole number of 64 KiB; the default fills 96% of a BD-R 25)")
	starts := fs.Int("starts", 10, "daemon start-ups to time")
	dir := fs.String("dir", "", "work directory (default a temporary one; needs about twice --size of free disk)")
	tower := fs.Int("tower", 0, "instead: a tower of N simulated 16x drives and one robot, in real time (default image 1 GiB)")
	discs := fs.Int("discs", 2, "with --tower: copies per drive")
	robotMove := fs.Duration("robot-move", 2*time.Second, "with --tower: how long one robot motion takes (PICK, LOAD, UNLOAD; one robot serves all the drives, one motion at a time); 0: instantly")
	discFiles := fs.Bool("disc-files", false, "with --tower: keep the simulated discs in sparse files under --dir instead of in memory (the host's file system then competes with the pipeline for the cores)")
	driveBuffer := fs.Int("drive-buffer", drivesim.DefaultCacheSize>>20, "with --tower: each drive's write buffer in `MiB`, 2 to 64 (the station writes 1 MiB a command; at 16x, 4 MiB lasts 58 ms)")
	traceUnderrun := fs.String("trace-underrun", "", "with --tower: keep the last seconds of the process's execution trace (with CPU samples) in memory and write them to `FILE` at an underrun (up to 5: FILE, FILE.2, ...; go tool trace FILE); tracing costs the host CPU, so take figures from runs without it")
	daemonBin := fs.String("daemon", "", "the binary run as `BIN simrun` for the measured daemon (default: stationd-simrun beside this executable if there is one, else this executable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *tower > 0 {
		sized := false
		fs.Visit(func(f *flag.Flag) { sized = sized || f.Name == "size" })
		if !sized {
			*size = 1 << 30
		}
		if *robotMove < 0 {
			fmt.Fprintf(stderr, "stationd bench --tower: --robot-move %v is negative: give a motion's time, or 0 for an instant robot\n", *robotMove)
			return 2
		}
		if *driveBuffer < 2 || *driveBuffer > 64 {
			fmt.Fprintf(stderr, "stationd bench --tower: --drive-buffer %d MiB is out of range: give 2 to 64 (the station writes 1 MiB a command, so a smaller buffer runs dry after every one; a drive reports at most 64 MiB)\n", *driveBuffer)
			return 2
		}
		r, err := runTower(ctx, stderr, *dir, towerOptions{Drives: *tower, PerDrive: max(1, *discs), Size: *size, Scale: 1,
			InMemory: !*discFiles, RobotMove: *robotMove, DriveBuffer: *driveBuffer << 20, TraceUnderrun: *traceUnderrun})
		if err != nil {
			fmt.Fprintf(stderr, "stationd bench --tower: %v\n", err)
			return 1
		}
		if *asJSON {
			return printJSON(stdout, r)
		}
		printTower(stdout, r)
		return 0
	}
	r, err := runBench(ctx, stderr, *dir, *daemonBin, *size, *starts)
	if err != nil {
		fmt.Fprintf(stderr, "stationd bench: %v\n", err)
		return 1
	}
	if *asJSON {
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		e.Encode(r)
		return 0
	}
	fmt.Fprintf(stdout, "daemon binary: %s (%.1f MB)\n", r.Daemon, float64(r.DaemonBytes)/1e6)
	fmt.Fprintf(stdout, "start-up to READY (%d runs): min %.0f ms, median %.0f ms, max %.0f ms\n", r.StartupRuns, r.StartupMinMS, r.StartupMedMS, r.StartupMaxMS)
	fmt.Fprintf(stdout, "burn of %d bytes: %.1f s (%.0f MB/s end to end), %d attempt(s)\n", r.BurnBytes, r.BurnSeconds, r.BurnMBps, r.Attempts)
	fmt.Fprintf(stdout, "daemon resident memory during the burn: peak (VmHWM) %.1f MiB, sampled max %.1f MiB (%.1f MiB when READY)\n", r.PeakRSSMiB, r.SampledMaxMiB, r.ReadyRSSMiB)
	return 0
}

func runBench(ctx context.Context, log io.Writer, dir, daemonBin string, size int64, starts int) (*BenchResult, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "stationd-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	exe, err := daemonBinary(daemonBin)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return nil, fmt.Errorf("the daemon binary: %w", err)
	}
	nw, err := simstation.StartNetwork(ctx, filepath.Join(dir, "node"))
	if err != nil {
		return nil, err
	}
	defer nw.Close()
	sdir := filepath.Join(dir, "station")
	keys, err := simstation.OpenKeys(sdir)
	if err != nil {
		return nil, err
	}
	signing := keys.Signing
	_, err = nw.Enroll(ctx, keys.Signing, keys.Agreement)
	keys.Close() // the daemon processes open the TPM from here on
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "packaging a %d-byte title...\n", size)
	title, err := simstation.MakeTitle(ctx, nw, filepath.Join(sdir, "titles"), "bench-film", size, 3)
	if err != nil {
		return nil, err
	}
	// Installed as an operator would (stationd titles add): the burn then
	// reads the package once.
	fmt.Fprintf(log, "installing it...\n")
	if _, err := titles.ForState(sdir, filepath.Join(sdir, "titles")).Add(ctx, title.Path, titles.AddOptions{ContentHash: title.Manifest.Root[:]}); err != nil {
		return nil, err
	}
	if err := nw.Mint(ctx, "bench-token", "bench-film", signing); err != nil {
		return nil, err
	}
	r := &BenchResult{StartupRuns: starts, BurnBytes: size, Daemon: exe, DaemonBytes: fi.Size()}
	var times []float64
	for range starts {
		p, t, err := startDaemon(exe, sdir, nw)
		if err != nil {
			return nil, err
		}
		times = append(times, float64(t.Microseconds())/1000)
		p.stop()
	}
	slices.Sort(times)
	if len(times) > 0 {
		r.StartupMinMS, r.StartupMedMS, r.StartupMaxMS = times[0], times[len(times)/2], times[len(times)-1]
	}
	fmt.Fprintf(log, "start-up to READY: %v ms\nburning...\n", times)
	p, _, err := startDaemon(exe, sdir, nw)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if rss, err := procKiB(p.cmd.Process.Pid, "VmRSS"); err == nil {
		r.ReadyRSSMiB = float64(rss) / 1024
	}
	c := api.NewClient(filepath.Join(sdir, "stationd.sock"))
	t0 := time.Now()
	j, err := c.Burn(ctx, api.BurnRequest{TitleID: "bench-film", TokenID: "bench-token"})
	if err != nil {
		return nil, err
	}
	for {
		if rss, _ := procKiB(p.cmd.Process.Pid, "VmRSS"); float64(rss)/1024 > r.SampledMaxMiB {
			r.SampledMaxMiB = float64(rss) / 1024
		}
		cur, err := c.Job(ctx, j.ID)
		if err != nil {
			return nil, err
		}
		if cur.State.Terminal() {
			if cur.State != job.Done {
				return nil, fmt.Errorf("burn ended %s: %s", cur.State, cur.Reason)
			}
			r.Attempts = cur.Attempt
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	r.BurnSeconds = time.Since(t0).Seconds()
	r.BurnMBps = float64(size) / 1e6 / r.BurnSeconds
	hwm, err := procKiB(p.cmd.Process.Pid, "VmHWM")
	if err != nil {
		return nil, err
	}
	r.PeakRSSMiB = float64(hwm) / 1024
	return r, nil
}

// daemonBinary picks the binary the bench runs as the daemon: the one
// named, else stationd-simrun beside this executable (the daemon without
// the bench's validation node, whose mapped text would otherwise count in
// the daemon's memory), else this executable.
func daemonBinary(named string) (string, error) {
	if named != "" {
		return filepath.Abs(named)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	slim := filepath.Join(filepath.Dir(exe), "stationd-simrun")
	if fi, err := os.Stat(slim); err == nil && fi.Mode().IsRegular() {
		return slim, nil
	}
	return exe, nil
}

type daemonProc struct {
	cmd  *exec.Cmd
	done chan error
}

func (p *daemonProc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// startDaemon starts `stationd simrun` and returns once it sent READY=1,
// with the time from exec to READY.
func startDaemon(exe, dir string, nw *simstation.Network) (*daemonProc, time.Duration, error) {
	sock := filepath.Join(dir, "notify.sock")
	os.Remove(sock)
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return nil, 0, err
	}
	defer ln.Close()
	pin := nw.Pin()
	pl, err := nw.Players()
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(exe, "simrun", "--dir", dir, "--node", pin.Address+","+pin.StaticKey+","+pin.SigningKey,
		"--group", hex.EncodeToString(nw.Group()), "--players", fmt.Sprintf("%s,%d", pl.Tree, pl.Depth), "--log-level", "warn")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &daemonProc{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	b := make([]byte, 4096)
	for {
		ln.SetReadDeadline(time.Now().Add(60 * time.Second))
		n, err := ln.Read(b)
		if err != nil {
			p.stop()
			return nil, 0, fmt.Errorf("daemon not READY: %w", err)
		}
		if strings.Contains(string(b[:n]), "READY=1") {
			return p, time.Since(t0), nil
		}
	}
}

// procKiB reads one "Name: N kB" line of /proc/PID/status.
func procKiB(pid int, name string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), name+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, name)
}
