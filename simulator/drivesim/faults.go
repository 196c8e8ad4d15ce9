package drivesim

import (
	"copystation/drive"
	"fmt"
	"slices"
	"syscall"
	"time"
)

// FaultKind names an injectable fault.
type FaultKind int

const (
	// FaultMediumError: a READ touching the LBA range fails with 03/11/00.
	FaultMediumError FaultKind = iota + 1
	// FaultWriteError: a WRITE touching the LBA range fails with 03/0C/00
	// and records nothing.
	FaultWriteError
	// FaultPowerLoss: a WRITE touching the LBA range loses power: the
	// command never completes (Do returns an error wrapping
	// drive.ErrTransport), the write cache is lost, and the drive comes back
	// becoming ready with a 06/29/00 unit attention.
	FaultPowerLoss
	// FaultReset: the drive is reset before the command runs; the command
	// reports 06/29/00.
	FaultReset
	// FaultNoMedium: the drive fails to see its disc: medium-access commands
	// report 02/3A/00 for Duration.
	FaultNoMedium
	// FaultBecomingReady: the drive reports 02/04/01 for Duration.
	FaultBecomingReady
	// FaultHang: the command is accepted and never answered; Do returns an
	// error wrapping drive.ErrTimeout at the command's deadline.
	FaultHang
	// FaultHardwareError: the command fails with 04/44/00 INTERNAL TARGET
	// FAILURE (SPC-4 annex D): the drive's own failure, not the disc's.
	// With Sticky, every later command but INQUIRY and REQUEST SENSE
	// fails the same (a dead laser or sled; the electronics still answer).
	FaultHardwareError
	// FaultGone: the drive leaves the bus (unplugged, its sg node removed):
	// the command and every one after it fail with an error wrapping
	// drive.ErrTransport and ENODEV, as SG_IO's ioctl does on a removed
	// device. It is always sticky.
	FaultGone
)

// ErrGone is the error a drive that left the bus returns (FaultGone).
var ErrGone = fmt.Errorf("drivesim: the drive left the bus: %w", syscall.ENODEV)

// Fault is one injected fault. A fault with an LBA range fires on commands
// that touch it; one with a Rate fires on each eligible command with that
// probability, drawn from the drive's seeded source.
type Fault struct {
	Kind FaultKind
	// LBA and Sectors give the range for medium, write and power-loss
	// faults (Sectors 0 means 1). Ignored when Rate is set.
	LBA, Sectors uint32
	// Ops limits the fault to these opcodes; nil means any eligible one.
	Ops []drive.Opcode
	// Rate, when positive, is the probability per eligible command.
	Rate float64
	// Count is how many times the fault fires; 0 means every time.
	Count int
	// Duration is how long NoMedium and BecomingReady last, in clock time,
	// from the moment they fire.
	Duration time.Duration
	// Skip lets the first Skip eligible commands pass before the fault
	// fires: a drive that fails part way through a write ("the 40th
	// WRITE hangs").
	Skip int
	// Sticky keeps the drive broken once the fault fires: every later
	// command, of any opcode, fails the same way until ClearFaults (Hang,
	// HardwareError; Gone always sticks).
	Sticky bool
}

// lbaFault says whether the kind is tied to an LBA range.
func (k FaultKind) lbaFault() bool {
	return k == FaultMediumError || k == FaultWriteError || k == FaultPowerLoss
}

type faultState struct {
	Fault
	fired   int
	skipped int
}

// Inject adds a fault. Faults of the same kind are tried in the order given.
func (d *Drive) Inject(f Fault) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = append(d.faults, &faultState{Fault: f})
}

// ClearFaults removes every injected fault and ends any fault period.
func (d *Drive) ClearFaults() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = nil
	d.broken = nil
	d.noMediumUntil = time.Time{}
}

// fire returns the first fault of kind that fires for a command with opcode
// op touching sectors [lba, lba+n), and the LBA it fires at. Callers hold mu.
func (d *Drive) fire(kind FaultKind, op drive.Opcode, lba, n uint32) (*Fault, uint32) {
	for i, f := range d.faults {
		if f.Kind != kind || (f.Ops != nil && !slices.Contains(f.Ops, op)) {
			continue
		}
		at, ok := lba, false
		switch {
		case f.Rate > 0:
			ok = d.prng.Float64() < f.Rate
			if ok && n > 1 {
				at = lba + uint32(d.prng.Uint64N(uint64(n)))
			}
		case kind.lbaFault():
			cnt := max(f.Sectors, 1)
			ok = uint64(f.LBA) < uint64(lba)+uint64(n) && uint64(lba) < uint64(f.LBA)+uint64(cnt)
			at = max(lba, f.LBA)
		default:
			ok = true
		}
		if !ok {
			continue
		}
		if f.skipped < f.Skip {
			f.skipped++
			continue
		}
		f.fired++
		if f.Count > 0 && f.fired >= f.Count {
			d.faults = slices.Delete(d.faults, i, i+1)
		}
		return &f.Fault, at
	}
	return nil, 0
}

// preFaults runs the faults that strike before a command executes: a
// broken drive, a hang, a hardware failure, the drive leaving the bus, a
// reset, a period without medium or becoming ready. It reports whether the
// command must hang, or the reply it gets instead of running. Callers hold
// mu.
func (d *Drive) preFaults(op drive.Opcode, now time.Time) (hang bool, r *reply) {
	if d.broken == nil && len(d.faults) == 0 {
		return false, nil
	}
	for _, k := range []FaultKind{FaultGone, FaultHang, FaultHardwareError} {
		f, _ := d.fire(k, op, 0, 0)
		if f == nil {
			continue
		}
		if !f.Sticky && k != FaultGone {
			return brokenReply(k, op)
		}
		b := *f
		d.broken = &b
		break
	}
	if d.broken != nil {
		return brokenReply(d.broken.Kind, op)
	}
	if f, _ := d.fire(FaultReset, op, 0, 0); f != nil {
		d.reset(now, false)
	}
	if f, _ := d.fire(FaultNoMedium, op, 0, 0); f != nil {
		d.noMediumUntil = now.Add(f.Duration)
	}
	if f, _ := d.fire(FaultBecomingReady, op, 0, 0); f != nil {
		d.readyAt = maxTime(d.readyAt, now.Add(f.Duration))
	}
	return false, nil
}

// brokenReply is what a command gets from a drive failing with kind.
func brokenReply(k FaultKind, op drive.Opcode) (bool, *reply) {
	switch k {
	case FaultHang:
		return true, nil
	case FaultGone:
		return false, &reply{err: fmt.Errorf("drivesim.Do: opcode %02Xh: %w: %w", byte(op), ErrGone, drive.ErrTransport)}
	}
	if op == drive.OpInquiry || op == drive.OpRequestSense {
		return false, nil
	}
	r := fail(newSense(CondInternalTargetFailure))
	return false, &r
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
