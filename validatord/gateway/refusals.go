package gateway

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"copystation/protocol"
	"copystation/validatord/keyservice"
	"copystation/validatord/ledger"
)

// subject is what the asking station itself sent: the only facts a
// refusal's text may repeat. What the ledger knows beyond them (who owns a
// token, which job spent it, which disc a job is on, why a station was
// revoked) belongs to other stations and customers, and stays in the
// node's log.
type subject struct {
	station, job, token, title string
	profile                    uint16
}

// ledgerText is the station's text for each code the ledger answers with.
var ledgerText = map[protocol.Code]func(s subject) string{
	protocol.CodeBadRequest: func(s subject) string {
		return fmt.Sprintf("the ledger refused a field of job %q as malformed; fix the request", s.job)
	},
	protocol.CodeBadSignature: func(s subject) string {
		return "the ledger did not accept the station's signature"
	},
	protocol.CodeChallengeExpired: func(s subject) string {
		return "the challenge expired before the spend was committed; connect again for a new challenge"
	},
	protocol.CodeStationUnknown: func(s subject) string {
		return fmt.Sprintf("station %q is not enrolled with this key; ask the operator to enroll it", s.station)
	},
	protocol.CodeStationRevoked: func(s subject) string {
		return fmt.Sprintf("station %q is revoked; ask the operator", s.station)
	},
	protocol.CodeTokenUnknown: func(s subject) string { return fmt.Sprintf("there is no token %q", s.token) },
	protocol.CodeTokenSpent: func(s subject) string {
		return fmt.Sprintf("token %q was already spent by a job other than %q; it makes no more copies", s.token, s.job)
	},
	protocol.CodeNotOwner: func(s subject) string {
		return fmt.Sprintf("token %q is not this station's, and no customer authorisation signed by its owner came with the request", s.token)
	},
	protocol.CodeTitleMismatch: func(s subject) string {
		return fmt.Sprintf("token %q is not for title %q", s.token, s.title)
	},
	protocol.CodeFormatNotAllowed: func(s subject) string {
		return fmt.Sprintf("disc profile %#x is not allowed for this station or title %q", s.profile, s.title)
	},
	protocol.CodeGrantExpired: func(s subject) string {
		return "the customer's authorisation has expired; ask the customer for a new one"
	},
	protocol.CodeGrantMismatch: func(s subject) string {
		return fmt.Sprintf("the customer's authorisation is not for token %q, this station and title %q", s.token, s.title)
	},
	protocol.CodeBadGrant: func(s subject) string {
		return "the customer's authorisation is malformed, or was given for a token this station owns"
	},
	protocol.CodeRetriesExhausted: func(s subject) string {
		return fmt.Sprintf("job %q has used all its retries for spoiled discs", s.job)
	},
	protocol.CodeJobMismatch: func(s subject) string {
		return fmt.Sprintf("job ID %q is already used for another token, station, profile or disc; use a new job ID", s.job)
	},
	protocol.CodeCopyUnknown: func(s subject) string {
		return fmt.Sprintf("no spend is recorded for job %q", s.job)
	},
	protocol.CodeAttemptPending: func(s subject) string {
		return fmt.Sprintf("job %q's current disc is not reported yet; report it spoiled before asking for another disc", s.job)
	},
	protocol.CodeCopyMade: func(s subject) string { return fmt.Sprintf("job %q's copy was already made", s.job) },
	protocol.CodeReportMismatch: func(s subject) string {
		return fmt.Sprintf("the report names another disc than job %q's current one", s.job)
	},
	protocol.CodeAlreadyReported: func(s subject) string {
		return fmt.Sprintf("job %q's current disc was already reported", s.job)
	},
	protocol.CodeBadSigma: func(s subject) string {
		return fmt.Sprintf("the group signature sent for job %q is not the network's signature on this copy; combine it again from the nodes' partials", s.job)
	},
	protocol.CodeAttemptMismatch: func(s subject) string {
		return fmt.Sprintf("the request names another attempt than job %q's pending one", s.job)
	},
	protocol.CodeUnavailable: func(s subject) string {
		return "the node cannot reach consensus now; try another node with the same job ID"
	},
}

// ledgerRefusal answers a ledger error with its code and the text for that
// code; the error itself (with the ledger's detail) is for the node's log.
func ledgerRefusal(err error, s subject) *protocol.RefusalMsg {
	code := refusalCode(err)
	// A node outside the custody epoch in force is otherwise well: another
	// node can release the keys, so the station retries elsewhere as for an
	// unavailable node, but is told why rather than "no consensus".
	if errors.Is(err, keyservice.ErrNotInEpoch) {
		return refusal(code, "this node holds no share of the network's current custody epoch, so it cannot release copy keys; try another node with the same job ID")
	}
	// the contract's account of a malformed request is about the request's
	// own fields only, and the station needs it to fix the request
	var re *ledger.RefusalError
	if code == protocol.CodeBadRequest && errors.As(err, &re) {
		return refusal(code, "the ledger refused job %q as malformed: %s", s.job, re.Log)
	}
	text, ok := ledgerText[code]
	if !ok {
		return refusal(code, "the ledger refused the request")
	}
	return refusal(code, "%s", text(s))
}

func refusal(code protocol.Code, format string, args ...any) *protocol.RefusalMsg {
	return &protocol.RefusalMsg{Code: code, Message: printable(fmt.Sprintf(format, args...), protocol.MaxMessageLen)}
}

// printable makes s a valid refusal message that shows what it says: UTF-8
// without control or format characters (a bidirectional override in an ID
// would reorder the station's display), at most max bytes, cut on a
// character boundary (the station's decoder refuses anything else, and
// would lose the reason). IDs are quoted with %q where they are put in, so
// such characters in them show as escapes rather than spaces.
func printable(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	for len(s) > max {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}
