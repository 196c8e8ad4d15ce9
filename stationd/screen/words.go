package screen

import (
	"errors"
	"strings"

	"copystation/grantcode"
	"copystation/stationd/api"
	"copystation/stationd/job"
)

// Refusal is what a customer reads when a copy cannot be made: what
// happened and what to do next, without the ledger's jargon.
type Refusal struct {
	Title string // a headline
	What  string // what to do next
	Code  string // the station's code, for staff
}

// refusals maps the daemon's job codes (stationd/daemon/ledger.go and the
// media checks) to a customer's words.
var refusals = map[string]Refusal{
	"token_spent":        {"This token has already been used", "Each copy token makes one disc, and this one has made its copy. Open your wallet to choose another token.", ""},
	"grant_expired":      {"The code has expired", "Codes are valid for a few minutes only. Ask your phone for a new code and scan it again.", ""},
	"grant_mismatch":     {"This code is for another station or film", "Make a new code in your wallet for this station and this film, then scan it again.", ""},
	"bad_grant":          {"The code could not be read", "Ask your phone for a new code and scan it again.", ""},
	"not_owner":          {"This code was not signed by the token's owner", "Make the code from the wallet that holds the token, then scan it again.", ""},
	"token_unknown":      {"The token is not known", "Check in your wallet that the token is yours, then make a new code.", ""},
	"title_mismatch":     {"This token is for another film", "Choose the film your token is for, or use another token.", ""},
	"station_revoked":    {"This station cannot make copies now", "Staff have been called. Your token has not been used.", ""},
	"station_unknown":    {"This station cannot make copies now", "Staff have been called. Your token has not been used.", ""},
	"format_not_allowed": {"This station cannot make this kind of disc", "Ask staff which station can make your copy. Your token has not been used.", ""},
	"retries_exhausted":  {"The station could not make a good disc", "Staff have been called. Your token's copy is recorded as not made, so staff can help you make it.", ""},
	"title_package":      {"This film cannot be copied here now", "Staff have been called. Your token has not been used.", ""},
	"no_room":            {"The blank disc is too small for this film", "Staff have been called. Your token has not been used.", ""},
	"wrong_media":        {"The blank disc is of the wrong kind", "Staff have been called. Your token has not been used.", ""},
}

// refusalOf is the refusal for a station code, with the code filled in
// (the table leaves it out to stay readable).
func refusalOf(code string) Refusal {
	r, ok := refusals[code]
	if !ok {
		r = Refusal{"The copy could not be made", "Staff have been called and can help you.", ""}
	}
	r.Code = code
	return r
}

// refusalFor says why a job failed, in a customer's words.
func refusalFor(j *api.Job) Refusal {
	if j.Cancel {
		return Refusal{"The copy was stopped", "Staff stopped this copy. Ask them for help; if the token was used, the ledger records the copy as not made.", "cancelled"}
	}
	return refusalOf(j.Code)
}

// refusalForCode says why a scanned code was not taken.
func refusalForCode(err error) Refusal {
	switch {
	case errors.Is(err, grantcode.ErrNotGrant):
		return Refusal{"That is not a copy code", "Open your wallet, choose the token and show its copy code (a QR code) to the scanner.", "not_grant"}
	case errors.Is(err, grantcode.ErrTooLong), errors.Is(err, grantcode.ErrDamaged):
		return Refusal{"The code was not read whole", "Hold your phone still in front of the scanner and scan again.", "damaged"}
	}
	return Refusal{"The code could not be read", "Scan it again.", "unreadable"}
}

// phases names a job's state as a customer sees it.
var phases = map[job.State]string{
	job.Queued:      "Waiting for a free drive",
	job.MediaCheck:  "Loading a blank disc",
	job.Authorising: "Checking your token with the ledger",
	job.Authorised:  "Your copy is authorised",
	job.Writing:     "Writing your disc",
	job.Verifying:   "Checking every part of the disc",
	job.Finalising:  "Finishing the disc",
	job.Reporting:   "Recording your copy on the ledger",
	job.Done:        "Your disc is ready",
	job.Spoiled:     "That blank was faulty: starting again on a new one",
	job.Failed:      "The copy could not be made",
}

// waitingWords turns the daemon's reason for holding a job into a
// customer's words; staff see the daemon's own.
func waitingWords(reason string, st *api.Status) string {
	l := strings.ToLower(reason)
	switch {
	case st != nil && st.Robot != nil && st.Robot.Input == 0, strings.Contains(l, "input bin empty"), strings.Contains(l, "insert a blank"):
		return "Out of blank discs: staff have been called. Your copy starts as soon as blanks are loaded; your token has not been used yet."
	case strings.Contains(l, "jam"):
		return "The disc robot needs attention: staff have been called."
	case strings.Contains(l, "tamper"):
		return "The station is closed for service: staff have been called."
	case strings.Contains(l, "door"):
		return "Waiting for the station's door to be closed."
	case strings.Contains(l, "node") || strings.Contains(l, "ledger"):
		return "Waiting for the ledger to answer. This can take a moment; your token is safe."
	case reason != "":
		return "Please wait: the station is getting ready."
	}
	return ""
}
