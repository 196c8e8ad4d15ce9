package protocol

// Code is a refusal's reason. Values are fixed by docs/protocol.md; a station
// maps each to an error it can show a person.
type Code uint16

// Refusal codes.
const (
	CodeBadRequest       Code = 1  // malformed or out-of-order message
	CodeBadSignature     Code = 2  // the station's signature does not verify on this channel
	CodeChallengeExpired Code = 3  // the request arrived after the challenge expired
	CodeStationUnknown   Code = 4  // the station is not enrolled
	CodeStationRevoked   Code = 5  // the station's enrollment was revoked
	CodeTokenUnknown     Code = 6  // no such token
	CodeTokenSpent       Code = 7  // the token was spent by another job
	CodeNotOwner         Code = 8  // the signer does not own the token
	CodeTitleMismatch    Code = 9  // the token is for another title
	CodeFormatNotAllowed Code = 10 // the station or title does not allow this disc profile
	CodeGrantExpired     Code = 11 // the customer's authorisation has expired
	CodeGrantMismatch    Code = 12 // the customer's authorisation names another token, station or title
	CodeRetriesExhausted Code = 13 // too many spoiled copies under this spend
	CodeJobMismatch      Code = 14 // the job ID is already used for another token or disc
	CodeCopyUnknown      Code = 15 // a report for a job with no spend
	CodeUnavailable      Code = 16 // the node cannot reach consensus now; try another node
	CodeInternal         Code = 17 // the node failed; try another node
	CodeBadGrant         Code = 18 // the customer's authorisation is malformed
	CodeAttemptPending   Code = 19 // the job's current disc is not reported yet
	CodeCopyMade         Code = 20 // the job's copy was already made
	CodeReportMismatch   Code = 21 // the report names another disc than the job's current one
	CodeAlreadyReported  Code = 22 // the job's current disc was already reported otherwise
	CodeAttemptMismatch  Code = 23 // the request names another attempt (or closing report) than the job's next
	CodeSpoilBudget      Code = 24 // the station's spoiled-disc budget for the period is used up
	CodeBadSigma         Code = 25 // the key request's group signature is not the network's on this copy
	// CodeTitlePartials: the key request relays too few valid partials on
	// a traced title's tracing label for this node to derive the copy's
	// Tardos codeword (48: the tracing range, apart from the others).
	CodeTitlePartials Code = 48
)

var codeNames = map[Code]string{
	CodeBadRequest:       "bad request",
	CodeBadSignature:     "bad signature",
	CodeChallengeExpired: "challenge expired",
	CodeStationUnknown:   "station not enrolled",
	CodeStationRevoked:   "station revoked",
	CodeTokenUnknown:     "token unknown",
	CodeTokenSpent:       "token already spent",
	CodeNotOwner:         "not the token's owner",
	CodeTitleMismatch:    "title mismatch",
	CodeFormatNotAllowed: "format not allowed",
	CodeGrantExpired:     "customer authorisation expired",
	CodeGrantMismatch:    "customer authorisation for another token, station or title",
	CodeRetriesExhausted: "spoiled-copy retries exhausted",
	CodeJobMismatch:      "job ID reused",
	CodeCopyUnknown:      "copy unknown",
	CodeUnavailable:      "node unavailable",
	CodeInternal:         "node internal error",
	CodeBadGrant:         "customer authorisation malformed",
	CodeAttemptPending:   "previous disc not reported",
	CodeCopyMade:         "copy already made",
	CodeReportMismatch:   "report names another disc",
	CodeAlreadyReported:  "already reported",
	CodeAttemptMismatch:  "attempt mismatch",
	CodeSpoilBudget:      "spoil budget exhausted",
	CodeBadSigma:         "group signature does not verify",
	CodeTitlePartials:    "too few title partials",
}

// Known reports whether c is a defined code.
func (c Code) Known() bool { _, ok := codeNames[c]; return ok }

func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return "unknown code"
}

// Transient reports whether another node (or a later attempt) may answer
// differently, so a station should fail over rather than give up.
func (c Code) Transient() bool {
	return c == CodeUnavailable || c == CodeInternal || c == CodeChallengeExpired ||
		c == CodeTitlePartials // another node may hold the title's biases already
}
