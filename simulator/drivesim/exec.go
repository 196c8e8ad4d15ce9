package drivesim

import (
	"copystation/drive"
	"fmt"
	"time"
)

// cmd is one command block being executed.
type cmd struct {
	cdb []byte
	dir drive.Direction
	buf []byte
	now time.Time
}

func (c *cmd) op() drive.Opcode { return drive.Opcode(c.cdb[0]) }

// reply is a handler's answer: data for a DirIn command (cut to alloc),
// sense for CHECK CONDITION, and the clock time at which the command
// completes when the model makes it take time.
type reply struct {
	data  []byte
	alloc int
	n     int // bytes moved directly (READ, WRITE)
	sense *sense
	until time.Time
	err   error // the command did not complete (power loss)
}

func fail(s sense) reply { return reply{sense: &s} }

// outcome is what exec hands back to Do.
type outcome struct {
	res   drive.Result
	until time.Time
	hang  bool
}

// handler runs one opcode. ready lists the gates to pass first.
type handler struct {
	run func(d *Drive, c *cmd) reply
	// attention: the command reports pending unit attentions.
	attention bool
	// medium: the command needs a ready medium.
	medium bool
}

var handlers map[drive.Opcode]handler

func init() {
	handlers = map[drive.Opcode]handler{
		drive.OpTestUnitReady:              {(*Drive).testUnitReady, true, true},
		drive.OpRequestSense:               {(*Drive).requestSense, false, false},
		drive.OpInquiry:                    {(*Drive).inquiry, false, false},
		drive.OpGetConfiguration:           {(*Drive).getConfiguration, false, false},
		drive.OpGetEventStatusNotification: {(*Drive).getEventStatus, false, false},
		drive.OpModeSense10:                {(*Drive).modeSense, true, false},
		drive.OpStartStopUnit:              {(*Drive).startStopUnit, true, false},
		drive.OpPreventAllowMediumRemoval:  {(*Drive).preventAllow, true, false},
		drive.OpGetPerformance:             {(*Drive).getPerformance, true, true},
		drive.OpSetStreaming:               {(*Drive).setStreaming, true, true},
		drive.OpReadDiscInformation:        {(*Drive).readDiscInformation, true, true},
		drive.OpReadTrackInformation:       {(*Drive).readTrackInformation, true, true},
		drive.OpReadCapacity:               {(*Drive).readCapacity, true, true},
		drive.OpReadDiscStructure:          {(*Drive).readDiscStructure, true, true},
		drive.OpReadFormatCapacities:       {(*Drive).readFormatCapacities, true, true},
		drive.OpFormatUnit:                 {(*Drive).formatUnit, true, true},
		drive.OpReserveTrack:               {(*Drive).reserveTrack, true, true},
		drive.OpWrite10:                    {(*Drive).write, true, true},
		drive.OpWrite12:                    {(*Drive).write, true, true},
		drive.OpSynchronizeCache:           {(*Drive).synchronizeCache, true, true},
		drive.OpCloseTrackSession:          {(*Drive).closeTrackSession, true, true},
		drive.OpRead10:                     {(*Drive).read, true, true},
		drive.OpRead12:                     {(*Drive).read, true, true},
	}
}

// cdbLen is the command block length implied by the opcode's group code
// (SPC-4 4.2.5.1).
func cdbLen(op byte) int {
	switch op >> 5 {
	case 0:
		return 6
	case 1, 2:
		return 10
	case 4:
		return 16
	case 5:
		return 12
	}
	return 0
}

// exec decodes and runs one command. Callers hold mu.
func (d *Drive) exec(cdb []byte, dir drive.Direction, buf []byte, now time.Time) (outcome, error) {
	if len(cdb) == 0 {
		return outcome{}, fmt.Errorf("drivesim.Do: empty command block: %w", ErrBadCommand)
	}
	op := drive.Opcode(cdb[0])
	hang, pre := d.preFaults(op, now)
	if hang {
		return outcome{hang: true}, nil
	}
	c := &cmd{cdb: cdb, dir: dir, buf: buf, now: now}
	var r reply
	if pre != nil {
		r = *pre
	} else {
		r = d.dispatch(c)
	}
	if r.err != nil {
		return outcome{}, r.err
	}
	var o outcome
	o.until = r.until
	if r.sense != nil {
		o.res.Status = drive.StatusCheckCondition
		if d.opts.DescriptorSense {
			o.res.Sense = r.sense.descriptor()
		} else {
			o.res.Sense = r.sense.fixed()
		}
		return o, nil
	}
	o.res.Transferred = r.n
	if r.data != nil && dir == drive.DirIn {
		n := min(len(r.data), r.alloc, len(buf))
		o.res.Transferred = copy(buf[:n], r.data)
	}
	return o, nil
}

// dispatch applies the gates every real drive applies before a command
// runs: opcode, command length, control byte, unit attention, readiness.
func (d *Drive) dispatch(c *cmd) reply {
	h, ok := handlers[c.op()]
	if !ok {
		return fail(fieldPointer(CondInvalidOpcode, true, 0, 7))
	}
	want := cdbLen(c.cdb[0])
	if len(c.cdb) < want {
		return reply{err: fmt.Errorf("drivesim.Do: opcode %02Xh needs a %d-byte command block, got %d: %w",
			c.cdb[0], want, len(c.cdb), ErrBadCommand)}
	}
	c.cdb = c.cdb[:want]
	if c.cdb[want-1]&0x04 != 0 { // NACA is not supported (SAM-5 5.9)
		return fail(badCDB(want-1, 2))
	}
	if h.attention && len(d.ua) > 0 {
		s := newSense(d.ua[0])
		d.ua = d.ua[1:]
		return fail(s)
	}
	if h.medium {
		if s := d.notReady(c.now); s != nil {
			return fail(*s)
		}
	}
	return h.run(d, c)
}

// notReady returns the NOT READY sense for the current state, nil when a
// medium command may run.
func (d *Drive) notReady(now time.Time) *sense {
	var s sense
	switch {
	case d.trayOpen:
		s = newSense(CondMediumNotPresentOpen)
	case d.disc == nil:
		s = newSense(CondMediumNotPresentShut)
	case now.Before(d.noMediumUntil):
		s = newSense(CondMediumNotPresent)
	case now.Before(d.readyAt):
		s = newSense(CondBecomingReady)
	case now.Before(d.busyUntil):
		total := d.busyUntil.Sub(d.busyStart)
		s = newSense(d.busyCond).withProgress(float64(now.Sub(d.busyStart)) / float64(total))
	default:
		return nil
	}
	return &s
}

// dataOut checks that a DirOut command brought exactly want bytes.
func dataOut(c *cmd, want int) error {
	if want == 0 {
		return nil
	}
	if c.dir != drive.DirOut || len(c.buf) != want {
		return fmt.Errorf("drivesim.Do: opcode %02Xh expects %d bytes of data out, got %d (direction %d): %w",
			c.cdb[0], want, len(c.buf), c.dir, ErrBadCommand)
	}
	return nil
}

func be16(b []byte) int { return int(b[0])<<8 | int(b[1]) }
func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
