package daemon

import (
	"context"
	"errors"
	"fmt"

	"copystation/robot"
	"copystation/stationd/config"
)

// AutoLoader is the Robot over the disc robot's serial line protocol. The
// robot reaches a drive only through an open tray, so the loader opens the
// tray over MMC before each move; the robot's LOAD closes it again.
type AutoLoader struct {
	R      *robot.Robot
	Drives []Drive // MMCDrives, indexed as the daemon's drives (robot slots from 1)
}

var _ Robot = (*AutoLoader)(nil)

func (a *AutoLoader) eject(ctx context.Context, n int) error {
	if n < 0 || n >= len(a.Drives) {
		return fmt.Errorf("autoloader: no drive %d", n)
	}
	md, ok := a.Drives[n].(*MMCDrive)
	if !ok {
		return fmt.Errorf("autoloader: drive %s cannot open its tray", a.Drives[n].Name())
	}
	md.D.Lock(ctx, false)
	return md.D.Eject(ctx)
}

// LoadBlank implements Robot: open the tray, pick a blank, load it.
func (a *AutoLoader) LoadBlank(ctx context.Context, n int) error {
	if err := a.eject(ctx, n); err != nil {
		return err
	}
	if err := a.R.Pick(ctx); err != nil {
		return err
	}
	if err := a.R.Load(ctx, n+1); err != nil {
		// Do not leave a blank in the gripper: reject it, keep the error.
		return errors.Join(err, a.R.Reject(ctx, 0))
	}
	return nil
}

// Unload implements Robot: open the tray, take the disc to the output bin
// or the reject bin.
func (a *AutoLoader) Unload(ctx context.Context, n int, good bool) error {
	if err := a.eject(ctx, n); err != nil {
		return err
	}
	if good {
		return a.R.Unload(ctx, n+1)
	}
	return a.R.Reject(ctx, n+1)
}

// Close closes the robot's line.
func (a *AutoLoader) Close() error { return a.R.Close() }

// RealRobot is the default Deps.Robot: the autoloader on the configured
// serial device, or none (discs loaded by hand).
func RealRobot(c config.Config, drives []Drive) (Robot, error) {
	if c.Robot.Device == "" {
		return nil, nil // discs are loaded by hand
	}
	r, err := robot.Open(c.Robot.Device)
	if err != nil {
		return nil, err
	}
	return &AutoLoader{R: r, Drives: drives}, nil
}
