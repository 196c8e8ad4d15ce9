// Package ledger is the Go API a validation node's station gateway uses:
// spend a token, release a committed copy's keys, report a copy, look up a
// station. Local implements it over the node's in-process CometBFT.
package ledger

import (
	"context"
	"errors"
	"fmt"

	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
)

// Ledger is what the gateway asks of its node. Every method waits for
// finality: a Receipt names a committed transaction.
//
// A refusal by the contract is a *RefusalError whose chain holds the
// contract.Code, so callers may write errors.Is(err, contract.CodeTokenSpent)
// or errors.As(err, &code). Any other error (deadline, node catching up) is
// not a refusal: the station should retry, here or at another node, with
// the same job ID.
type Ledger interface {
	// Spend submits the station's signed copy request as a spend and waits
	// until it is committed. A repeat of a committed job returns the
	// original receipt.
	Spend(ctx context.Context, stationKey []byte, req *protocol.CopyRequest, sig []byte) (Receipt, error)
	// ReleasePartial is round 1 of a release: for the committed, pending
	// attempt of info.JobID on info.MediaID, this node's partial signature
	// on the copy label, sealed to the station's enrolled key-agreement key
	// and bound to info.
	ReleasePartial(ctx context.Context, stationID string, info keys.Info) (*Release, error)
	// ReleaseKeys is round 2: for the same pending attempt, numbered
	// attempt, and sigma, the copy's group signature (which the node checks
	// against the group key and its own label for the job, refusing with
	// an error wrapping keyservice.ErrBadSigma), the copy's keys sealed
	// like round 1. Every node releases the same keys for the same copy.
	// For a title registered with tracing parameters, titlePartials are the
	// sealed partials on the title's tracing label the station relays from
	// round 1 (Release.TitlePartials); the node opens those sealed to it.
	ReleaseKeys(ctx context.Context, stationID string, attempt uint32, sigma []byte, info keys.Info,
		titlePartials []keyservice.TitlePartial) (*Release, error)
	// Report submits the station's signed copy report and waits until it
	// is committed.
	Report(ctx context.Context, stationKey []byte, rep *protocol.CopyReport, sig []byte) (Receipt, error)
	// Station looks up an enrolled station (ErrStationNotFound if none).
	Station(ctx context.Context, id string) (*contract.Station, error)
	// Copy looks up a job's committed copy record (ErrCopyNotFound if
	// none).
	Copy(ctx context.Context, jobID string) (*contract.Copy, error)
	// ChainID is the ledger's chain ID, which every statement signed for
	// it covers.
	ChainID(ctx context.Context) (string, error)
	// NextCommit is closed when the node commits its next block.
	NextCommit() <-chan struct{}
}

// Receipt locates the committed transaction: height, hash and, for a spend,
// which attempt (0 for the first disc).
type Receipt = contract.Receipt

// Release is one round's sealed answer.
type Release struct {
	// Sealed is keys.SealPartial's envelope of the node's partial (round
	// 1) or keys.SealRelease's of its share release (round 2).
	Sealed []byte
	// Format is the format metadata also inside the envelope, in the clear
	// for the station's planning.
	Format keys.FormatMetadata
	// Spend is the receipt of the spend that authorised this attempt.
	Spend Receipt
	// TitlePartials (round 1, a title registered with tracing parameters):
	// the node's partial on the title's tracing label sealed to each other
	// custody node (keyservice.Service.TitlePartials).
	TitlePartials []keyservice.TitlePartial
	// EpochRecord and EpochSig (round 1, once a custody epoch is in
	// force): the epoch's record and group signature, which the gateway
	// sends the station before the KeyRelease (protocol message 12).
	// Empty at epoch 0.
	EpochRecord, EpochSig []byte
}

// Errors that are not refusals.
var (
	ErrStationNotFound = errors.New("station not enrolled")
	ErrCopyNotFound    = errors.New("no copy recorded for this job")
	ErrNotFinal        = errors.New("the transaction was not committed before the deadline; retry with the same job ID")
	ErrUnavailable     = errors.New("the node cannot take transactions now (catching up or stopping); try another node")
)

// RefusalError is the contract's refusal of a transaction.
type RefusalError struct {
	Op   string // "ledger.Spend", ...
	Code contract.Code
	Log  string // the contract's explanation
}

func (e *RefusalError) Error() string {
	return fmt.Sprintf("%s: refused (%s): %s", e.Op, e.Code.Name(), e.Log)
}

// Unwrap exposes the code to errors.Is and errors.As.
func (e *RefusalError) Unwrap() error { return e.Code }
