package contract

import (
	"slices"

	"copystation/protocol"
	"copystation/tracing/tardos"
)

// Tracing transactions (docs/tracing.md, "Opening and accusing"). Their
// numbers sit apart from the others' so parallel work does not collide.
const (
	// TxOpenRequest: the title's issuer or the arbiter commits a leak's
	// decisions and names the copies whose codewords t nodes are to open.
	TxOpenRequest TxType = 20
	// TxAccuse: the requester presents the opened signatures; the ledger
	// recomputes the scores and records the copies above the threshold.
	TxAccuse TxType = 21
)

// Bounds of the tracing transactions (the 64 KiB transaction limit binds
// first: about 1,500 job IDs of 40 characters per request).
const (
	MaxOpenJobs    = 4096
	MaxAccusedCopy = 64
)

func keyOpening(id string) string    { return "r/" + id }
func keyOpened(job string) string    { return "ro/" + job }
func keyAccusation(id string) string { return "a/" + id }

// OpenRequestBody is TxOpenRequest's body.
type OpenRequestBody struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Decisions are the leak's, tardos.Decisions encoding, one per segment
	// of the title: committed before any codeword is opened, so the
	// requester cannot fit them to a copy it has seen opened.
	Decisions []byte   `json:"decisions"`
	Jobs      []string `json:"jobs"`
	// SealTo is the requester's X25519 public key the nodes seal their
	// partial signatures to.
	SealTo []byte `json:"seal_to"`
}

// Opening is a recorded TxOpenRequest: each node answers it, once it is
// final on its own ledger, with its partials on the title's tracing label
// and each job's copy label.
type Opening struct {
	OpenRequestBody
	Requester string `json:"requester"` // KeyID of the signer
	Height    int64  `json:"height"`
	Time      int64  `json:"time"`
}

// OpenedCopy is one copy's opened σ_copy in an accusation.
type OpenedCopy struct {
	Job   string `json:"job"`
	Sigma []byte `json:"sigma"` // 48 bytes, compressed G1
}

// AccuseBody is TxAccuse's body.
type AccuseBody struct {
	Opening    string       `json:"opening"`
	TitleSigma []byte       `json:"title_sigma"`
	Copies     []OpenedCopy `json:"copies"`
}

// AccusedCopy is one accused copy as recorded, scores in Q32.
type AccusedCopy struct {
	Job     string `json:"job"`
	Token   string `json:"token"`
	Station string `json:"station"`
	Sigma   []byte `json:"sigma"`
	Score   int64  `json:"score"`
}

// Accusation is a recorded TxAccuse: its evidence (the opening's decisions,
// σ_title, each σ_copy) and the ledger's recomputed scores, so anyone can
// re-verify it from the ledger alone.
type Accusation struct {
	Opening    string        `json:"opening"`
	Title      string        `json:"title"`
	Accuser    string        `json:"accuser"`
	TitleSigma []byte        `json:"title_sigma"`
	Threshold  int64         `json:"threshold"` // Q32
	Accused    []AccusedCopy `json:"accused"`
	Height     int64         `json:"height"`
}

// tracer checks that the signer may trace the title: its issuer, or the
// arbiter named in the genesis parameters.
func (e *execEnv) tracer(v *view, t *Tx, ti *Title) (*refusal, error) {
	id := protocol.KeyID(t.Signer)
	if id == ti.Issuer {
		return nil, nil
	}
	var p Params
	if _, err := v.getJSON(keyParams, &p); err != nil {
		return nil, err
	}
	if len(p.Arbiter) != 0 && protocol.KeyID(p.Arbiter) == id {
		return nil, nil
	}
	return refuse(CodeNotIssuer, "signer %s is neither title %s's issuer nor the arbiter", id, ti.ID), nil
}

func (e *execEnv) openRequest(v *view, t *Tx) (*refusal, error) {
	var b OpenRequestBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	if r := checkID("opening ID", b.ID); r != nil {
		return r, nil
	}
	var ti Title
	if found, err := v.getJSON(keyTitle(b.Title), &ti); err != nil || !found {
		return refuse(CodeUnknownTitle, "title %q", b.Title), err
	}
	if r, err := e.tracer(v, t, &ti); r != nil || err != nil {
		return r, err
	}
	if ti.Tracing == nil {
		return refuse(CodeBadField, "title %s was registered without tracing parameters", ti.ID), nil
	}
	d, err := tardos.ParseDecisions(b.Decisions)
	if err != nil || len(d) != len(ti.Segments) {
		return refuse(CodeBadField, "decisions: want %d segments' (%v)", len(ti.Segments), err), nil
	}
	if len(b.SealTo) != 32 {
		return refuse(CodeBadField, "seal_to is %d bytes, want an X25519 key of 32", len(b.SealTo)), nil
	}
	if len(b.Jobs) == 0 || len(b.Jobs) > MaxOpenJobs {
		return refuse(CodeBadField, "%d jobs, want 1 to %d", len(b.Jobs), MaxOpenJobs), nil
	}
	for i, j := range b.Jobs {
		var c Copy
		if found, err := v.getJSON(keyCopy(j), &c); err != nil || !found || c.Title != ti.ID {
			return refuse(CodeUnknownCopy, "job %q is not a copy of title %s", j, ti.ID), err
		}
		if slices.Contains(b.Jobs[:i], j) {
			return refuse(CodeBadField, "job %q named twice", j), nil
		}
		// A copy is opened once: its codeword is then known to the
		// requester, and decisions committed later could be fitted to it.
		if p, err := v.get(keyOpened(j)); err != nil || p != nil {
			return refuse(CodeBadField, "copy %s was opened by an earlier request (%s): a copy is opened once, so no decisions can be fitted to a codeword already known", j, p), err
		}
	}
	if p, err := v.get(keyOpening(b.ID)); err != nil || p != nil {
		return refuse(CodeBadField, "opening %s already exists", b.ID), err
	}
	for _, j := range b.Jobs {
		v.put(keyOpened(j), []byte(b.ID))
	}
	return nil, v.putJSON(keyOpening(b.ID), Opening{OpenRequestBody: b, Requester: protocol.KeyID(t.Signer), Height: e.height, Time: e.time})
}
