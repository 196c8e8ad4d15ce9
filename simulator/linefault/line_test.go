package linefault

import (
	"bytes"
	"context"
	"copystation/drive"
	"copystation/drive/serial"
	"copystation/simulator/drivesim"
	"encoding/binary"
	"io"
	"testing"
	"time"
)

// pipeEnd joins two io.Pipes into one full-duplex end.
type pipeEnd struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (p *pipeEnd) Close() error {
	for _, c := range p.closers {
		c.Close()
	}
	return nil
}

func pipePair() (a, b *pipeEnd) {
	ar, bw := io.Pipe()
	br, aw := io.Pipe()
	a = &pipeEnd{ar, aw, []io.Closer{ar, aw}}
	b = &pipeEnd{br, bw, []io.Closer{br, bw}}
	return a, b
}

func TestLineIsDeterministic(t *testing.T) {
	record := func(seed uint64) string {
		var out bytes.Buffer
		l := New(struct {
			io.Reader
			io.Writer
		}{nil, &out}, Options{Seed: seed, DropRate: 0.2, CorruptRate: 0.2, Drop: []int{0}})
		for i := range 50 {
			l.Write([]byte{byte(i), byte(i), byte(i), byte(i)})
		}
		return out.String()
	}
	a, b, c := record(1), record(1), record(2)
	if a != b {
		t.Errorf("record(1) differs between runs")
	}
	if a == c {
		t.Errorf("record(1) = record(2), want the seed to matter")
	}
	if a[0] == 0 {
		t.Errorf("write 0 was not dropped")
	}
}

// TestSerialLinkSurvivesLossyLine runs drive/serial over a line that drops
// and corrupts device frames and host chunks, against the simulated drive:
// every command still completes with the right data.
func TestSerialLinkSurvivesLossyLine(t *testing.T) {
	dev, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), Media: drivesim.BDR25})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	hostEnd, devEnd := pipePair()
	line := New(devEnd, Options{Seed: 3, DropRate: 0.1, CorruptRate: 0.1, ReadCorruptRate: 0.05})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serial.Serve(ctx, line, dev, serial.Options{}) }()
	host, err := serial.NewTransport(hostEnd, serial.Options{RetryInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()

	do := func(cdb []byte, dir drive.Direction, buf []byte) drive.Result {
		t.Helper()
		res, err := host.Do(cdb, dir, buf, 5*time.Second)
		if err != nil {
			t.Fatalf("Do(% x) over lossy line = %v", cdb, err)
		}
		return res
	}
	for range 3 { // absorb power-on and media attentions
		do(make([]byte, 6), drive.DirNone, nil)
	}
	data := bytes.Repeat([]byte("lossy line "), 32*2048/11+1)[:32*2048]
	for i := range uint32(8) {
		cdb := make([]byte, 12)
		cdb[0] = byte(drive.OpWrite12)
		binary.BigEndian.PutUint32(cdb[2:], i*32)
		binary.BigEndian.PutUint32(cdb[6:], 32)
		if res := do(cdb, drive.DirOut, data); res.Status != drive.StatusGood {
			t.Fatalf("WRITE(12) at %d = sense %x", i*32, res.Sense)
		}
	}
	got := make([]byte, 32*2048)
	cdb := make([]byte, 12)
	cdb[0] = byte(drive.OpRead12)
	binary.BigEndian.PutUint32(cdb[2:], 224)
	binary.BigEndian.PutUint32(cdb[6:], 32)
	if res := do(cdb, drive.DirIn, got); res.Status != drive.StatusGood || !bytes.Equal(got, data) {
		t.Fatalf("READ(12) over lossy line: status %#x, data equal %v", res.Status, bytes.Equal(got, data))
	}
	st := line.Stats()
	if st.DroppedWrites == 0 || st.CorruptedWrites == 0 {
		t.Errorf("Stats() = %+v, want some frames dropped and corrupted", st)
	}
	cancel()
	hostEnd.Close()
	devEnd.Close()
	<-served
}
