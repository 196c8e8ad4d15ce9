package drivesim

import (
	"copystation/drive"
	"slices"
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
)

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
}

// lbaFault says whether the kind is tied to an LBA range.
func (k FaultKind) lbaFault() bool {
	return k == FaultMediumError || k == FaultWriteError || k == FaultPowerLoss
}

type faultState struct {
	Fault
	fired int
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
		f.fired++
		if f.Count > 0 && f.fired >= f.Count {
			d.faults = slices.Delete(d.faults, i, i+1)
		}
		return &f.Fault, at
	}
	return nil, 0
}

// preFaults runs the faults that strike before a command executes: a
// reset, a period without medium or becoming ready. It reports whether the
// command must hang. Callers hold mu.
func (d *Drive) preFaults(op drive.Opcode, now time.Time) (hang bool) {
	if len(d.faults) == 0 {
		return false
	}
	if f, _ := d.fire(FaultHang, op, 0, 0); f != nil {
		return true
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
	return false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
