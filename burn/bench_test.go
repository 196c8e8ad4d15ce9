package burn

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/simulator/drivesim"
)

// Benchmarks of the whole pipeline to the in-process simulated drive,
// unthrottled (TimeScale 0). Figures and commands are in
// docs/benchmarks.md ("Copy pipeline").
//
//	go test -run X -bench 'Floor$' -cpu 1 ./burn/sector
//	for c in 1 2 4; do go test -run X -bench 'CopyPipeline$/single' -cpu $c -benchtime 3x ./burn; done
//
// One GOMAXPROCS per process: with a -cpu list, the first value's figures
// for these sub-benchmarks came from a run at the default GOMAXPROCS
// (docs/benchmarks.md, the lead's re-run of the sixth session).
//	go test -run X -bench 'Stages' -cpu 1 ./burn
//	go test -run X -bench 'Copy$' -benchtime 3x ./burn
//	BURN_BENCH_DIR=/dev/shm go test -run X -bench 'Copy$' -benchtime 3x ./burn
//	BURN_BENCH_DIR=/dev/shm go test -run X -bench 'CopyPipeline$' -benchtime 3x ./burn
//	BURN_BENCH_COLD=1 BURN_BENCH_DIR=/var/tmp go test -run X -bench 'CopyPipeline$/single' -cpu 1 -benchtime 3x ./burn
//	BURN_BENCH_25G=1 go test -run X -bench Copy25GB -benchtime 1x -timeout 30m ./burn

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// BenchmarkCopy copies a 1 GiB title from a package file to a simulated
// disc kept in a sparse file.
func BenchmarkCopy(b *testing.B) {
	p, path := benchPackage(b)
	defer p.Close()
	runPasses(b, p, path, 1<<30, drivesim.Options{Dir: benchDir(b)})
}

// runPasses runs a copy benchmark both ways: two-pass authenticates the
// whole package before writing (a package not installed), single-pass
// reads it once (an installed package, Job.SinglePass). path is the
// package's file ("" for a synthetic package).
func runPasses(b *testing.B, p *titlepkg.Package, path string, size int64, opts drivesim.Options) {
	for _, single := range []bool{false, true} {
		name := "two-pass"
		if single {
			name = "single-pass"
		}
		b.Run(name, func(b *testing.B) { runCopyBench(b, p, path, size, opts, single) })
	}
}

// BenchmarkCopyPipeline is BenchmarkCopy with the simulated disc kept in
// memory: it leaves out the simulator's file I/O (and the page cache
// behind it), which a real drive takes off the host, so what remains is
// the pipeline's own cost plus two memory copies in the simulator. The
// process's peak memory then includes the 1 GiB disc.
func BenchmarkCopyPipeline(b *testing.B) {
	p, path := benchPackage(b)
	defer p.Close()
	runPasses(b, p, path, 1<<30, drivesim.Options{InMemory: true})
}

// benchPackage makes a package file of a 1 GiB title.
func benchPackage(b *testing.B) (*titlepkg.Package, string) {
	dir := benchDir(b)
	const size = 1 << 30
	img := &patternReader{n: size}
	vars := benchVariants(size)
	_, err := titlepkg.Create(dir, titlepkg.Spec{TitleID: "bench", Image: img, ImageSize: size, Keys: titleKeys(b, len(vars)),
		Variants: vars, Rand: chacha(1)})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, titlepkg.FileName("bench"))
	p, err := titlepkg.Open(path, titleKeys(b, len(vars)))
	if err != nil {
		b.Fatal(err)
	}
	return p, path
}

// BenchmarkCopy25GB copies a 25 GB title (a synthetic package, generated
// as it is read) onto a full BD-R 25; the simulator's disc file really
// takes 25 GB of disk. Set BURN_BENCH_25G=1 to run it.
func BenchmarkCopy25GB(b *testing.B) {
	if os.Getenv("BURN_BENCH_25G") == "" {
		b.Skip("set BURN_BENCH_25G=1 to copy a 25 GB image (needs 25 GB of free disk)")
	}
	const size = 12206080 * 2048 // sectors that fit a BD-R 25 with header and table
	segs := benchSegments(size)
	sy, err := titlepkg.NewSynthetic("bench-25g", size, segs, titleKeys(b, len(segs)), chacha(1))
	if err != nil {
		b.Fatal(err)
	}
	p, err := titlepkg.OpenReader(sy, sy.Size(), titleKeys(b, len(segs)))
	if err != nil {
		b.Fatal(err)
	}
	runPasses(b, p, "", size, drivesim.Options{Dir: benchDir(b)})
}

