package tcmu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"copystation/drive"
)

// internalFailure is the fixed-format sense returned when the transport
// could not run a command at all: HARDWARE ERROR, 44/00 INTERNAL TARGET
// FAILURE (SPC-4 4.5.3, table 28).
var internalFailure = []byte{0x70, 0, 0x04, 0, 0, 0, 0, 0x0A, 0, 0, 0, 0, 0x44, 0, 0, 0, 0, 0}

// Device serves one TCMU backstore's command ring with a drive.Transport.
type Device struct {
	f       *os.File
	mem     []byte
	ring    *Ring
	dev     drive.Transport
	timeout time.Duration
	buf     []byte

	// Trace, when set before Serve, sees every command the kernel passed
	// up, with the transport's answer: proof of what really travelled.
	Trace func(cdb []byte, dir drive.Direction, n int, res drive.Result, err error)
}

// Open maps the uio device of a TCMU backstore (mapSize bytes, from
// /sys/class/uio/uioN/maps/map0/size) and serves it with dev. Each command
// gets timeout, which must stay below the backstore's cmd_time_out.
func Open(uioPath string, mapSize int, dev drive.Transport, timeout time.Duration) (*Device, error) {
	f, err := os.OpenFile(uioPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("tcmu.Open: %w", err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, mapSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tcmu.Open: mmap %s (%d bytes): %w", uioPath, mapSize, err)
	}
	ring, err := NewRing(mem)
	if err != nil {
		unix.Munmap(mem)
		f.Close()
		return nil, fmt.Errorf("tcmu.Open %s: %w", uioPath, err)
	}
	return &Device{f: f, mem: mem, ring: ring, dev: dev, timeout: timeout}, nil
}

// Close unmaps the ring and closes the uio device.
func (d *Device) Close() error {
	return errors.Join(unix.Munmap(d.mem), d.f.Close())
}

// Serve runs commands until ctx ends. The kernel raises a uio event for
// new entries; Serve also looks at the ring every 100 ms, so a missed event
// costs latency, never a hang.
func (d *Device) Serve(ctx context.Context) error {
	fd := int(d.f.Fd())
	for ctx.Err() == nil {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("tcmu.Serve: poll: %w", err)
		}
		if n > 0 {
			var ev [4]byte
			if _, err := unix.Read(fd, ev[:]); err != nil && !errors.Is(err, unix.EAGAIN) {
				return fmt.Errorf("tcmu.Serve: read event: %w", err)
			}
		}
		done, err := d.drain()
		if err != nil {
			return err
		}
		if done > 0 {
			// Any 4-byte write tells the kernel to reap completed entries.
			if _, err := unix.Write(fd, []byte{0, 0, 0, 0}); err != nil {
				return fmt.Errorf("tcmu.Serve: notify: %w", err)
			}
		}
	}
	return ctx.Err()
}

// drain runs every entry between the tail and the head.
func (d *Device) drain() (int, error) {
	done := 0
	for tail := d.ring.Tail(); tail != d.ring.Head(); tail = d.ring.Tail() {
		e, err := d.ring.Entry(tail)
		if err != nil {
			return done, fmt.Errorf("tcmu.Serve: %w", err)
		}
		if e.Op == opCmd {
			d.run(e)
		}
		d.ring.Advance(e)
		done++
	}
	return done, nil
}

// run executes one command on the transport and writes its response.
func (d *Device) run(e Entry) {
	if len(e.CDB) == 0 {
		d.ring.Unknown(e)
		return
	}
	n := e.DataLen()
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	buf := d.buf[:n]
	dir := Direction(e.CDB, n)
	if dir == drive.DirOut {
		d.ring.Gather(e, buf)
	} else {
		clear(buf)
	}
	cdb := append([]byte(nil), e.CDB...) // the entry is the kernel's memory
	res, err := d.dev.Do(cdb, dir, buf, d.timeout)
	if d.Trace != nil {
		d.Trace(cdb, dir, n, res, err)
	}
	if err != nil {
		d.ring.Complete(e, byte(drive.StatusCheckCondition), internalFailure, 0)
		return
	}
	readLen := -1
	if dir == drive.DirIn {
		readLen = min(max(res.Transferred, 0), n)
		d.ring.Scatter(e, buf[:readLen])
	}
	d.ring.Complete(e, byte(res.Status), res.Sense, readLen)
}
