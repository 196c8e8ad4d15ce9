package robotsim

import (
	"bufio"
	"context"
	"copystation/robot"
	"copystation/simulator/drivesim"
	"errors"
	"fmt"
	"io"
	"strings"
)

// driveFault is a drive refusing a disc for a reason other than holding
// one already. It is answered as ERR DRIVE_FAULT with the drive's words,
// a code the protocol's client reports as a device error.
type driveFault struct{ err error }

func (e *driveFault) Error() string { return e.err.Error() }
func (e *driveFault) Unwrap() error { return e.err }

// faultWords is the ERR reply for a driveFault: the message reduced to the
// bytes a line may carry, short enough for one line with its sequence
// number, code and checksum.
func faultWords(e *driveFault) []string {
	msg := strings.Map(func(c rune) rune {
		if c < 0x20 || c > 0x7E || c == '*' {
			return '?'
		}
		return c
	}, e.Error())
	if len(msg) > 220 { // a line is at most robot.MaxLine (256) bytes
		msg = msg[:220]
	}
	return []string{"ERR", "DRIVE_FAULT", msg}
}

// check tests a motion's preconditions before anything moves.
func (r *Robot) check(verb string, n int) error {
	switch verb {
	case "PICK":
		if r.gripper {
			return robot.ErrGripperFull
		}
		if r.input == 0 {
			return robot.ErrInputEmpty
		}
	case "LOAD":
		if !r.gripper {
			return robot.ErrGripperEmpty
		}
		if r.opts.Drives[n-1].HasDisc() {
			return robot.ErrDriveFull
		}
	case "UNLOAD", "REJECT":
		if n == 0 {
			if !r.gripper {
				return robot.ErrGripperEmpty
			}
			break
		}
		d := r.opts.Drives[n-1]
		switch {
		case r.gripper:
			return robot.ErrGripperFull
		case !d.HasDisc():
			return robot.ErrDriveEmpty
		case !d.TrayOpen():
			return robot.ErrTrayClosed
		}
	}
	if verb == "UNLOAD" && len(r.output) >= r.opts.OutputCapacity ||
		verb == "REJECT" && len(r.rejected) >= r.opts.RejectCapacity {
		return robot.ErrBinFull
	}
	return nil
}

// jamFires decides whether this motion jams.
func (r *Robot) jamFires(verb string) bool {
	r.motions[verb]++
	r.motions[""]++
	for _, j := range r.jams {
		if j.Op != "" && j.Op != verb {
			continue
		}
		if j.Rate > 0 && r.prng.Float64() < j.Rate {
			return true
		}
		if j.After > 0 && r.motions[j.Op] == j.After {
			return true
		}
	}
	return false
}

// move carries out a checked motion.
func (r *Robot) move(verb string, n int) error {
	switch verb {
	case "PICK":
		r.input--
		r.gripper = true
	case "LOAD":
		if err := r.opts.Drives[n-1].Insert(r.opts.Media); err != nil {
			if errors.Is(err, drivesim.ErrOccupied) {
				return fmt.Errorf("%w: %v", robot.ErrDriveFull, err)
			}
			// Any other refusal (a disc file that cannot be made, a drive
			// powered off) is the drive's fault, not a disc in the way;
			// the blank stays in the gripper.
			return &driveFault{err}
		}
		r.gripper = false
	case "UNLOAD", "REJECT":
		if n == 0 {
			r.gripper = false
			r.rejected = append(r.rejected, nil)
			return nil
		}
		disc, err := r.opts.Drives[n-1].Remove()
		if err != nil {
			return fmt.Errorf("%w: %v", robot.ErrDriveEmpty, err)
		}
		if verb == "UNLOAD" {
			r.output = append(r.output, disc)
		} else {
			r.rejected = append(r.rejected, disc)
		}
	}
	return nil
}

func (r *Robot) status() robot.Status {
	s := robot.Status{Input: r.input, Output: len(r.output), Rejected: len(r.rejected),
		Gripper: r.gripper, Jammed: r.jammed}
	for _, d := range r.opts.Drives {
		s.Drives = append(s.Drives, robot.DriveSlot{HasDisc: d.HasDisc(), TrayOpen: d.TrayOpen()})
	}
	return s
}

// Serve answers lines from rw until ctx ends or rw fails. Lines longer
// than robot.MaxLine are dropped. Serve does not close rw.
func (r *Robot) Serve(ctx context.Context, rw io.ReadWriter) error {
	lines := make(chan []byte, 4)
	errc := make(chan error, 1)
	go func() {
		br := bufio.NewReaderSize(rw, robot.MaxLine+1)
		for {
			b, err := br.ReadSlice('\n')
			if errors.Is(err, bufio.ErrBufferFull) {
				for errors.Is(err, bufio.ErrBufferFull) {
					_, err = br.ReadSlice('\n')
				}
				continue
			}
			if err != nil {
				errc <- fmt.Errorf("robotsim.Serve: read: %w", err)
				return
			}
			select {
			case lines <- append([]byte(nil), b...):
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-errc:
			return err
		case b := <-lines:
			reply, wait := r.Handle(b)
			if reply == nil {
				continue
			}
			if wait > 0 {
				select {
				case <-r.opts.After(wait):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			if _, err := rw.Write(reply); err != nil {
				return fmt.Errorf("robotsim.Serve: write: %w", err)
			}
		}
	}
}
