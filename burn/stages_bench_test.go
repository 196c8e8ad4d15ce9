package burn

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"copystation/burn/disc"
	"copystation/burn/sector"
	"copystation/burn/titlepkg"
	"copystation/simulator/drivesim"
)

// BenchmarkStages measures each stage of a copy alone, one goroutine, over
// a 64 MiB title, so that the pipeline's CPU per GB can be laid beside the
// sum of its parts (docs/benchmarks.md, "Copy pipeline"). Run it at -cpu 1:
//
//	go test -run X -bench Stages -cpu 1 ./burn
//
// Each reports cpu-s/GB of image (process CPU time, getrusage).
func BenchmarkStages(b *testing.B) {
	const size = 64 << 20
	dir := benchDir(b)
	img := &patternReader{n: size}
	vars := benchVariants(size)
	if _, err := titlepkg.Create(dir, titlepkg.Spec{TitleID: "stages", Image: img, ImageSize: size, Keys: titleKeys(b, len(vars)),
		Variants: vars, Rand: chacha(1)}); err != nil {
		b.Fatal(err)
	}
	p, err := titlepkg.Open(filepath.Join(dir, titlepkg.FileName("stages")), titleKeys(b, len(vars)))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	m := p.Manifest()
	sec, err := sector.New(bytes.Repeat([]byte{7}, sector.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	unitBuf := make([]byte, unitSize)
	table := make([]byte, size/disc.ClusterSize*disc.TagSize)
	var untimed time.Duration // CPU spent with the timer stopped
	stage := func(name string, op func(b *testing.B)) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			untimed = 0
			c0 := cpuTime()
			for b.Loop() {
				op(b)
			}
			b.ReportMetric((cpuTime()-c0-untimed).Seconds()/(float64(size)*float64(b.N)/1e9), "cpu-s/GB")
		})
	}
	chunk := make([]byte, p.ChunkBufSize())
	stage("decrypt", func(b *testing.B) { // read each chunk the copy keeps and open it
		for i := range m.ChunkCount {
			if _, _, err := p.ReadChunk(i, chunk); err != nil {
				b.Fatal(err)
			}
		}
	})
	stage("encrypt", func(b *testing.B) {
		for off := uint64(0); off < size; off += unitSize {
			sec.XOR(unitBuf, unitBuf, off/disc.SectorSize)
		}
	})
	stage("MAC", func(b *testing.B) {
		for k := uint64(0); k < size/disc.ClusterSize; k++ {
			tag := sec.Tag(k, unitBuf[k%unitClusters*disc.ClusterSize:][:disc.ClusterSize])
			copy(table[k*disc.TagSize:], tag[:])
		}
	})
	sim, err := drivesim.New(drivesim.Options{InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	d := newDrive(sim)
	dev := driveDevice{r: d, w: d}
	ctx := context.Background()
	blank := func(b *testing.B) {
		b.StopTimer()
		c0 := cpuTime()
		if disc, err := sim.Remove(); err == nil {
			disc.Destroy()
		}
		if err := sim.Insert(drivesim.BDR25); err != nil {
			b.Fatal(err)
		}
		if err := d.WaitReady(ctx); err != nil {
			b.Fatal(err)
		}
		untimed += cpuTime() - c0
		b.StartTimer()
	}
	writeAll := func(b *testing.B) {
		for off := uint32(0); off < size/disc.SectorSize; off += unitSize / disc.SectorSize {
			if err := dev.write(ctx, off, unitBuf); err != nil {
				b.Fatal(err)
			}
		}
	}
	// One disc first, untimed, so the simulator's memory blocks exist (as
	// in BenchmarkCopyPipeline).
	blank(b)
	writeAll(b)
	stage("drive", func(b *testing.B) { // WRITE(12) of 1 MiB units to a blank
		blank(b)
		writeAll(b)
	})
	stage("verify", func(b *testing.B) { // READ(12) back and check each cluster's tag
		for off := uint32(0); off < size/disc.SectorSize; off += unitSize / disc.SectorSize {
			if err := dev.read(ctx, off, unitBuf); err != nil {
				b.Fatal(err)
			}
			for k := range uint64(unitClusters) {
				sec.Tag(k, unitBuf[k*disc.ClusterSize:][:disc.ClusterSize])
			}
		}
	})
}
