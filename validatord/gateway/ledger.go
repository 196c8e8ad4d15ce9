package gateway

import (
	"errors"

	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
	"copystation/validatord/ledger"
)

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
	contract.CodeReportReplayed:   protocol.CodeAlreadyReported,
	contract.CodeWrongChain:       protocol.CodeBadSignature,
	contract.CodeAttemptMismatch:  protocol.CodeAttemptMismatch,
	contract.CodeSpoilBudget:      protocol.CodeSpoilBudget,
}

// refusalCode classifies a ledger error: a contract refusal keeps its
// meaning; anything else (deadline, node catching up or stopping) is
// CodeUnavailable, so the station retries, at another node, with the same
// job ID.
func refusalCode(err error) protocol.Code {
	if errors.Is(err, ledger.ErrStationNotFound) {
		return protocol.CodeStationUnknown
	}
	if errors.Is(err, keyservice.ErrBadSigma) {
		return protocol.CodeBadSigma
	}
	if errors.Is(err, keyservice.ErrTitlePartials) {
		return protocol.CodeTitlePartials
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
