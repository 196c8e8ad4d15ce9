package simdaemon

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-tpm/tpm2/transport"

	"copystation/drive"
	"copystation/ledgerclient"
	"copystation/simulator/drivesim"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/daemon"
	"copystation/stationd/job"
	"copystation/stationd/kiosk"
	"copystation/stationd/metrics"
	"copystation/stationd/notify"
	"copystation/tpm"
)

// Options shape a simulated station.
type Options struct {
	// Dir holds the station's state: TPM, journal, titles, discs, socket.
	Dir string
	// Nodes are the validation nodes the station trusts.
	Nodes []config.Node
	// Group is the network's custody group (Network.Group), pinned as
	// the nodes are.
	Group []byte
	// Players pins the network's player tree and group key
	// (Network.Players).
	Players config.Players
	// Drives is the number of burners (default 1); Blanks the robot's
	// input bin (default 10); Media the blanks' type (default BD-R 25).
	Drives int
	Blanks int
	Media  drivesim.MediaType
	// SpeedX and TimeScale shape the simulated drives (drivesim.Options);
	// TimeScale 0 writes as fast as the machine can.
	SpeedX    int
	TimeScale float64
	// DriveBuffer is each simulated drive's write buffer in bytes
	// (drivesim.Options.CacheSize; 0: drivesim.DefaultCacheSize).
	DriveBuffer int
	// RobotMotion is how long one motion of the robot takes (robotsim's
	// MotionTime), at TimeScale; 0 (the default) moves it instantly.
	RobotMotion time.Duration
	// InMemory keeps the simulated discs' data in memory instead of
	// sparse files (drivesim.Options.InMemory): a disc of N bytes costs N
	// bytes of memory until the station stops, and the host's file
	// system is left out of what a bench measures.
	InMemory bool
	Logger   *slog.Logger
	Notifier *notify.Notifier
	// AfterTransition is the daemon's crash hook.
	AfterTransition func(job.Job)
	// Panel builds the kiosk panel (nil: none).
	Panel func(config.Config, func()) (*kiosk.Panel, error)
	// Metrics receives the daemon's metrics (nil: its own).
	Metrics *metrics.Metrics
	// Rand draws the daemon's job IDs (daemon.Deps.Rand; nil: crypto/rand).
	// A test fixes it so that its copies' labels, and so their codewords,
	// repeat run after run.
	Rand io.Reader
	// CommandTimeout bounds each drive command that names no timeout of
	// its own (drive.WithCommandTimeout; zero: drive.DefaultTimeout, 30 s),
	// so that a test of a hung drive need not wait half a minute.
	CommandTimeout time.Duration
	// DriveReprobe and DriveReprobeMax shape the re-probing of a drive out
	// of service (zero: the configuration's defaults, 30 s and 10 min).
	DriveReprobe, DriveReprobeMax time.Duration
}

// Station is a running simulated station.
type Station struct {
	Config config.Config
	Keys   *StationKeys
	Drives []*drivesim.Drive
	Robot  *Robot
	Client *api.Client
	Daemon *daemon.Daemon
	Ledger *ledgerclient.Client
	stop   context.CancelFunc
	done   chan error
}

// StationKeys are the station's TPM-resident keys, open.
type StationKeys struct {
	TPM       *tpm.Station
	t         transport.TPMCloser
	Signing   []byte // SEC1
	Agreement []byte // SEC1
	ID        string
}

// OpenKeys opens the in-process reference TPM kept in dir/tpm-sim and loads
// or creates the station keys in dir/tpm. Only one may be open per process.
func OpenKeys(dir string) (*StationKeys, error) {
	t, err := tpm.Open("sim:" + filepath.Join(dir, "tpm-sim"))
	if err != nil {
		return nil, err
	}
	st, err := tpm.LoadOrCreate(t, filepath.Join(dir, "tpm"))
	if err != nil {
		t.Close()
		return nil, err
	}
	k := &StationKeys{TPM: st, t: t, Signing: st.SigningPublicSEC1(), Agreement: st.AgreementPublicSEC1()}
	k.ID = daemonStationID(k.Signing)
	return k, nil
}

// Close flushes the keys and closes the TPM.
func (k *StationKeys) Close() error { return errors.Join(k.TPM.Close(), k.t.Close()) }

