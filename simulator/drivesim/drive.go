package drivesim

import (
	"copystation/drive"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// DefaultCacheSize is a drive's write cache when Options.CacheSize is 0:
// 4 MiB, as many BD writers have (58 ms of writing at 16x).
const DefaultCacheSize = 4 << 20

// Options configure a simulated drive. The zero value is a 16x drive with
// an empty closed tray, the system clock, seed 0 and no throttling.
type Options struct {
	// Dir holds the discs' sparse files. Empty means a temporary directory
	// removed by Close.
	Dir string
	// InMemory keeps every new disc's data in memory instead of a file (Dir
	// is then unused and Disc.Path is ""). Benchmarks use it to take the
	// host's file system and page cache out of the measurement; a disc of
	// N written bytes then costs N bytes of memory.
	InMemory bool
	// Clock supplies time; nil means the system clock.
	Clock Clock
	// Rand supplies media IDs and fault draws; nil means a ChaCha8 stream
	// seeded from Seed, so runs repeat exactly.
	Rand io.Reader
	Seed uint64
	// TimeScale multiplies every modelled duration (writing at speed,
	// loading, closing, formatting): 0 is instant, 1 is real time.
	TimeScale float64
	// SpeedX is the drive's fastest BD-R write speed, 1 to 16 (default 16).
	SpeedX int
	// CacheSize is the write cache in bytes (default DefaultCacheSize).
	CacheSize int
	// LoadTime is how long the drive takes to become ready after a disc is
	// loaded or power returns (default 3 s, scaled by TimeScale).
	LoadTime time.Duration
	// Media, when set, puts a blank disc of that type in the drive at
	// power-on.
	Media MediaType
	// DescriptorSense makes CHECK CONDITION carry descriptor-format sense
	// (response code 72h) instead of fixed format (70h).
	DescriptorSense bool
	// Faults are injected from the start.
	Faults []Fault
	// DefaultTimeout bounds a hung command when Do is given no timeout
	// (default 60 s).
	DefaultTimeout time.Duration
}

// Modelled durations of slow operations, before TimeScale.
const (
	closeTrackTime   = 2 * time.Second
	closeSessionTime = 5 * time.Second
	finalizeTime     = 15 * time.Second
	formatTime       = 60 * time.Second
)

// Errors returned by Do when a command does not complete.
var (
	// ErrClosed: the drive was closed.
	ErrClosed = errors.New("drivesim: drive closed")
	// ErrPowerLoss: the drive lost power during the command.
	ErrPowerLoss = errors.New("drivesim: power lost during command")
	// ErrBadCommand: the command block or data buffer is malformed at the
	// transport level (empty or short CDB, data length not matching).
	ErrBadCommand = errors.New("drivesim: malformed command")
)

// Drive is a simulated BD burner. It is safe for concurrent use; commands
// execute one at a time, and modelled waits happen outside the lock.
type Drive struct {
	mu     sync.Mutex
	opts   Options
	clock  Clock
	rnd    io.Reader
	prng   *rand.Rand
	dir    string
	ownDir bool
	done   chan struct{}
	closed bool

	trayOpen      bool
	disc          *Disc
	prevent       bool
	ua            []Condition
	readyAt       time.Time // becoming ready until then
	busyUntil     time.Time // long operation (format, IMMED flush/close) until then
	busyStart     time.Time
	busyCond      Condition
	drainAt       time.Time // the write buffer is empty from then on
	writeDone     time.Time // when the last WRITE completed (streamWrite)
	streaming     bool      // inside a write stream (stream.go)
	ra            readAhead // the read prefetch (readahead.go)
	stats         Stats
	noMediumUntil time.Time
	speedX        int
	event         uint8 // pending media event code (MMC-6 table 136)
	faults        []*faultState
	broken        *Fault // a sticky fault that fired: the drive stays broken
}

var _ drive.TransportCloser = (*Drive)(nil)

// New powers on a simulated drive. It reports POWER ON RESET (06/29/00) to
// the first command that is not exempt from unit attentions.
func New(opts Options) (*Drive, error) {
	d := &Drive{opts: opts, clock: opts.Clock, done: make(chan struct{})}
	if d.clock == nil {
		d.clock = systemClock{}
	}
	if d.opts.SpeedX <= 0 || d.opts.SpeedX > 16 {
		d.opts.SpeedX = 16
	}
	if d.opts.CacheSize <= 0 {
		d.opts.CacheSize = DefaultCacheSize
	}
	if d.opts.LoadTime == 0 {
		d.opts.LoadTime = 3 * time.Second
	}
	if d.opts.DefaultTimeout <= 0 {
		d.opts.DefaultTimeout = 60 * time.Second
	}
	var seed [32]byte
	if opts.Rand != nil {
		if _, err := io.ReadFull(opts.Rand, seed[:]); err != nil {
			return nil, fmt.Errorf("drivesim.New: read random source: %w", err)
		}
		d.rnd = opts.Rand
	} else {
		binary.LittleEndian.PutUint64(seed[:], opts.Seed)
		d.rnd = rand.NewChaCha8(seed)
		seed[31] ^= 0xFF // a separate stream for fault draws
	}
	d.prng = rand.New(rand.NewChaCha8(seed))
	d.dir = opts.Dir
	if d.dir == "" && !opts.InMemory {
		dir, err := os.MkdirTemp("", "drivesim-")
		if err != nil {
			return nil, fmt.Errorf("drivesim.New: make disc directory: %w", err)
		}
		d.dir, d.ownDir = dir, true
	}
	for _, f := range opts.Faults {
		d.faults = append(d.faults, &faultState{Fault: f})
	}
	d.speedX = d.opts.SpeedX
	d.ua = []Condition{CondPowerOnReset}
	if opts.Media != 0 {
		disc, err := d.newDisc(opts.Media)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("drivesim.New: %w", err)
		}
		d.disc = disc
		d.readyAt = d.clock.Now().Add(d.scaled(d.opts.LoadTime))
	}
	return d, nil
}

