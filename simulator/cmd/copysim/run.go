package main

import (
	"context"
	"copystation/drive/serial"
	"copystation/simulator/drivesim"
	"copystation/simulator/linefault"
	"copystation/simulator/pty"
	"copystation/simulator/robotsim"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
)

// Run starts the drives and robot on pseudo-terminals, links them, and
// serves until ctx ends. The links are removed on the way out.
func Run(ctx context.Context, c Config, stdout io.Writer, logger *log.Logger) error {
	dir := c.Dir
	if err := checkDiscDir(dir); err != nil {
		return err
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "copysim-")
		if err != nil {
			return fmt.Errorf("copysim: disc directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	logf := func(string, ...any) {}
	if c.Verbose {
		logf = logger.Printf
	}
	errc := make(chan error, c.Drives+1)
	var drives []robotsim.Drive
	var names []string
	for k := 1; k <= max(c.Drives, 1); k++ {
		dopts, err := c.driveOptions(dir, k)
		if err != nil {
			return fmt.Errorf("copysim: %w", err)
		}
		drv, err := drivesim.New(dopts)
		if err != nil {
			return err
		}
		defer drv.Close()
		p, err := serveOn(c.driveLink(k))
		if err != nil {
			return err
		}
		defer p.Close()
		defer os.Remove(c.driveLink(k))
		lopts := c.lineOptions()
		lopts.Seed += uint64(k)
		line := linefault.New(p.Master, lopts)
		go func() { errc <- serial.Serve(ctx, line, drv, serial.Options{Logf: logf}) }()
		drives = append(drives, drv)
		names = append(names, fmt.Sprintf("drive %d %s -> %s", k, c.driveLink(k), p.SlavePath))
	}
	ropts := c.robotOptions(drives)
	ropts.Logf = logf
	bot, err := robotsim.New(ropts)
	if err != nil {
		return err
	}
	defer bot.Close()
	p, err := serveOn(c.RobotLink)
	if err != nil {
		return err
	}
	defer p.Close()
	defer os.Remove(c.RobotLink)
	robotLine := linefault.New(p.Master, c.robotLineOptions())
	go func() { errc <- bot.Serve(ctx, robotLine) }()
	fmt.Fprintf(stdout, "copysim: %s, robot %s -> %s, media %s, %d blanks, discs in %s\n",
		strings.Join(names, ", "), c.RobotLink, p.SlavePath, c.Media, c.Blanks, dir)

	defer func() {
		in, out, rej := bot.Bins()
		logger.Printf("robot bins: input %d, output %d, reject %d", in, out, rej)
	}()
	select {
	case <-ctx.Done():
		logger.Print("stopping")
		return nil
	case err := <-errc:
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return fmt.Errorf("copysim: %w", err)
	}
}

// checkDiscDir refuses a --dir holding discs from an earlier run: media IDs
// come from --seed, so the same seed would draw the same IDs again and
// every LOAD would fail on a disc file that already exists.
func checkDiscDir(dir string) error {
	if dir == "" {
		return nil
	}
	old, err := filepath.Glob(filepath.Join(dir, "disc-*.img"))
	if err != nil || len(old) == 0 {
		return nil
	}
	return fmt.Errorf("copysim: --dir %s holds %d disc files from an earlier run (e.g. %s); their media IDs would repeat: empty it, or give another --dir", dir, len(old), filepath.Base(old[0]))
}

// serveOn opens a pseudo-terminal and links path to its slave end.
func serveOn(path string) (*pty.Pair, error) {
	p, err := pty.Open()
	if err != nil {
		return nil, err
	}
	if err := link(p.SlavePath, path); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// link points path at target, replacing a stale symlink left by an earlier
// run but never a file that is not a symlink.
func link(target, path string) error {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSymlink == 0 {
			return fmt.Errorf("copysim: %s exists and is not a symlink; choose another link path", path)
		}
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("copysim: link %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("copysim: link %s: %w", path, err)
	}
	return nil
}
