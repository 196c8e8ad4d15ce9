package embedded

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
	"testing"
	"time"
)

// A child node profiles the benchmark's timed phase alone when its parent
// asks: SIGUSR1 starts a CPU profile (if SPEND_CPUPROFILE is set) and an
// execution trace (if SPEND_TRACE is set), each to the parent's file name
// with ".node<i>" added (the home's base name), and SIGUSR2 stops them. A
// child nobody signals (TestKilledNode's) writes nothing.
func childProfiling(home string) {
	cpuPath, tracePath := os.Getenv("SPEND_CPUPROFILE"), os.Getenv("SPEND_TRACE")
	if cpuPath == "" && tracePath == "" {
		return
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	suffix := "." + filepath.Base(home)
	go func() {
		var files []*os.File
		for s := range sig {
			if s == syscall.SIGUSR1 && files == nil {
				files = startChildProfiles(cpuPath, tracePath, suffix)
				continue
			}
			if s == syscall.SIGUSR2 && files != nil {
				if cpuPath != "" {
					pprof.StopCPUProfile()
				}
				if tracePath != "" {
					trace.Stop()
				}
				for _, f := range files {
					f.Close()
				}
				files = nil
			}
		}
	}()
}

func startChildProfiles(cpuPath, tracePath, suffix string) []*os.File {
	var files []*os.File
	if cpuPath != "" {
		f, err := os.Create(cpuPath + suffix)
		if err == nil {
			err = pprof.StartCPUProfile(f)
			files = append(files, f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child: SPEND_CPUPROFILE:", err)
		}
	}
	if tracePath != "" {
		f, err := os.Create(tracePath + suffix)
		if err == nil {
			err = trace.Start(f)
			files = append(files, f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child: SPEND_TRACE:", err)
		}
	}
	return files
}

// profileChildren asks every node process to profile until stop (see
// childProfiling) when SPEND_CPUPROFILE or SPEND_TRACE is set.
func (pn *procNet) profileChildren(b *testing.B) (stop func()) {
	if os.Getenv("SPEND_CPUPROFILE") == "" && os.Getenv("SPEND_TRACE") == "" {
		return func() {}
	}
	signalAll := func(s syscall.Signal) {
		for i, c := range pn.children {
			if err := c.cmd.Process.Signal(s); err != nil {
				b.Errorf("node %d: profile signal: %v", i, err)
			}
		}
	}
	signalAll(syscall.SIGUSR1)
	return func() {
		signalAll(syscall.SIGUSR2)
		// The children write their files as they stop: give them the time
		// before the benchmark's cleanup kills them (diagnostic runs only).
		time.Sleep(2 * time.Second)
	}
}
