package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/stationd/journal"
	"copystation/stationd/kiosk"
	"copystation/stationd/metrics"
	"copystation/stationd/notify"
)

// Deps are the daemon's outside parts, passed in rather than set by init()
// elsewhere. A nil factory means the real thing named in the configuration
// (RealRobot, RealLedger, RealPipeline, the SQLite journal, GPIO lines; see
// hardware.go), except Drives, which the caller must give (the stationd
// command opens drives by URI).
type Deps struct {
	Logger   *slog.Logger
	Clock    func() time.Time
	Rand     io.Reader
	Notifier *notify.Notifier
	Metrics  *metrics.Metrics

	Store    func(config.Config) (journal.Store, error)
	Drives   func(config.Config) ([]Drive, error)
	Robot    func(config.Config, []Drive) (Robot, error) // may return nil: discs loaded by hand
	Ledger   func(config.Config) (Ledger, error)
	Pipeline func(config.Config) (Pipeline, error)
	// Panel builds the kiosk panel; wipe must be called on tamper. Nil with
	// the kiosk enabled means real GPIO lines; a kiosk disabled in the
	// configuration has no panel.
	Panel func(c config.Config, wipe func()) (*kiosk.Panel, error)

	// AfterTransition is called after each journaled transition, before the
	// daemon acts on it (the crash test kills the process here).
	AfterTransition func(job.Job)
	// Ready is called once the daemon serves its API.
	Ready func(*Daemon)
	// Retry is the pause between attempts at an unreachable ledger or a
	// missing blank; default 1 s.
	Retry time.Duration
	// BlankWait bounds the wait for a blank when no robot loads one;
	// default 10 minutes.
	BlankWait time.Duration
}

// Daemon is a running station.
type Daemon struct {
	cfg      config.Config
	log      *slog.Logger
	now      func() time.Time
	rnd      io.Reader
	store    journal.Store
	drives   []Drive
	robot    Robot
	robotMu  sync.Mutex
	ledger   Ledger
	pipeline Pipeline
	panel    *kiosk.Panel
	keys     *KeyRing
	metrics  *metrics.Metrics
	notifier *notify.Notifier
	deps     Deps

	wake []chan struct{}

	mu        sync.Mutex
	claimMu   sync.Mutex
	progress  map[string]*api.Progress
	started   map[string]time.Time
	cancels   map[string]*pipelineRun // running pipelines, by job
	tampered  bool                    // the tamper latch, journaled
	driveJob  []string
	lock      *os.File // flock on StateDir/lock
	movesHeld int      // robot moves waiting for the door or a tamper clear
	startedAt time.Time
	// loadFails counts each job's robot loads in a row that gave no
	// usable blank.
	loadFails map[string]int
	reach     reach
	health    health // drives that failed in service
	drain     drain  // the update drain (drain.go), under mu
}

// Run runs the station until ctx ends.
func Run(ctx context.Context, cfg config.Config, deps Deps) error {
	d, err := newDaemon(cfg, deps)
	if err != nil {
		return err
	}
	defer d.close()
	return d.serve(ctx)
}

func newDaemon(cfg config.Config, deps Deps) (*Daemon, error) {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Clock == nil {
		deps.Clock = time.Now
	}
	if deps.Rand == nil {
		deps.Rand = rand.Reader
	}
	if deps.Notifier == nil {
		deps.Notifier = notify.FromEnv()
	}
	if deps.Metrics == nil {
		deps.Metrics = metrics.New()
	}
	if deps.Retry == 0 {
		deps.Retry = time.Second
	}
	if deps.BlankWait == 0 {
		deps.BlankWait = 10 * time.Minute
	}
	fillHardware(&deps)
	d := &Daemon{cfg: cfg, log: deps.Logger, now: deps.Clock, rnd: deps.Rand, keys: NewKeyRing(),
		metrics: deps.Metrics, notifier: deps.Notifier, deps: deps,
		progress: map[string]*api.Progress{}, started: map[string]time.Time{}, cancels: map[string]*pipelineRun{}, loadFails: map[string]int{}}
	d.startedAt = d.now()
	var err error
	if d.lock, err = lockState(cfg.StateDir); err != nil {
		return nil, fmt.Errorf("stationd: %w", err)
	}
	if d.store, err = deps.Store(cfg); err != nil {
		d.lock.Close()
		return nil, fmt.Errorf("stationd: journal: %w", err)
	}
	fail := func(what string, err error) (*Daemon, error) {
		d.close()
		return nil, fmt.Errorf("stationd: %s: %w", what, err)
	}
	if d.drives, err = deps.Drives(cfg); err != nil {
		return fail("drives", err)
	}
	if len(d.drives) == 0 {
		return fail("drives", errors.New("no drive configured"))
	}
	if d.robot, err = deps.Robot(cfg, d.drives); err != nil {
		return fail("robot", err)
	}
	if d.ledger, err = deps.Ledger(cfg); err != nil {
		return fail("ledger", err)
	}
	if d.pipeline, err = deps.Pipeline(cfg); err != nil {
		return fail("pipeline", err)
	}
	if deps.Panel != nil {
		if d.panel, err = deps.Panel(cfg, d.onTamper); err != nil {
			return fail("kiosk", err)
		}
		if d.panel != nil && !d.panel.EdgeTriggered() {
			d.log.Warn("kiosk: the tamper line reports no edges; it is polled, and an opening shorter than a poll can be missed")
		}
	}
	if err := d.loadTamper(context.Background()); err != nil {
		return fail("journal: the tamper latch", err)
	}
	d.wake = make([]chan struct{}, len(d.drives))
	for i := range d.wake {
		d.wake[i] = make(chan struct{}, 1)
	}
	d.driveJob = make([]string, len(d.drives))
	nd := len(d.drives)
	d.health.down, d.health.left, d.health.manual = make([]error, nd), make([]string, nd), make([]bool, nd)
	d.health.next, d.health.delay = make([]time.Time, nd), make([]time.Duration, nd)
	d.markUnopened()
	return d, nil
}

