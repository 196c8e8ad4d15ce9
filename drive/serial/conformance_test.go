package serial_test

import (
	"context"
	"io"
	"testing"
	"time"

	"copystation/drive"
	"copystation/drive/drivetest"
	"copystation/drive/serial"
	"copystation/simulator/drivesim"
)

type duplex struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (d *duplex) Close() error {
	for _, c := range d.closers {
		c.Close()
	}
	return nil
}

// linkToSim runs drivesim behind serial.Serve on one end of an in-memory
// line and returns the host transport on the other.
func linkToSim(t *testing.T, opts drivesim.Options) (*serial.Transport, *drivesim.Drive) {
	t.Helper()
	opts.Dir = t.TempDir()
	sim, err := drivesim.New(opts)
	if err != nil {
		t.Fatalf("drivesim.New() = %v", err)
	}
	tr, cleanup := pipeLink(t, sim)
	t.Cleanup(cleanup)
	return tr, sim
}

// pipeLink serves dev on one end of an in-memory line; cleanup stops both
// sides and closes dev.
func pipeLink(tb testing.TB, dev drive.TransportCloser) (*serial.Transport, func()) {
	tb.Helper()
	h2dR, h2dW := io.Pipe()
	d2hR, d2hW := io.Pipe()
	host := &duplex{Reader: d2hR, Writer: h2dW, closers: []io.Closer{d2hR, h2dW}}
	devEnd := &duplex{Reader: h2dR, Writer: d2hW, closers: []io.Closer{h2dR, d2hW}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serial.Serve(ctx, devEnd, dev, serial.Options{}) }()
	tr, err := serial.NewTransport(host, serial.Options{RetryInterval: 50 * time.Millisecond})
	if err != nil {
		tb.Fatalf("serial.NewTransport() = %v", err)
	}
	return tr, func() {
		tr.Close()
		cancel()
		devEnd.Close()
		<-done
		dev.Close()
	}
}

func TestConformanceSerialToDrivesim(t *testing.T) {
	drivetest.RunConformance(t, func(t *testing.T) drive.Transport {
		tr, _ := linkToSim(t, drivesim.Options{Media: drivesim.BDR25, Seed: 9})
		return tr
	})
}
