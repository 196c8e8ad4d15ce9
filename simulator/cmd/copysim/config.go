package main

import (
	"copystation/drive"
	"copystation/simulator/drivesim"
	"copystation/simulator/linefault"
	"copystation/simulator/robotsim"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is everything copysim's flags set.
type Config struct {
	DriveLink, RobotLink string
	Media                string
	Blanks               int
	Drives               int
	Loaded               bool
	SpeedX               int
	TimeScale            float64
	Seed                 uint64
	Dir                  string
	Verbose              bool

	MediumErrors, WriteErrors, PowerLoss lbaList
	MediumErrorRate                      float64
	HangOps                              opList
	NotReady                             time.Duration
	LineDrop, LineCorrupt                float64
	RobotLineDrop, RobotLineCorrupt      float64
	JamAfter                             int
	JamRate                              float64
}

func (c *Config) register(fs *flag.FlagSet) {
	fs.StringVar(&c.DriveLink, "drive-link", "/tmp/copysim-drive", "symlink to create for the drive's pseudo-terminal")
	fs.StringVar(&c.RobotLink, "robot-link", "/tmp/copysim-robot", "symlink to create for the robot's pseudo-terminal")
	fs.StringVar(&c.Media, "media", "bd-r-25", "blank media type: bd-r-25, bd-r-50 or bd-re-25")
	fs.IntVar(&c.Blanks, "blanks", 10, "blanks in the robot's input bin")
	fs.IntVar(&c.Drives, "drives", 1, "number of drives, 1 to 8; drive k > 1 is linked at <drive-link>.k")
	fs.BoolVar(&c.Loaded, "loaded", false, "start with a blank already in the drive")
	fs.IntVar(&c.SpeedX, "speed", 16, "fastest write speed, 1 to 16 (x 4.5 MB/s)")
	fs.Float64Var(&c.TimeScale, "time-scale", 0, "multiplier for modelled time (0 instant, 1 real time)")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed for media IDs and random faults")
	fs.StringVar(&c.Dir, "dir", "", "directory for disc image files (default: a temporary directory removed on exit)")
	fs.BoolVar(&c.Verbose, "v", false, "log link events")
	fs.Var(&c.MediumErrors, "fault-medium-error", "LBA[,LBA...] whose reads fail with 03/11/00")
	fs.Var(&c.WriteErrors, "fault-write-error", "LBA[,LBA...] whose writes fail once with 03/0C/00")
	fs.Var(&c.PowerLoss, "fault-power-loss", "LBA[,LBA...] whose write loses power once")
	fs.Float64Var(&c.MediumErrorRate, "fault-medium-error-rate", 0, "probability that a READ fails with 03/11/00")
	fs.Var(&c.HangOps, "fault-hang", "opcode[,opcode...] in hex that never answer (once each)")
	fs.DurationVar(&c.NotReady, "fault-not-ready", 0, "report 02/04/01 for this long after the first command")
	fs.Float64Var(&c.LineDrop, "fault-line-drop", 0, "probability that the drive drops a frame it sends")
	fs.Float64Var(&c.LineCorrupt, "fault-line-corrupt", 0, "probability that the drive corrupts a frame it sends")
	fs.Float64Var(&c.RobotLineDrop, "fault-robot-line-drop", 0, "probability that the robot drops a reply line")
	fs.Float64Var(&c.RobotLineCorrupt, "fault-robot-line-corrupt", 0, "probability that the robot corrupts a reply line")
	fs.IntVar(&c.JamAfter, "robot-jam-after", 0, "jam the robot on its Nth motion")
	fs.Float64Var(&c.JamRate, "robot-jam-rate", 0, "probability that a robot motion jams")
}

// driveLink is where drive k (from 1) is linked.
func (c *Config) driveLink(k int) string {
	if k == 1 {
		return c.DriveLink
	}
	return c.DriveLink + "." + strconv.Itoa(k)
}

// driveOptions turns the flags into drivesim options for drive k (from 1).
// Each drive draws media IDs from its own seed, so no two discs share one.
func (c *Config) driveOptions(dir string, k int) (drivesim.Options, error) {
	m, err := drivesim.ParseMediaType(c.Media)
	if err != nil {
		return drivesim.Options{}, err
	}
	if c.Drives < 1 || c.Drives > 8 {
		return drivesim.Options{}, fmt.Errorf("--drives %d: want 1 to 8", c.Drives)
	}
	seed := c.Seed + uint64(k-1)*0x9E3779B97F4A7C15
	o := drivesim.Options{Dir: dir, Seed: seed, TimeScale: c.TimeScale, SpeedX: c.SpeedX}
	if c.Loaded {
		o.Media = m
	}
	for _, l := range c.MediumErrors {
		o.Faults = append(o.Faults, drivesim.Fault{Kind: drivesim.FaultMediumError, LBA: l})
	}
	for _, l := range c.WriteErrors {
		o.Faults = append(o.Faults, drivesim.Fault{Kind: drivesim.FaultWriteError, LBA: l, Count: 1})
	}
	for _, l := range c.PowerLoss {
		o.Faults = append(o.Faults, drivesim.Fault{Kind: drivesim.FaultPowerLoss, LBA: l, Count: 1})
	}
	if c.MediumErrorRate > 0 {
		o.Faults = append(o.Faults, drivesim.Fault{Kind: drivesim.FaultMediumError, Rate: c.MediumErrorRate})
	}
	for _, op := range c.HangOps {
		o.Faults = append(o.Faults, drivesim.Fault{Kind: drivesim.FaultHang, Ops: []drive.Opcode{op}, Count: 1})
	}
	if c.NotReady > 0 {
		o.Faults = append(o.Faults, drivesim.Fault{Kind: drivesim.FaultBecomingReady, Duration: c.NotReady, Count: 1})
	}
	return o, nil
}

func (c *Config) lineOptions() linefault.Options {
	return linefault.Options{Seed: c.Seed, DropRate: c.LineDrop, CorruptRate: c.LineCorrupt}
}

func (c *Config) robotLineOptions() linefault.Options {
	return linefault.Options{Seed: c.Seed + 1000, DropRate: c.RobotLineDrop, CorruptRate: c.RobotLineCorrupt}
}

func (c *Config) robotOptions(drives []robotsim.Drive) robotsim.Options {
	m, _ := drivesim.ParseMediaType(c.Media)
	o := robotsim.Options{Drives: drives, Blanks: c.Blanks, Media: m, TimeScale: c.TimeScale, Seed: c.Seed}
	if c.JamAfter > 0 {
		o.Jams = append(o.Jams, robotsim.Jam{After: c.JamAfter})
	}
	if c.JamRate > 0 {
		o.Jams = append(o.Jams, robotsim.Jam{Rate: c.JamRate})
	}
	return o
}

// lbaList is a comma-separated list of LBAs.
type lbaList []uint32

func (l *lbaList) String() string { return fmt.Sprint([]uint32(*l)) }

func (l *lbaList) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(f), 0, 32)
		if err != nil {
			return fmt.Errorf("LBA %q: %w", f, err)
		}
		*l = append(*l, uint32(v))
	}
	return nil
}

// opList is a comma-separated list of opcodes in hex.
type opList []drive.Opcode

func (l *opList) String() string { return fmt.Sprint([]drive.Opcode(*l)) }

func (l *opList) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(f), "0x"), 16, 8)
		if err != nil {
			return fmt.Errorf("opcode %q (hex, e.g. 35): %w", f, err)
		}
		*l = append(*l, drive.Opcode(v))
	}
	return nil
}