func runCopyBench(b *testing.B, p *titlepkg.Package, path string, size int64, opts drivesim.Options, single bool) {
	sim, err := drivesim.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	d := newDrive(sim)
	ctx := context.Background()
	cw := bytes.Repeat([]byte{0x5A}, 16)
	var phase map[Phase]time.Duration
	var inCopy time.Duration // CPU time inside Copy alone
	var inSys time.Duration  // of which in the kernel
	var inSim time.Duration  // of which the memory disc's copies (a real drive's DMA)
	var faults int64         // minor page faults in Copy (first touches of fresh memory)
	cold := os.Getenv("BURN_BENCH_COLD") != ""
	var cachedPct float64 // the package's pages cached as copies start (cold)
	var copies int
	// copyOnce makes one disc; only Copy itself runs with the timer on.
	copyOnce := func(i int) {
		b.StopTimer()
		if err := sim.Insert(drivesim.BDR25); err != nil {
			b.Fatal(err)
		}
		if err := d.WaitReady(ctx); err != nil {
			b.Fatal(err)
		}
		mi, err := d.MediaInfo(ctx)
		if err != nil {
			b.Fatal(err)
		}
		job := Job{Package: p, Keys: copyKeys(b, mi.MediaID, "bench-"+strconv.Itoa(i), cw, len(p.Manifest().Segments)), CopyID: "bench", MediaID: mi.MediaID, Clock: wallClock{}, Players: testPlayers(b), SinglePass: single}
		var cur Phase
		var t0 time.Time
		job.Progress = func(pr Progress) error {
			if pr.Phase != cur {
				now := time.Now()
				if cur != "" {
					phase[cur] += now.Sub(t0)
				}
				cur, t0 = pr.Phase, now
			}
			return nil
		}
		if cold {
			cachedPct += dropPages(b, path)
			copies++
		}
		b.StartTimer()
		u0, m0 := usageNow(), drivesim.MemoryCopies().CPU
		if _, err := Copy(ctx, d, job); err != nil {
			b.Fatal(err)
		}
		u := usageNow()
		inCopy += u.cpu - u0.cpu
		inSys += u.sys - u0.sys
		inSim += drivesim.MemoryCopies().CPU - m0
		faults += u.minflt - u0.minflt
		b.StopTimer()
		disc, err := sim.Remove()
		if err != nil {
			b.Fatal(err)
		}
		disc.Destroy()
		b.StartTimer()
	}
	if opts.InMemory {
		drivesim.MeasureMemoryCopies(true)
		defer drivesim.MeasureMemoryCopies(false)
		// One copy first, so the simulator's memory blocks exist before
		// the measurement: first touch of fresh memory is a page fault per
		// page, a cost of the simulator, not of the pipeline.
		phase = map[Phase]time.Duration{}
		copyOnce(-1)
	}
	phase, inCopy, inSys, inSim, cachedPct, copies = map[Phase]time.Duration{}, 0, 0, 0, 0, 0
	faults = 0
	stop := profileCopies(b)
	defer stop()
	b.SetBytes(size)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		copyOnce(i)
	}
	b.StopTimer()
	gb := float64(size) * float64(b.N) / 1e9
	// cpu-s/GB counts everything between the copies too (the simulator
	// making and deleting each disc's file); copy-cpu-s/GB only Copy.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/gb, "cpu-s/GB")
	b.ReportMetric(inCopy.Seconds()/gb, "copy-cpu-s/GB")
	b.ReportMetric(inSys.Seconds()/gb, "copy-sys-s/GB")
	b.ReportMetric(float64(faults)/gb, "copy-minflt/GB")
	if opts.InMemory {
		// The memory disc's copies in and out are what a real drive does
		// by DMA; station-cpu-s/GB is Copy's CPU without them, measured
		// on the copying threads' CPU clocks (drivesim.MemoryCopies).
		b.ReportMetric(inSim.Seconds()/gb, "sim-copy-cpu-s/GB")
		b.ReportMetric((inCopy-inSim).Seconds()/gb, "station-cpu-s/GB")
	}
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
	if cold {
		b.ReportMetric(cachedPct/float64(copies), "pkg-cached-%")
	}
	for _, ph := range []Phase{PhaseAuthenticate, PhaseWrite, PhaseVerify} {
		b.ReportMetric(phase[ph].Seconds()/float64(b.N), strings.Fields(string(ph))[0]+"-s")
	}
}

// profileCopies starts a CPU profile of the measured copies alone (not
// the package's making nor the untimed first copy, whose page faults
// would dominate it) when BURN_BENCH_CPUPROFILE names a file; the
// sub-benchmark's name is appended to it.
func profileCopies(b *testing.B) (stop func()) {
	path := os.Getenv("BURN_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path + "." + strings.NewReplacer("/", "_").Replace(b.Name()))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// benchDir is where the package and the simulator's disc files go:
// $BURN_BENCH_DIR (e.g. /dev/shm, to take the host's disk out of the
// measurement) or a temporary directory.
func benchDir(b *testing.B) string {
	root := os.Getenv("BURN_BENCH_DIR")
	if root == "" {
		return b.TempDir()
	}
	dir, err := os.MkdirTemp(root, "burn-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// benchVariants are 8 one-cluster forensic segments spread over the image.
func benchVariants(size int64) []titlepkg.Variant {
	var v []titlepkg.Variant
	for _, s := range benchSegments(size) {
		v = append(v, titlepkg.Variant{Start: s.Start, B: randBytes(byte(s.Start), int(s.Sectors)*2048)})
	}
	return v
}

func benchSegments(size int64) []titlepkg.Segment {
	var s []titlepkg.Segment
	for i := range int64(8) {
		s = append(s, titlepkg.Segment{Start: uint64(size / 2048 / 8 * i), Sectors: 32})
	}
	return s
}

// patternReader yields n bytes of a fixed random pattern.
type patternReader struct {
	n, off int64
	pat    []byte
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.pat == nil {
		r.pat = randBytes(3, 1<<20)
	}
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	n := 0
	for n < len(p) {
		n += copy(p[n:], r.pat[(r.off+int64(n))%int64(len(r.pat)):])
	}
	r.off += int64(n)
	return n, nil
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration { return usageNow().cpu }

// usage is the process's resource use so far, from one getrusage call.
type usage struct {
	cpu    time.Duration // user plus system
	sys    time.Duration // system: the kernel working for it (the package file's reads, page faults, futex wake-ups)
	minflt int64         // minor page faults: pages mapped on first touch (or after the Go runtime returned them)
}

func usageNow() usage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return usage{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), sys: time.Duration(ru.Stime.Nano()), minflt: ru.Minflt}
}

// peakRSS is the process's peak resident set (VmHWM) in bytes.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