// scaled converts a modelled duration to clock time.
func (d *Drive) scaled(t time.Duration) time.Duration {
	return time.Duration(float64(t) * d.opts.TimeScale)
}

func (d *Drive) newDisc(m MediaType) (*Disc, error) {
	var id, mac [16]byte
	if _, err := io.ReadFull(d.rnd, id[:]); err != nil {
		return nil, fmt.Errorf("draw media ID: %w", err)
	}
	if _, err := io.ReadFull(d.rnd, mac[:]); err != nil {
		return nil, fmt.Errorf("draw media ID MAC: %w", err)
	}
	if d.opts.InMemory {
		return newDisc("", m, id, mac)
	}
	return newDisc(d.dir, m, id, mac)
}

// Close powers the drive off and releases the disc in it. A disc directory
// the drive created is removed.
func (d *Drive) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	close(d.done)
	var err error
	if d.disc != nil {
		err = d.disc.Close()
		d.disc = nil
	}
	if d.ownDir {
		err = errors.Join(err, os.RemoveAll(d.dir))
	}
	return err
}

// Insert puts a new blank disc of type m in the drive and closes the tray,
// as a robot or a person loading a disc does. The drive then becomes ready
// and reports MEDIUM MAY HAVE CHANGED (06/28/00).
func (d *Drive) Insert(m MediaType) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("drivesim.Insert: %w", ErrClosed)
	}
	if d.disc != nil {
		return fmt.Errorf("drivesim.Insert: %w", ErrOccupied)
	}
	disc, err := d.newDisc(m)
	if err != nil {
		return err
	}
	d.load(disc)
	return nil
}

// InsertDisc puts an existing disc (one taken out with Remove) back in the
// drive and closes the tray.
func (d *Drive) InsertDisc(disc *Disc) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("drivesim.InsertDisc: %w", ErrClosed)
	}
	if d.disc != nil {
		return fmt.Errorf("drivesim.InsertDisc: %w", ErrOccupied)
	}
	d.load(disc)
	return nil
}

