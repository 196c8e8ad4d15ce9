package tpm

import (
	"copystation/atomicfile"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-tpm-tools/simulator"
	"github.com/google/go-tpm/tpm2/transport"
)

// SimSeedFile holds the in-process simulator's hierarchy seed. It is a TPM
// secret written in the clear: INSECURE, for tests and the demo only.
const SimSeedFile = "simulator-seed.INSECURE"

// ErrSimulatorBusy is returned when this process already runs the in-process
// simulator (it is one global TPM per process).
var ErrSimulatorBusy = errors.New("tpm: the in-process TPM simulator is already open in this process")

// simSlot guards the one in-process simulator so a second Open fails after
// a deadline instead of blocking for ever inside simulator.Get.
var simSlot = make(chan struct{}, 1)

// simWait bounds how long OpenSimulator waits for the slot.
var simWait = 2 * time.Minute

// simTPM is the in-process reference TPM.
type simTPM struct {
	transport.TPMCloser
	closed bool
}

// OpenSimulator starts the Microsoft reference TPM in this process with the
// hierarchy seeds derived from a seed kept in dir (created on first use).
// The reference TPM keeps its NV memory in process memory and is
// manufactured afresh by every start; what survives a restart is the seed,
// so the storage root key made from the standard template is the same and
// key blobs saved under it load again. Persistent handles, NV indices and
// PCR values do not survive; this package uses none of them across starts.
func OpenSimulator(dir string) (transport.TPMCloser, error) {
	seed, err := simSeed(dir)
	if err != nil {
		return nil, fmt.Errorf("tpm.OpenSimulator: %w", err)
	}
	select {
	case simSlot <- struct{}{}:
	case <-time.After(simWait):
		return nil, fmt.Errorf("tpm.OpenSimulator: %w; close it first or use swtpm for a second TPM", ErrSimulatorBusy)
	}
	sim, err := simulator.GetWithFixedSeedInsecure(seed)
	if err != nil {
		<-simSlot
		return nil, fmt.Errorf("tpm.OpenSimulator: %w: %w", ErrTransport, err)
	}
	return &simTPM{TPMCloser: transport.FromReadWriteCloser(sim)}, nil
}

// Close shuts the simulator down and frees the slot.
func (s *simTPM) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.TPMCloser.Close()
	<-simSlot
	return err
}

func simSeed(dir string) (int64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, fmt.Errorf("%w: state directory: %w", ErrTransport, err)
	}
	path := filepath.Join(dir, SimSeedFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b = make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			return 0, err
		}
		if err := atomicfile.Write(path, b); err != nil {
			return 0, err
		}
	} else if err != nil {
		return 0, err
	}
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: %s is %d bytes, want 8; delete the directory to start a new simulated TPM", ErrBlob, path, len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}
