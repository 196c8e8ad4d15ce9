package serial

import (
	"fmt"

	"copystation/drive"
)

// sync opens a session before the host's first command: it stays silent
// for two inter-byte timeouts, so the device drops any partial frame a
// dead predecessor left, then sends Sync until the device answers SyncAck
// (its sequence memory cleared). A device that answers Ack is still
// running the predecessor's command; the host waits for it up to
// DefaultTimeout plus LinkAllowance. A device that answers nothing within
// LinkAllowance is taken to be absent. Called with t.mu held.
func (t *Transport) sync() error {
	clk := t.opts.Clock
	select {
	case <-clk.After(2 * t.opts.InterByteTimeout):
	case <-t.closed:
		return fmt.Errorf("serial.Do: sync: %w", t.linkErr())
	}
	seq := t.seq // the first Command will be seq+1
	frame := AppendFrame(nil, Frame{Type: TypeSync, Seq: seq})
	silent := t.opts.LinkAllowance + t.wireTime(2*len(frame))
	busy := t.opts.DefaultTimeout + t.opts.LinkAllowance
	deadline := clk.After(silent)
	send := func() error {
		return t.put(frame, deadline, func() error {
			return fmt.Errorf("serial.Do: sync: the line took no Sync within %v (is the line blocked?): %w", silent, drive.ErrTimeout)
		})
	}
	if err := send(); err != nil {
		return err
	}
	resend := clk.After(t.opts.RetryInterval + t.wireTime(2*len(frame)))
	answered := false
	for {
		select {
		case <-resend:
			if err := send(); err != nil {
				return err
			}
			resend = clk.After(t.opts.RetryInterval + t.wireTime(2*len(frame)))
		case f := <-t.frames:
			if f.Seq != seq {
				continue // a predecessor's answers
			}
			switch f.Type {
			case TypeSyncAck:
				return nil
			case TypeAck:
				if !answered {
					answered = true
					t.opts.Logf("serial: host: sync: device still running a previous host's command; waiting up to %v", busy)
					deadline = clk.After(busy)
				}
			}
		case <-deadline:
			if answered {
				return fmt.Errorf("serial.Do: sync: device still running a previous host's command after %v (is a command hung on the drive? power-cycle the drive bridge): %w", busy, drive.ErrTimeout)
			}
			return fmt.Errorf("serial.Do: sync: no answer to Sync within %v (is the drive bridge or copysim running on this line, at this baud rate?): %w", silent, drive.ErrTimeout)
		case <-t.closed:
			return fmt.Errorf("serial.Do: sync: %w", t.linkErr())
		}
	}
}
