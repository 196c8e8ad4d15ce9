package contract

import (
	"slices"
	"strconv"

	"copystation/custody"
	"copystation/protocol"
	"copystation/tracing/accuse"
	"copystation/tracing/tardos"
)

func (e *execEnv) accuse(v *view, t *Tx) (*refusal, error) {
	var b AccuseBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	var op Opening
	if found, err := v.getJSON(keyOpening(b.Opening), &op); err != nil || !found {
		return refuse(CodeNotFound, "opening %q", b.Opening), err
	}
	if protocol.KeyID(t.Signer) != op.Requester {
		return refuse(CodeNotIssuer, "only the opening's requester %s accuses with it", op.Requester), nil
	}
	if p, err := v.get(keyAccusation(op.ID)); err != nil || p != nil {
		return refuse(CodeBadField, "opening %s already led to an accusation", op.ID), err
	}
	if len(b.Copies) == 0 || len(b.Copies) > MaxAccusedCopy {
		return refuse(CodeBadField, "%d copies, want 1 to %d", len(b.Copies), MaxAccusedCopy), nil
	}
	var ti Title
	if _, err := v.getJSON(keyTitle(op.Title), &ti); err != nil {
		return nil, err
	}
	var cust Custody
	if found, err := v.getJSON(keyCustody, &cust); err != nil || !found {
		return refuse(CodeBadField, "this network has no custody group to check openings against"), err
	}
	g, err := custody.UnmarshalGroup(cust.Group)
	if err != nil {
		return nil, err // checked at genesis: a fault here is the store's
	}
	ts, r := sig48("title_sigma", b.TitleSigma)
	if r != nil {
		return r, nil
	}
	tr := ti.Tracing
	biases, err := accuse.TitleBiases(g, e.chainID, ti.ID, tr.Coalition, len(ti.Segments), ts)
	if err != nil {
		return refuse(CodeBadSignature, "%v", err), nil
	}
	eps, err := strconv.ParseFloat(tr.Eps1, 64)
	if err != nil {
		return nil, err // checked at registration
	}
	logInv, err := tardos.FixedLogInv(tr.Copies, eps)
	if err != nil {
		return nil, err
	}
	d, err := tardos.ParseDecisions(op.Decisions)
	if err != nil {
		return nil, err // checked by the request
	}
	sc, err := tardos.NewFixedScorer(biases, d, logInv)
	if err != nil {
		return refuse(CodeBadField, "%v", err), nil
	}
	acc := Accusation{Opening: op.ID, Title: ti.ID, Accuser: op.Requester, TitleSigma: ts[:], Threshold: sc.Threshold(), Height: e.height}
	for i, oc := range b.Copies {
		if !slices.Contains(op.Jobs, oc.Job) || slices.ContainsFunc(b.Copies[:i], func(x OpenedCopy) bool { return x.Job == oc.Job }) {
			return refuse(CodeBadField, "copy %q is not in opening %s, or named twice", oc.Job, op.ID), nil
		}
		a, r, err := e.scoreCopy(v, g, &ti, biases, sc, oc)
		if r != nil || err != nil {
			return r, err
		}
		acc.Accused = append(acc.Accused, a)
	}
	return nil, v.putJSON(keyAccusation(op.ID), acc)
}

// scoreCopy checks one copy's σ against its ledger record and refuses the
// accusation unless its fixed-point score exceeds the threshold.
func (e *execEnv) scoreCopy(v *view, g *custody.Group, ti *Title, b tardos.Biases, sc *tardos.FixedScorer, oc OpenedCopy) (AccusedCopy, *refusal, error) {
	var c Copy
	if _, err := v.getJSON(keyCopy(oc.Job), &c); err != nil {
		return AccusedCopy{}, nil, err
	}
	sig, r := sig48("sigma of "+oc.Job, oc.Sigma)
	if r != nil {
		return AccusedCopy{}, r, nil
	}
	rec := custody.CopyRecord{ChainID: e.chainID, TitleID: ti.ID, JobID: c.JobID, TokenID: c.Token, StationKeyID: c.Station}
	cw, err := accuse.CopyCodeword(g, rec, b, sig)
	if err != nil {
		return AccusedCopy{}, refuse(CodeBadSignature, "%v", err), nil
	}
	s, err := sc.Score(cw)
	if err != nil {
		return AccusedCopy{}, nil, err
	}
	if s <= sc.Threshold() {
		return AccusedCopy{}, refuse(CodeNotAccused, "copy %s scores %d, not above the threshold %d (units of 2^-32)", oc.Job, s, sc.Threshold()), nil
	}
	return AccusedCopy{Job: c.JobID, Token: c.Token, Station: c.Station, Sigma: sig[:], Score: s}, nil, nil
}

func sig48(what string, b []byte) (custody.Signature, *refusal) {
	var s custody.Signature
	if len(b) != len(s) {
		return s, refuse(CodeBadField, "%s is %d bytes, want %d", what, len(b), len(s))
	}
	copy(s[:], b)
	return s, nil
}