// Start runs a station daemon on simulated drives with keys already open.
// It returns once the daemon serves its API.
func Start(ctx context.Context, keys *StationKeys, o Options) (*Station, error) {
	if o.Drives == 0 {
		o.Drives = 1
	}
	if o.Blanks == 0 {
		o.Blanks = 10
	}
	if o.Media == 0 {
		o.Media = drivesim.BDR25
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Notifier == nil {
		o.Notifier = notify.New("")
	}
	cfg := config.Defaults()
	cfg.StateDir, cfg.Socket, cfg.TitlesDir = o.Dir, filepath.Join(o.Dir, "stationd.sock"), filepath.Join(o.Dir, "titles")
	cfg.TPM.URI = "sim:" + filepath.Join(o.Dir, "tpm-sim")
	cfg.Nodes, cfg.Players = o.Nodes, o.Players
	cfg.CustodyGroup = hex.EncodeToString(o.Group)
	if o.DriveReprobe > 0 {
		cfg.DriveReprobe, cfg.DriveReprobeMax = o.DriveReprobe, max(o.DriveReprobeMax, o.DriveReprobe)
	}
	for range o.Drives {
		cfg.Drives = append(cfg.Drives, config.Drive{Device: "sim:"})
	}
	if err := os.MkdirAll(cfg.TitlesDir, 0o700); err != nil {
		return nil, err
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	lc, err := newLedgerClient(keys, o.Nodes, o.Group)
	if err != nil {
		return nil, err
	}
	s := &Station{Config: cfg, Keys: keys, Ledger: lc, Client: api.NewClient(cfg.Socket), done: make(chan error, 1)}
	var drives []daemon.Drive
	for i := range o.Drives {
		var seed [8]byte
		rand.Read(seed[:])
		ddir := filepath.Join(o.Dir, "discs", fmt.Sprint(i))
		if err := os.MkdirAll(ddir, 0o700); err != nil {
			s.closeDrives()
			return nil, err
		}
		d, err := drivesim.New(drivesim.Options{Dir: ddir, Seed: binary.LittleEndian.Uint64(seed[:]),
			SpeedX: o.SpeedX, TimeScale: o.TimeScale, InMemory: o.InMemory, CacheSize: o.DriveBuffer, LoadTime: 100 * time.Millisecond})
		if err != nil {
			s.closeDrives()
			return nil, err
		}
		s.Drives = append(s.Drives, d)
		var dopts []drive.Option
		if o.CommandTimeout > 0 {
			dopts = append(dopts, drive.WithCommandTimeout(o.CommandTimeout))
		}
		drives = append(drives, daemon.NewMMCDrive(d, fmt.Sprintf("sim%d", i), dopts...))
	}
	robo, err := startRobot(s.Drives, o.Media, o.Blanks, o.RobotMotion, o.TimeScale)
	if err != nil {
		s.closeDrives()
		return nil, err
	}
	s.Robot = robo
	ready := make(chan *daemon.Daemon, 1)
	deps := daemon.Deps{
		Logger: o.Logger, Notifier: o.Notifier, AfterTransition: o.AfterTransition, Metrics: o.Metrics,
		Drives: func(config.Config) ([]daemon.Drive, error) { return drives, nil },
		Robot: func(_ config.Config, ds []daemon.Drive) (daemon.Robot, error) {
			return &daemon.AutoLoader{R: robo.client, Drives: ds}, nil
		},
		Ledger:   func(config.Config) (daemon.Ledger, error) { return daemon.ClientLedger{C: lc}, nil },
		Pipeline: daemon.RealPipeline,
		Panel:    o.Panel,
		Ready:    func(d *daemon.Daemon) { ready <- d },
		Retry:    100 * time.Millisecond,
		Rand:     o.Rand,
	}
	if deps.Panel == nil {
		deps.Panel = func(config.Config, func()) (*kiosk.Panel, error) { return nil, nil }
	}
	rctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go func() { s.done <- daemon.Run(rctx, cfg, deps) }()
	select {
	case s.Daemon = <-ready:
		return s, nil
	case err := <-s.done:
		cancel()
		return nil, fmt.Errorf("simstation: the daemon stopped during start-up: %w", err)
	case <-ctx.Done():
		cancel()
		<-s.done
		return nil, ctx.Err()
	}
}

// Stop stops the daemon (the drives close with it) and empties the bins.
func (s *Station) Stop() error {
	s.stop()
	err := <-s.done
	rerr := s.Robot.Close()
	if errors.Is(rerr, context.Canceled) {
		rerr = nil // the robot line ends with the daemon's context
	}
	return errors.Join(err, rerr)
}

func (s *Station) closeDrives() {
	for _, d := range s.Drives {
		d.Close()
	}
}

func newLedgerClient(k *StationKeys, nodes []config.Node, group []byte) (*ledgerclient.Client, error) {
	var pins []ledgerclient.Node
	for _, n := range nodes {
		nk, err1 := hex.DecodeString(n.StaticKey)
		sk, err2 := hex.DecodeString(n.SigningKey)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		pins = append(pins, ledgerclient.Node{Address: n.Address, NoiseKey: nk, SigningKey: sk})
	}
	return ledgerclient.New(ledgerclient.Config{Nodes: pins, Signer: k.TPM.Signer(), KeyExchanger: k.TPM.KeyExchanger(), Random: rand.Reader, Group: group})
}
