package contract

import "fmt"

// Code is the result code of a transaction, as CometBFT reports it. A Code
// other than OK is an error a person can act on; callers test for one with
// errors.Is(err, contract.CodeTokenSpent).
type Code uint32

// Result codes. Values are part of the ledger's history: never renumber.
const (
	OK                   Code = 0
	CodeBadEncoding      Code = 1
	CodeBadSignature     Code = 2
	CodeBadNonce         Code = 3
	CodeNotOperator      Code = 4
	CodeNotIssuer        Code = 5
	CodeUnknownTitle     Code = 6
	CodeTitleExists      Code = 7
	CodeUnknownStation   Code = 8
	CodeStationExists    Code = 9
	CodeStationRevoked   Code = 10
	CodeUnknownToken     Code = 11
	CodeTokenExists      Code = 12
	CodeNotOwner         Code = 13
	CodeTokenSpent       Code = 14
	CodeTitleMismatch    Code = 15
	CodeFormatNotAllowed Code = 16
	CodeChallengeExpired Code = 17
	CodeBadGrant         Code = 18
	CodeGrantMismatch    Code = 19
	CodeGrantExpired     Code = 20
	CodeJobConflict      Code = 21
	CodeAttemptPending   Code = 22
	CodeCopyMade         Code = 23
	CodeRetriesExhausted Code = 24
	CodeUnknownCopy      Code = 25
	CodeReportMismatch   Code = 26
	CodeAlreadyReported  Code = 27
	CodeBadField         Code = 28
	CodeIssuerExists     Code = 29
	CodeUnknownTxType    Code = 30
	CodeNotFound         Code = 31
	CodeReportReplayed   Code = 32
	CodeWrongChain       Code = 33
	CodeAttemptMismatch  Code = 34
	CodeSpoilBudget      Code = 35
	CodeBadDeal          Code = 36
	CodePlayerExists     Code = 37
	CodeUnknownPlayer    Code = 38
	CodePlayerRevoked    Code = 39
	CodeNotAccused       Code = 40
	CodeOwnerExists      Code = 41
	CodeBadOwnerProof    Code = 42
	CodeBadOwnerKey      Code = 43
)

