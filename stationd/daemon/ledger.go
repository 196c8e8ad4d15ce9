package daemon

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"copystation/ledgerclient"
	"copystation/protocol"
	"copystation/stationd/job"
)

// ClientLedger is the Ledger over the copy-authorisation protocol: a
// ledgerclient talking Noise to the validation nodes.
type ClientLedger struct {
	C *ledgerclient.Client
}

var _ Ledger = ClientLedger{}

// StationID implements Ledger.
func (l ClientLedger) StationID() string { return l.C.StationID() }

// Authorize implements Ledger. A definite refusal becomes a *Refusal with
// the words a person at the station should read; anything transient stays
// an error, and the runner asks again.
//
// The ledger counts attempts from 0 and the job from 1: the job's n-th blank
// is the ledger's attempt n-1, bound to the report that spoiled the one
// before.
func (l ClientLedger) Authorize(ctx context.Context, r AuthRequest) (*Authorization, error) {
	attempt := uint32(max(r.Attempt, 1) - 1)
	if attempt > 0 && len(r.PrevReport) == 0 {
		return nil, &Refusal{Code: "attempt_mismatch", Message: fmt.Sprintf(
			"job %s: the ledger's name for the report that spoiled blank %d is not in the journal, so no retry can be asked for; contact the operator", r.JobID, r.Attempt-1)}
	}
	a, err := l.C.Authorize(ctx, ledgerclient.CopyRequestParams{JobID: r.JobID, TokenID: r.TokenID,
		TitleID: r.TitleID, Profile: r.Profile, MediaID: r.MediaID, Grant: r.Grant,
		Attempt: attempt, PrevReport: r.PrevReport, Manifest: r.Manifest})
	if err != nil {
		return nil, refusal(err)
	}
	return &Authorization{CopyID: r.JobID, Keys: a.Keys,
		Receipt: job.Receipt{Height: int64(a.Receipt.Height), TxHash: hex.EncodeToString(a.Receipt.TxHash)}}, nil
}

// Report implements Ledger. A disc already reported counts as reported:
// after a crash the daemon cannot know whether its last report arrived.
func (l ClientLedger) Report(ctx context.Context, o Outcome) ([]byte, error) {
	p := ledgerclient.ReportParams{JobID: o.JobID, Attempt: uint32(max(o.Attempt, 1) - 1), MediaID: o.MediaID,
		Outcome: protocol.OutcomeSpoiled, DiscDigest: o.DiscDigest, Reason: o.Reason}
	if o.Made {
		p.Outcome = protocol.OutcomeMade
	}
	if len(p.Reason) > 200 {
		p.Reason = p.Reason[:200]
	}
	rc, err := l.C.Report(ctx, p)
	if errors.Is(err, ledgerclient.ErrAlreadyReported) || (o.Made && errors.Is(err, ledgerclient.ErrCopyMade)) {
		return nil, nil
	}
	if err != nil {
		return nil, refusal(err)
	}
	return rc.ReportDigest, nil
}

// personMessages are the client's sentinels, whose text is written for a
// person at the station.
var personMessages = []error{
	ledgerclient.ErrTokenSpent, ledgerclient.ErrTokenUnknown, ledgerclient.ErrNotOwner,
	ledgerclient.ErrStationUnknown, ledgerclient.ErrStationRevoked, ledgerclient.ErrTitleMismatch,
	ledgerclient.ErrFormatNotAllowed, ledgerclient.ErrGrantExpired, ledgerclient.ErrGrantMismatch,
	ledgerclient.ErrBadGrant, ledgerclient.ErrRetriesExhausted, ledgerclient.ErrJobConflict,
	ledgerclient.ErrCopyMade, ledgerclient.ErrCopyUnknown, ledgerclient.ErrReportMismatch,
	ledgerclient.ErrAttemptMismatch, ledgerclient.ErrSpoilBudget,
}

func refusal(err error) error {
	var r *ledgerclient.RefusalError
	if !errors.As(err, &r) || r.Code.Transient() {
		return err
	}
	msg := r.Message
	for _, s := range personMessages {
		if errors.Is(err, s) {
			msg = s.Error()
			break
		}
	}
	code, ok := refusalCodes[r.Code]
	if !ok {
		code = fmt.Sprintf("refused_%d", uint16(r.Code))
	}
	return &Refusal{Code: code, Message: msg}
}

// refusalCodes are the stable codes the API and the CLI's --json output
// carry for the protocol's refusals.
var refusalCodes = map[protocol.Code]string{
	protocol.CodeBadRequest:       "bad_request",
	protocol.CodeBadSignature:     "bad_signature",
	protocol.CodeStationUnknown:   "station_unknown",
	protocol.CodeStationRevoked:   "station_revoked",
	protocol.CodeTokenUnknown:     "token_unknown",
	protocol.CodeTokenSpent:       "token_spent",
	protocol.CodeNotOwner:         "not_owner",
	protocol.CodeTitleMismatch:    "title_mismatch",
	protocol.CodeFormatNotAllowed: "format_not_allowed",
	protocol.CodeGrantExpired:     "grant_expired",
	protocol.CodeGrantMismatch:    "grant_mismatch",
	protocol.CodeRetriesExhausted: "retries_exhausted",
	protocol.CodeJobMismatch:      "job_conflict",
	protocol.CodeCopyUnknown:      "copy_unknown",
	protocol.CodeBadGrant:         "bad_grant",
	protocol.CodeAttemptPending:   "attempt_pending",
	protocol.CodeCopyMade:         "copy_made",
	protocol.CodeReportMismatch:   "report_mismatch",
	protocol.CodeAlreadyReported:  "already_reported",
	protocol.CodeAttemptMismatch:  "attempt_mismatch",
	protocol.CodeSpoilBudget:      "spoil_budget",
}
