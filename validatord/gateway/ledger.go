package gateway

import (
	"context"
	"errors"

	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
)

// StationInfo is a station's enrollment as the ledger records it.
type StationInfo struct {
	ID              string
	SigningKey      []byte // SEC1 P-256
	KeyAgreementKey []byte // SEC1 P-256
	Revoked         bool
}

// Receipt locates a committed transaction.
type Receipt struct {
	Height uint64
	TxHash []byte
}

// Release is the sealed copy keys for one request.
type Release struct {
	Sealed []byte
	Format keys.FormatMetadata
}

// Ledger is what the gateway needs from its validation node. Refusals are
// errors matching a contract.Code (errors.As); ErrStationNotFound for an
// unknown station.
type Ledger interface {
	// Station looks up an enrolled station by ID.
	Station(ctx context.Context, id string) (*StationInfo, error)
	// Spend submits the station's signed request and waits until the spend
	// is committed (or refused).
	Spend(ctx context.Context, stationKey []byte, req *protocol.CopyRequest, sig []byte) (Receipt, error)
	// ReleaseKeys seals the copy keys of a committed spend to the station's
	// key-agreement key, bound to info. The same job gives the same keys on
	// every node.
	ReleaseKeys(ctx context.Context, stationID string, info keys.Info) (*Release, error)
	// Report submits the station's signed copy report and waits for commit.
	Report(ctx context.Context, stationKey []byte, rep *protocol.CopyReport, sig []byte) (Receipt, error)
}

// ErrStationNotFound is what Ledger.Station returns for an unknown station.
var ErrStationNotFound = errors.New("station not enrolled")

// contractCodes maps the contract's refusals to the protocol's.
var contractCodes = map[contract.Code]protocol.Code{
	contract.CodeBadEncoding:      protocol.CodeBadRequest,
	contract.CodeBadField:         protocol.CodeBadRequest,
	contract.CodeBadSignature:     protocol.CodeBadSignature,
	contract.CodeUnknownStation:   protocol.CodeStationUnknown,
	contract.CodeStationRevoked:   protocol.CodeStationRevoked,
	contract.CodeUnknownToken:     protocol.CodeTokenUnknown,
	contract.CodeNotOwner:         protocol.CodeNotOwner,
	contract.CodeTokenSpent:       protocol.CodeTokenSpent,
	contract.CodeTitleMismatch:    protocol.CodeTitleMismatch,
	contract.CodeUnknownTitle:     protocol.CodeTitleMismatch,
	contract.CodeFormatNotAllowed: protocol.CodeFormatNotAllowed,
	contract.CodeChallengeExpired: protocol.CodeChallengeExpired,
	contract.CodeBadGrant:         protocol.CodeBadGrant,
	contract.CodeGrantMismatch:    protocol.CodeGrantMismatch,
	contract.CodeGrantExpired:     protocol.CodeGrantExpired,
	contract.CodeJobConflict:      protocol.CodeJobMismatch,
	contract.CodeAttemptPending:   protocol.CodeAttemptPending,
	contract.CodeCopyMade:         protocol.CodeCopyMade,
	contract.CodeRetriesExhausted: protocol.CodeRetriesExhausted,
	contract.CodeUnknownCopy:      protocol.CodeCopyUnknown,
	contract.CodeReportMismatch:   protocol.CodeReportMismatch,
	contract.CodeAlreadyReported:  protocol.CodeAlreadyReported,
}

// refusalCode classifies a ledger error: a contract refusal keeps its
// meaning; anything else (timeout, lost consensus) is CodeUnavailable, so
// the station tries another node.
func refusalCode(err error) protocol.Code {
	if errors.Is(err, ErrStationNotFound) {
		return protocol.CodeStationUnknown
	}
	var c contract.Code
	if errors.As(err, &c) {
		if pc, ok := contractCodes[c]; ok {
			return pc
		}
		return protocol.CodeBadRequest
	}
	return protocol.CodeUnavailable
}