// codeInfo names each code and says what to do about it.
var codeInfo = []struct {
	code Code
	name string
	msg  string
}{
	{OK, "ok", "accepted"},
	{CodeBadEncoding, "bad-encoding", "the transaction is not a valid encoding; rebuild it with a current client"},
	{CodeBadSignature, "bad-signature", "the signature does not verify with the key presented; sign again with the right key"},
	{CodeBadNonce, "bad-nonce", "this nonce was already used by the signer; sign again with a fresh nonce"},
	{CodeNotOperator, "not-operator", "the signer is not an operator in the genesis; use an operator key"},
	{CodeNotIssuer, "not-issuer", "the signer is not the issuer of this title; use the issuer's key"},
	{CodeUnknownTitle, "unknown-title", "no such title is registered; register the title first"},
	{CodeTitleExists, "title-exists", "a title with this ID is already registered; choose another ID"},
	{CodeUnknownStation, "unknown-station", "the station is not enrolled; enroll it with 'validatord station enroll'"},
	{CodeStationExists, "station-exists", "this station is already enrolled"},
	{CodeStationRevoked, "station-revoked", "the station has been revoked and may not copy; contact the operator"},
	{CodeUnknownToken, "unknown-token", "no such token exists; check the token ID"},
	{CodeTokenExists, "token-exists", "a token with this ID already exists; choose another ID"},
	{CodeNotOwner, "not-owner", "the token belongs to someone else; the owner must sign"},
	{CodeTokenSpent, "token-spent", "the token has already been spent for another copy"},
	{CodeTitleMismatch, "title-mismatch", "the token is for a different title"},
	{CodeFormatNotAllowed, "format-not-allowed", "this disc format is not allowed for this station or title; use another blank"},
	{CodeChallengeExpired, "challenge-expired", "the node's challenge expired before the spend was committed; ask again"},
	{CodeBadGrant, "bad-grant", "the customer authorisation is malformed; scan it again"},
	{CodeGrantMismatch, "grant-mismatch", "the customer authorisation is for another token, station or title"},
	{CodeGrantExpired, "grant-expired", "the customer authorisation has expired; the customer must authorise again"},
	{CodeJobConflict, "job-conflict", "this job ID is already used for another token or station; use a fresh job ID"},
	{CodeAttemptPending, "attempt-pending", "the job's current disc is not reported yet; report it spoiled before retrying on another blank"},
	{CodeCopyMade, "copy-made", "the copy for this job was already made; nothing more to do"},
	{CodeRetriesExhausted, "retries-exhausted", "this job has used all its retries; contact the operator"},
	{CodeUnknownCopy, "unknown-copy", "no copy is recorded for this job ID"},
	{CodeReportMismatch, "report-mismatch", "the report names a disc other than the job's current one"},
	{CodeAlreadyReported, "already-reported", "the job's current disc was already reported"},
	{CodeBadField, "bad-field", "a field is empty, too long or out of range; fix it and resubmit"},
	{CodeIssuerExists, "issuer-exists", "this issuer is already registered"},
	{CodeUnknownTxType, "unknown-tx-type", "the transaction type is not known to this contract version"},
	{CodeNotFound, "not-found", "no such record; check the ID"},
	{CodeReportReplayed, "report-replayed", "this signed report is already recorded; a report counts once"},
	{CodeWrongChain, "wrong-chain", "the statement was signed for another network (chain ID); sign it for this network"},
	{CodeAttemptMismatch, "attempt-mismatch", "the spend names another attempt, or another closing report, than the job's next; a replayed or stale request, or the station must re-read its job's record"},
	{CodeSpoilBudget, "spoil-budget", "this station has reported more spoiled discs this period than its operator-set limit allows; no retry until the period ends or the operator raises the limit (see docs/operators.md)"},
	{CodeBadDeal, "bad-deal", "this node's dealt title shares do not open with its custody key or do not match the issuer's root for it: the issuer dealt badly; package and deal the title again against the network's genesis (validatord title package)"},
	{CodePlayerExists, "player-exists", "this leaf of the player tree is already enrolled; enroll the player at another leaf"},
	{CodeUnknownPlayer, "unknown-player", "no player is enrolled at this leaf of this tree; check the tree ID and leaf"},
	{CodePlayerRevoked, "player-revoked", "this player is revoked: no key extraction for it, and it cannot be revoked twice"},
	{CodeNotAccused, "not-accused", "a listed copy's score does not exceed the threshold: the ledger records only copies it can accuse; drop it and resubmit"},
	{CodeOwnerExists, "owner-exists", "this owner key is already registered; nothing more to do (a key is registered once, on each network)"},
	{CodeBadOwnerProof, "bad-owner-proof", "the registration's signature does not prove possession of the owner key for this network; sign the registration statement with the key being registered"},
	{CodeBadOwnerKey, "bad-owner-key", "the owner key is not an uncompressed SEC1 P-256 public key (65 bytes, 0x04, a point on the curve); register the key the wallet shows"},
	{CodeUnknownProposal, "unknown-proposal", "no open validator proposal has this ID (never made, or already passed); check the ID (query /proposal/ID)"},
	{CodeAlreadyVoted, "already-voted", "this operator has already approved the proposal; one approval per operator counts"},
	{CodeNoVotingPower, "no-voting-power", "this operator governs no validator of the current set, so its approval carries no power; an operator of a current validator must vote"},
	{CodeTooFewValidators, "too-few-validators", "the removal would leave fewer than 4 validators (3f+1 with f = 1); add a validator first"},
	{CodeBadEpochSignature, "bad-epoch-signature", "the custody epoch record is not signed by the network's group under its key X, or names another group key; rebuild the record from the resharing and have t new nodes sign it"},
	{CodeStaleEpoch, "stale-epoch", "the custody epoch is not the network's next (current + 1); query /custody-epoch and reshare from the current epoch"},
	{CodeEpochMembership, "epoch-membership", "the new custody set is not the validator set (a joined validator missing, a node that is neither a custody node nor a validator, a node twice, or another count); reshare to the current validator set"},
	{CodeEpochTitle, "epoch-title", "the custody epoch names a title that is not registered, leaves out a registered one, or lacks a new node's sealed shares of one; reshare every registered title and send each title's shares before the record"},
}

// Name is the code's stable short name, for scripts.
func (c Code) Name() string {
	if i := c.info(); i >= 0 {
		return codeInfo[i].name
	}
	return fmt.Sprintf("code-%d", uint32(c))
}

// info finds a code's entry: the table is not indexed by code, because
// codes are reserved in ranges and a range may still be unfilled.
func (c Code) info() int {
	for i := range codeInfo {
		if codeInfo[i].code == c {
			return i
		}
	}
	return -1
}

// Error implements error: the message says what went wrong and what to do.
func (c Code) Error() string {
	if i := c.info(); i >= 0 {
		return codeInfo[i].msg
	}
	return fmt.Sprintf("unknown result code %d; upgrade the client", uint32(c))
}

// refusal is a code with detail, returned by the transaction handlers.
type refusal struct {
	code   Code
	detail string
}

func refuse(c Code, format string, args ...any) *refusal {
	return &refusal{code: c, detail: fmt.Sprintf(format, args...)}
}

func (r *refusal) log() string {
	if r.detail == "" {
		return r.code.Name() + ": " + r.code.Error()
	}
	return r.code.Name() + ": " + r.detail + " (" + r.code.Error() + ")"
}
