package daemon

import (
	"context"
	"copystation/burn/titlepkg"
	"errors"
	"fmt"

	"copystation/keys"
	"copystation/stationd/job"
)

// Media is what a drive reports about the disc in it.
type Media struct {
	// Present is false when the drive holds no disc.
	Present         bool
	Profile         uint16
	Blank           bool
	CapacitySectors uint32
	MediaID         []byte
	// MediaIDErr says why MediaID is nil on a disc that is present (a real
	// drive refuses READ DISC STRUCTURE 86h without AACS bus
	// authentication).
	MediaIDErr error
	// Resumable: a sequential BD-R written to, its first and only track
	// still open: a copy cut off while writing may continue at its next
	// writable address (burn.Job.Resume).
	Resumable bool
}

// Drive is one burner slot as the job runner needs it.
type Drive interface {
	// MediaInfo reads the disc's profile, state, capacity and media ID,
	// waiting for the drive to become ready.
	MediaInfo(ctx context.Context) (Media, error)
	// Finalize closes a written disc (a no-op on a disc already complete).
	Finalize(ctx context.Context) error
	// Name says which drive this is, for logs and status.
	Name() string
}

// Robot is the disc autoloader shared by all drives.
type Robot interface {
	// LoadBlank picks a blank from the input bin and loads it into drive n.
	LoadBlank(ctx context.Context, n int) error
	// Unload takes the disc out of drive n into the output bin (good) or
	// the reject bin.
	Unload(ctx context.Context, n int, good bool) error
}

// AuthRequest asks the ledger for a spend and the copy keys.
type AuthRequest struct {
	JobID   string
	Attempt int
	TokenID string
	TitleID string
	Profile uint16
	MediaID []byte
	Grant   []byte
	// PrevReport names the report that spoiled the previous attempt
	// (empty for the first): the ledger binds a retry to it.
	PrevReport []byte
	// Manifest is the title package's manifest, when the station holds
	// it: a title dealt by its issuer is released as shares, which the
	// station checks against the manifest's roots (docs/key-custody.md).
	Manifest *titlepkg.Manifest
}

// Authorization is the ledger's answer: the spend's receipt and the keys.
type Authorization struct {
	CopyID  string
	Receipt job.Receipt
	Keys    *keys.CopyKeys
}

// Outcome is what a job reports for one blank.
type Outcome struct {
	JobID      string
	Attempt    int
	MediaID    []byte
	Made       bool
	DiscDigest []byte
	Reason     string
}

// Ledger is the station's side of the validation network.
type Ledger interface {
	// Authorize spends the token for the job (idempotent by job ID) and
	// returns the copy keys for the blank. A refusal is a *Refusal.
	Authorize(ctx context.Context, r AuthRequest) (*Authorization, error)
	// Report records a blank as made or spoiled (idempotent) and returns
	// the digest naming the report on the ledger, which the next attempt's
	// AuthRequest.PrevReport carries (nil when the ledger names none).
	Report(ctx context.Context, o Outcome) ([]byte, error)
	// StationID names this station on the ledger.
	StationID() string
}

// Refusal is the ledger's definite "no": nothing was spent.
type Refusal struct {
	Code    string // a stable code, e.g. "token_spent"
	Message string // for a person at the kiosk
}

func (r *Refusal) Error() string { return fmt.Sprintf("refused (%s): %s", r.Code, r.Message) }

// Phase is a step of the pipeline, matching a job state.
type Phase string

// Pipeline phases.
const (
	PhaseWriting    Phase = "writing"
	PhaseVerifying  Phase = "verifying"
	PhaseFinalising Phase = "finalising"
)

// Progress is one pipeline progress event.
type Progress struct {
	Phase Phase
	// Step names what the pipeline is doing, for people ("authenticating").
	Step  string
	Done  int64 // bytes done in this phase
	Total int64 // bytes in this phase
	// DiscDigest is set on the event that enters PhaseFinalising: the hash
	// of the image as written and verified.
	DiscDigest []byte
}

// CopyJob is what the pipeline needs to make one disc.
type CopyJob struct {
	JobID   string
	CopyID  string
	TitleID string
	Media   Media
	Keys    *keys.CopyKeys
	// Resume continues this copy on the disc it was cut off writing.
	Resume bool
}

// Pipeline turns a title package into a verified, finalised disc in a drive.
// It calls progress synchronously and must not start a phase before the
// call announcing it returns (the runner journals the phase there); an
// error from progress stops the copy.
type Pipeline interface {
	Copy(ctx context.Context, d Drive, c CopyJob, progress func(Progress) error) (discDigest []byte, err error)
}

// Resumer is a Pipeline that honours CopyJob.Resume: it continues a copy
// on the BD-R it was cut off writing, from the next writable address.
type Resumer interface {
	ResumesWrites() bool
}

// PackageChecker is a Pipeline that can check a title's package against a
// blank before the token is spent (see BurnPipeline.CheckPackage). An
// error wraps ErrTitlePackage, ErrNoRoom or ErrWrongMedia.
type PackageChecker interface {
	CheckPackage(ctx context.Context, titleID string, m Media) error
}

// Errors the daemon returns to API callers.
var (
	// ErrTitlePackage: the title's package is missing or damaged; the job
	// fails before the spend, so the token stays unspent.
	ErrTitlePackage = errors.New("the title package is missing or damaged (copy it to the titles directory again; the token was not spent)")
	// ErrNoRoom: the title does not fit on the blank; the token was not
	// spent.
	ErrNoRoom = errors.New("the title does not fit on the blank (load a larger blank; the token was not spent)")
	// ErrWrongMedia: the blank is not a kind a copy is written to.
	ErrWrongMedia = errors.New("the blank is not a BD-R or BD-RE a copy can be written to (the token was not spent)")
	ErrNoBlank    = errors.New("the disc in the drive is not a usable blank")
	// ErrNoMediaID: the drive holds a blank but gives no media ID, so no
	// copy can be bound to the disc; another blank in the same drive will
	// not help.
	ErrNoMediaID = errors.New("the drive gives no media ID for the blank (a real drive needs AACS bus authentication for READ DISC STRUCTURE 86h)")
	// ErrNoUsableBlank: the robot failed to put a usable blank in the drive
	// several times in a row; the job fails rather than empty the bin.
	ErrNoUsableBlank = errors.New("the robot could not load a usable blank; check the drive and the robot")
	ErrUnknownJob    = errors.New("no such job")
	ErrBadRequest    = errors.New("bad request")
	ErrInterrupted   = errors.New("the burn was interrupted (daemon restart or power loss) before the disc was verified")
	// ErrNoRetry marks a pipeline failure another blank cannot cure (a
	// damaged title package): the job fails after reporting the spoil.
	ErrNoRetry = errors.New("no retry can help")
)

// Verifier is a Pipeline that can check a copy already on the disc, for a
// job whose daemon died after the write (verifying or finalising): it
// verifies the disc again and returns the disc digest Copy would have.
// Any error but the context's spoils the disc, as in Copy.
type Verifier interface {
	Verify(ctx context.Context, d Drive, c CopyJob, progress func(Progress) error) (discDigest []byte, err error)
}