func (d *Daemon) serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := os.MkdirAll(filepath.Dir(d.cfg.Socket), 0o750); err != nil {
		return fmt.Errorf("stationd: socket directory: %w", err)
	}
	os.Remove(d.cfg.Socket) // a stale socket from a killed daemon
	ln, err := net.Listen("unix", d.cfg.Socket)
	if err != nil {
		return fmt.Errorf("stationd: listen on %s: %w", d.cfg.Socket, err)
	}
	os.Chmod(d.cfg.Socket, 0o660)
	srv := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 5 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(ln) })
	if d.cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", d.cfg.MetricsListen)
		if err != nil {
			srv.Close()
			return fmt.Errorf("stationd: metrics_listen %s: %w", d.cfg.MetricsListen, err)
		}
		msrv := &http.Server{Handler: d.metrics.Handler(), ReadHeaderTimeout: 5 * time.Second}
		wg.Go(func() { msrv.Serve(mln) })
		context.AfterFunc(ctx, func() { msrv.Close() })
	}
	if d.panel != nil {
		wg.Go(func() { d.panel.Run(ctx, 100*time.Millisecond) })
	}
	d.refreshMetrics(ctx)
	for i := range d.drives {
		wg.Go(func() { d.worker(ctx, i) })
	}
	wg.Go(func() { d.probeNodes(ctx) })
	wg.Go(func() { d.reprobeLoop(ctx) })
	d.log.Info("station ready", "station", d.ledger.StationID(), "drives", len(d.drives), "socket", d.cfg.Socket)
	if d.deps.Ready != nil {
		d.deps.Ready(d)
	}
	d.notifier.Ready(d.statusLine()) // last: the service manager may act at once
	if iv := notify.WatchdogInterval(); iv > 0 {
		wg.Go(func() { d.watchdog(ctx, iv) })
	}
	<-ctx.Done()
	d.notifier.Stopping()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	srv.Shutdown(sctx)
	wg.Wait()
	d.keys.WipeAll()
	return nil
}

func (d *Daemon) watchdog(ctx context.Context, iv time.Duration) {
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// The store answering proves the daemon is not wedged.
			cctx, cancel := context.WithTimeout(ctx, iv)
			_, err := d.store.Counts(cctx)
			cancel()
			if err == nil {
				d.notifier.Send("WATCHDOG=1", "STATUS="+d.statusLine())
			}
		}
	}
}

func (d *Daemon) statusLine() string {
	d.mu.Lock()
	busy := 0
	for _, j := range d.driveJob {
		if j != "" {
			busy++
		}
	}
	d.mu.Unlock()
	line := fmt.Sprintf("%d of %d drives burning", busy, len(d.drives))
	if bad := d.failedDrives(); bad > 0 {
		line += fmt.Sprintf(", %d failed", bad)
	}
	if d.draining() {
		line += ", draining for update"
	}
	return line + d.reachLine()
}

func (d *Daemon) newID() (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(d.rnd, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (d *Daemon) refreshMetrics(ctx context.Context) {
	d.metrics.DrivesFailed.Set(float64(d.failedDrives()))
	counts, err := d.store.Counts(ctx)
	if err != nil {
		return
	}
	d.metrics.SetJobs(counts)
}

// close releases every part that holds a resource.
func (d *Daemon) close() {
	for _, p := range d.parts() {
		if c, ok := p.(io.Closer); ok {
			if err := c.Close(); err != nil {
				d.log.Warn("closing a part", "err", err)
			}
		}
	}
}

func (d *Daemon) parts() []any {
	out := []any{d.pipeline, d.ledger, d.robot}
	for _, dr := range d.drives {
		out = append(out, dr)
	}
	// The lock goes last, once nothing touches the journal.
	return append(out, d.store, d.lock)
}

// Store exposes the journal (tests read it).
func (d *Daemon) Store() journal.Store { return d.store }

// Keys exposes the key ring (tests check wiping).
func (d *Daemon) Keys() *KeyRing { return d.keys }
