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
)

// Run starts the drive and robot on pseudo-terminals, links them, and
// serves until ctx ends. The links are removed on the way out.
func Run(ctx context.Context, c Config, stdout io.Writer, logger *log.Logger) error {
	dir := c.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "copysim-")
		if err != nil {
			return fmt.Errorf("copysim: disc directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	dopts, err := c.driveOptions(dir)
	if err != nil {
		return fmt.Errorf("copysim: %w", err)
	}
	drv, err := drivesim.New(dopts)
	if err != nil {
		return err
	}
	defer drv.Close()
	bot, err := robotsim.New(c.robotOptions(drv))
	if err != nil {
		return err
	}
	defer bot.Close()

	drivePty, err := pty.Open()
	if err != nil {
		return err
	}
	defer drivePty.Close()
	robotPty, err := pty.Open()
	if err != nil {
		return err
	}
	defer robotPty.Close()
	if err := link(drivePty.SlavePath, c.DriveLink); err != nil {
		return err
	}
	defer os.Remove(c.DriveLink)
	if err := link(robotPty.SlavePath, c.RobotLink); err != nil {
		return err
	}
	defer os.Remove(c.RobotLink)

	logf := func(string, ...any) {}
	if c.Verbose {
		logf = logger.Printf
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	line := linefault.New(drivePty.Master, c.lineOptions())
	go func() { errc <- serial.Serve(ctx, line, drv, serial.Options{Logf: logf}) }()
	go func() { errc <- bot.Serve(ctx, robotPty.Master) }()
	fmt.Fprintf(stdout, "copysim: drive %s -> %s, robot %s -> %s, media %s, %d blanks, discs in %s\n",
		c.DriveLink, drivePty.SlavePath, c.RobotLink, robotPty.SlavePath, c.Media, c.Blanks, dir)

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