// ErrOccupied: a disc is already in the drive.
var ErrOccupied = errors.New("drivesim: a disc is already in the drive")

// ErrEmpty: there is no disc in the drive.
var ErrEmpty = errors.New("drivesim: no disc in the drive")

func (d *Drive) load(disc *Disc) {
	d.disc = disc
	d.trayOpen = false
	d.mediaArrived(d.clock.Now())
}

// mediaArrived starts the becoming-ready period after a disc is seen.
func (d *Drive) mediaArrived(now time.Time) {
	d.readyAt = now.Add(d.scaled(d.opts.LoadTime))
	d.stats.Loading += d.scaled(d.opts.LoadTime)
	d.endRead()
	d.ua = append(d.ua, CondMediumMayHaveChanged)
	d.event = 2 // NewMedia
	d.speedX = d.opts.SpeedX
}

// Remove takes the disc out of the drive, whatever the tray state, and
// leaves the tray closed and empty. Unflushed cached writes are lost. The
// caller owns the returned disc and must Close it.
func (d *Drive) Remove() (*Disc, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.disc == nil {
		return nil, fmt.Errorf("drivesim.Remove: %w", ErrEmpty)
	}
	disc := d.disc
	d.loseCache()
	d.endStream()
	d.disc = nil
	d.trayOpen = false
	d.prevent = false
	d.event = 3 // MediaRemoval
	return disc, nil
}

// TrayOpen reports whether the tray is open (a robot can reach the disc).
func (d *Drive) TrayOpen() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.trayOpen
}

// HasDisc reports whether a disc is in the drive.
func (d *Drive) HasDisc() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.disc != nil
}

// Reset is a bus reset: pending cached writes survive, the next command
// reports 06/29/00.
func (d *Drive) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reset(d.clock.Now(), false)
}

// PowerCycle loses power and comes back: the write cache is lost, locks
// released, and the drive becomes ready again with 06/29/00.
func (d *Drive) PowerCycle() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reset(d.clock.Now(), true)
}

func (d *Drive) reset(now time.Time, power bool) {
	d.ua = []Condition{CondPowerOnReset}
	d.prevent = false
	d.speedX = d.opts.SpeedX
	if power {
		d.loseCache()
		d.busyUntil, d.drainAt = time.Time{}, time.Time{}
		d.endStream()
		if d.disc != nil && !d.trayOpen {
			d.readyAt = now.Add(d.scaled(d.opts.LoadTime))
		}
	}
}

// Do executes one command block. It implements drive.Transport.
func (d *Drive) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	if timeout <= 0 {
		timeout = d.opts.DefaultTimeout
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return drive.Result{}, fmt.Errorf("drivesim.Do: %w", ErrClosed)
	}
	start := d.clock.Now()
	out, err := d.exec(cdb, dir, buf, start)
	d.mu.Unlock()
	if err != nil {
		return drive.Result{}, err
	}
	if out.hang {
		return drive.Result{}, d.waitDeadline(cdb[0], timeout)
	}
	if !out.until.After(start) {
		return out.res, nil
	}
	wait := out.until.Sub(start)
	if wait > timeout {
		return drive.Result{}, d.waitDeadline(cdb[0], timeout)
	}
	select {
	case <-d.clock.After(wait):
		return out.res, nil
	case <-d.done:
		return drive.Result{}, fmt.Errorf("drivesim.Do: %w", ErrClosed)
	}
}

// waitDeadline blocks until the command's deadline and reports a timeout.
func (d *Drive) waitDeadline(op byte, timeout time.Duration) error {
	select {
	case <-d.clock.After(timeout):
		return fmt.Errorf("drivesim.Do: opcode %02Xh: no answer within %v: %w", op, timeout, drive.ErrTimeout)
	case <-d.done:
		return fmt.Errorf("drivesim.Do: %w", ErrClosed)
	}
}
