package ledgerclient

import (
	"errors"
	"fmt"

	"copystation/protocol"
)

// Errors a station can show a person. A node's refusal matches one of these
// with errors.Is; the wrapped *RefusalError carries the node's own words.
var (
	ErrTokenSpent       = errors.New("this copy token has already been used for another copy")
	ErrTokenUnknown     = errors.New("this copy token does not exist; check the token ID")
	ErrNotOwner         = errors.New("the copy token belongs to someone else; its owner must authorise the copy")
	ErrStationUnknown   = errors.New("this station is not enrolled; ask the operator to enroll it")
	ErrStationRevoked   = errors.New("this station has been revoked and may not make copies; contact the operator")
	ErrTitleMismatch    = errors.New("the copy token is for a different title")
	ErrFormatNotAllowed = errors.New("this disc format is not allowed for this station or title; use another blank")
	ErrChallengeExpired = errors.New("the validation node's challenge expired; try again")
	ErrGrantExpired     = errors.New("the customer's authorisation has expired; the customer must authorise again")
	ErrGrantMismatch    = errors.New("the customer's authorisation is for another token, station or title")
	ErrBadGrant         = errors.New("the customer's authorisation could not be read; scan it again")
	ErrRetriesExhausted = errors.New("this copy has been retried too often; contact the operator")
	ErrJobConflict      = errors.New("this job ID is already used for another token or disc; start a new job")
	ErrAttemptPending   = errors.New("the previous disc of this job is not reported yet; report it spoiled first")
	ErrCopyMade         = errors.New("the copy for this job was already made")
	ErrCopyUnknown      = errors.New("no copy is recorded for this job")
	ErrReportMismatch   = errors.New("the report names another disc than the one authorised")
	ErrAlreadyReported  = errors.New("this disc was already reported")
	ErrAttemptMismatch  = errors.New("the ledger records this job at another attempt than the station asked for; the request was stale or replayed")
	ErrSpoilBudget      = errors.New("this station has reported more spoiled discs than the network allows for now; no retry until the operator raises the limit or the period ends")
	ErrWrongChain       = errors.New("the validation node serves another ledger network (chain ID) than this station is configured for; check the node list")
	ErrRefused          = errors.New("the validation node refused the request")
	ErrNoNodeReachable  = errors.New("no validation node could be reached; check the network and try again")
	ErrNodeMisbehaved   = errors.New("a validation node sent an answer that does not verify")
	ErrKeysDoNotOpen    = errors.New("the copy keys do not open with this station's key")
	// ErrWrongPartial names a node whose partial signature on the copy
	// label does not verify against the pinned custody group: the node is
	// faulty or hostile, and its operator should be told. Another node is
	// asked instead.
	ErrWrongPartial = errors.New("a validation node's partial signature on the copy does not verify against the network's custody group")
	// ErrNoThreshold: fewer than t nodes gave a valid partial, so the
	// copy's keys cannot be released now; try again when more nodes are up.
	ErrNoThreshold = errors.New("fewer validation nodes than the network's threshold gave a valid partial signature; try again when more nodes are reachable")
	// ErrBadSigma: a node refused the copy's group signature, which this
	// station verified against its pinned group; the node's group differs.
	ErrBadSigma         = errors.New("a validation node refused the copy's group signature; its custody group differs from the one pinned at enrollment")
	ErrBadConfig        = errors.New("invalid ledger client configuration")
	ErrBadRequestParams = errors.New("invalid copy request")
	errTransientRefusal = errors.New("transient refusal")
)

var codeErrors = map[protocol.Code]error{
	protocol.CodeTokenSpent:       ErrTokenSpent,
	protocol.CodeTokenUnknown:     ErrTokenUnknown,
	protocol.CodeNotOwner:         ErrNotOwner,
	protocol.CodeStationUnknown:   ErrStationUnknown,
	protocol.CodeStationRevoked:   ErrStationRevoked,
	protocol.CodeTitleMismatch:    ErrTitleMismatch,
	protocol.CodeFormatNotAllowed: ErrFormatNotAllowed,
	protocol.CodeChallengeExpired: ErrChallengeExpired,
	protocol.CodeGrantExpired:     ErrGrantExpired,
	protocol.CodeGrantMismatch:    ErrGrantMismatch,
	protocol.CodeBadGrant:         ErrBadGrant,
	protocol.CodeRetriesExhausted: ErrRetriesExhausted,
	protocol.CodeJobMismatch:      ErrJobConflict,
	protocol.CodeAttemptPending:   ErrAttemptPending,
	protocol.CodeCopyMade:         ErrCopyMade,
	protocol.CodeCopyUnknown:      ErrCopyUnknown,
	protocol.CodeReportMismatch:   ErrReportMismatch,
	protocol.CodeAlreadyReported:  ErrAlreadyReported,
	protocol.CodeAttemptMismatch:  ErrAttemptMismatch,
	protocol.CodeSpoilBudget:      ErrSpoilBudget,
	protocol.CodeBadSigma:         ErrBadSigma,
}

// RefusalError is a node's refusal.
type RefusalError struct {
	NodeID  string
	Code    protocol.Code
	Message string
}

func (e *RefusalError) Error() string {
	return fmt.Sprintf("node %s refused: %s (%s)", e.NodeID, e.Code, e.Message)
}

// Is matches the sentinel for the refusal's code, and ErrRefused for all.
func (e *RefusalError) Is(target error) bool {
	if target == ErrRefused {
		return true
	}
	if target == errTransientRefusal {
		return e.Code.Transient()
	}
	s, ok := codeErrors[e.Code]
	return ok && s == target
}
