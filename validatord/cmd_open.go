package validatord

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"copystation/atomicfile"
	"copystation/custody"
	"copystation/tracing/accuse"
	"copystation/tracing/opening"
	"copystation/tracing/tardos"
	"copystation/validatord/contract"
	"copystation/validatord/genesis"
	"copystation/validatord/ledger"
	"copystation/validatord/vault"
)

// labelOpeningKey seals the requester's X25519 key (vault.SealFile).
const labelOpeningKey = "opening-key"

// maxAnswer bounds a sealed answer file: 4,097 partials and HPKE overhead.
const maxAnswer = 4 + (opening.MaxCopies+1)*custody.PartialLen + 1024

// ErrNotFinal: the opening request is not on this node's committed ledger.
var ErrNotFinal = errors.New("no such opening on this node's ledger: a node answers only requests final on its own ledger")

// cmdTraceRequest reads the leak, commits its decisions and the copies to
// open in a TxOpenRequest, and keeps the key the nodes seal answers to.
func cmdTraceRequest(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("id", "", "opening ID (names the request and the accusation)")
	title := e.fs.String("title", "", "title ID")
	image := e.fs.String("image", "", "the leak: a plain image; for a film also an m2ts, MKV or MP4")
	recFile := e.fs.String("trace", "", "the title's trace record")
	jobs := e.fs.String("jobs", "", "copies to open: job IDs, comma-separated")
	keyOut := e.fs.String("key-out", "", "file for the key the nodes seal their answers to (sealed under the KEK)")
	tk := e.keyFlag("tracer-key", FileIssuerKey, "the title's issuer key, or the arbiter's")
	if err := e.parse(args, "id", "title", "image", "trace", "jobs", "key-out"); err != nil {
		return err
	}
	rec, _, err := e.ledgerRecord(*title, *recFile)
	if err != nil {
		return err
	}
	d, rep, err := decideLeak(e.ctx, *image, rec)
	if err != nil {
		return err
	}
	enc, err := d.MarshalBinary()
	if err != nil {
		return err
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := vault.SealFile(*keyOut, kek, labelOpeningKey, priv.Bytes(), nil); err != nil {
		return err
	}
	body := contract.OpenRequestBody{ID: *id, Title: *title, Decisions: enc, Jobs: strings.Split(*jobs, ","), SealTo: priv.PublicKey().Bytes()}
	if err := e.tracerDo("ledger.OpenRequest", *tk, contract.TxOpenRequest, body); err != nil {
		return err
	}
	e.print(map[string]any{"opening": *id, "jobs": len(body.Jobs), "a": rep.A, "b": rep.B, "erased": rep.Erased, "key_file": *keyOut},
		fmt.Sprintf("opening %s recorded: %d copies of %s to open; decisions %d A, %d B, %d erased\n  each node operator runs 'validatord trace answer --opening %s'; then 'validatord trace combine'",
			*id, len(body.Jobs), *title, rep.A, rep.B, rep.Erased, *id))
	return nil
}

func (e *env) tracerDo(op, keyFlag string, typ contract.TxType, body any) error {
	a, err := e.adminFor(keyFlag, FileIssuerKey)
	if err != nil {
		return err
	}
	_, err = a.Do(e.ctx, op, typ, body)
	return err
}

// openingLabels fetches a committed opening and builds the title's tracing
// label and each copy's label from the ledger's own records.
func openingLabels(ctx context.Context, b *ledger.Remote, id string) (*contract.Opening, string, []byte, [][]byte, error) {
	var op contract.Opening
	if err := b.Query(ctx, "/opening/"+id, &op); err != nil {
		if errors.Is(err, contract.ErrNotFound) {
			return nil, "", nil, nil, fmt.Errorf("%w (opening %q)", ErrNotFinal, id)
		}
		return nil, "", nil, nil, err
	}
	chainID, err := b.ChainID(ctx)
	if err != nil {
		return nil, "", nil, nil, err
	}
	tl, err := custody.TracingLabel(chainID, op.Title)
	if err != nil {
		return nil, "", nil, nil, err
	}
	cls := make([][]byte, len(op.Jobs))
	for i, j := range op.Jobs {
		var c contract.Copy
		if err := b.Query(ctx, "/copy/"+j, &c); err != nil {
			return nil, "", nil, nil, fmt.Errorf("copy %s: %w", j, err)
		}
		if cls[i], err = (custody.CopyRecord{ChainID: chainID, TitleID: c.Title, JobID: c.JobID, TokenID: c.Token, StationKeyID: c.Station}).Label(); err != nil {
			return nil, "", nil, nil, err
		}
	}
	return &op, chainID, tl, cls, nil
}

// cmdTraceAnswer is a node operator's side: its partials for a committed
// opening, sealed to the requester.
func cmdTraceAnswer(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("opening", "", "opening ID")
	out := e.fs.String("out", "", "file for the sealed answer (give it to the requester)")
	if err := e.parse(args, "opening", "out"); err != nil {
		return err
	}
	if e.home == "" {
		return usagef("--home is required: the answer is signed with this node's custody share")
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	op, chainID, tl, cls, err := openingLabels(e.ctx, b, *id)
	if err != nil {
		return err
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	defer clear(kek)
	ks, err := e.keysInForce(b, kek)
	if err != nil {
		return err
	}
	defer ks.Close()
	in, err := ks.ShareInForce()
	if err != nil {
		return fmt.Errorf("this node's custody share: %w", err)
	}
	defer in.Done()
	a, err := opening.Sign(in.Share, tl, cls)
	if err != nil {
		return err
	}
	blob, err := opening.Seal(a, op.SealTo, chainID, op.ID)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, blob); err != nil {
		return err
	}
	e.print(map[string]any{"opening": op.ID, "node": a.Title.Node, "copies": len(cls), "answer": *out},
		fmt.Sprintf("node %d answered opening %s (%d copies of %s, requested at height %d): %s", a.Title.Node, op.ID, len(cls), op.Title, op.Height, *out))
	return nil
}

// cmdTraceCombine opens t answers and writes the openings file.
func cmdTraceCombine(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("opening", "", "opening ID")
	keyFile := e.fs.String("key", "", "the opening key file from 'trace request'")
	out := e.fs.String("out", "", "openings file to write (for 'trace --openings' and 'trace accuse')")
	var files []string
	e.fs.Func("answer", "a node's sealed answer file; repeat for t nodes", func(s string) error {
		files = append(files, s)
		return nil
	})
	if err := e.parse(args, "opening", "key", "out"); err != nil {
		return err
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	op, chainID, tl, cls, err := openingLabels(e.ctx, b, *id)
	if err != nil {
		return err
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	raw, err := vault.OpenFile(*keyFile, kek, labelOpeningKey)
	if err != nil {
		return err
	}
	priv, err := ecdh.X25519().NewPrivateKey(raw)
	clear(raw)
	if err != nil {
		return err
	}
	var answers []*opening.Answer
	for _, p := range files {
		blob, err := genesis.ReadBounded(p, maxAnswer)
		if err != nil {
			return err
		}
		a, err := opening.Open(priv, chainID, op.ID, blob, len(cls))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		answers = append(answers, a)
	}
	g, err := e.custodyGroup(b)
	if err != nil {
		return err
	}
	st, sigs, err := opening.Combine(g, tl, cls, answers)
	if err != nil {
		return fmt.Errorf("%d answers: %w", len(answers), err)
	}
	o := Openings{Title: op.Title, TitleSigma: hex.EncodeToString(st[:])}
	for i, j := range op.Jobs {
		o.Copies = append(o.Copies, OpenedCopyRef{Job: j, Sigma: hex.EncodeToString(sigs[i][:])})
	}
	js, _ := json.MarshalIndent(o, "", "  ")
	if err := atomicfile.Write(*out, js); err != nil {
		return err
	}
	e.print(map[string]any{"opening": op.ID, "answers": len(answers), "copies": len(sigs), "openings": *out},
		fmt.Sprintf("opened %d copies of %s from %d answers: %s", len(sigs), op.Title, len(answers), *out))
	return nil
}

// cmdTraceAccuse scores the opened copies as the ledger will (fixed point)
// and submits the accusation of those above the threshold.
func cmdTraceAccuse(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("opening", "", "opening ID")
	path := e.fs.String("openings", "", "openings file from 'trace combine'")
	tk := e.keyFlag("tracer-key", FileIssuerKey, "the key that requested the opening")
	if err := e.parse(args, "opening", "openings"); err != nil {
		return err
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	var op contract.Opening
	if err := b.Query(e.ctx, "/opening/"+*id, &op); err != nil {
		return err
	}
	body, err := e.fixedAccused(b, &op, *path)
	if err != nil {
		return err
	}
	if len(body.Copies) == 0 {
		return fmt.Errorf("%w: no opened copy scores above the ledger's threshold: nobody to accuse", contract.CodeNotAccused)
	}
	if err := e.tracerDo("ledger.Accuse", *tk, contract.TxAccuse, body); err != nil {
		return err
	}
	var acc contract.Accusation
	if err := b.Query(e.ctx, "/accusation/"+op.ID, &acc); err != nil {
		return err
	}
	text := fmt.Sprintf("accusation %s recorded at height %d: %d copies of %s above the threshold %.2f", op.ID, acc.Height, len(acc.Accused), acc.Title, float64(acc.Threshold)/tardos.Q)
	for _, a := range acc.Accused {
		text += fmt.Sprintf("\n  copy %s: token %s, station %s, score %.2f", a.Job, a.Token, a.Station, float64(a.Score)/tardos.Q)
	}
	e.print(acc, text)
	return nil
}

// fixedAccused picks the opened copies whose fixed-point score exceeds the
// ledger's threshold, as the contract will recompute it.
func (e *env) fixedAccused(b *ledger.Remote, op *contract.Opening, path string) (*contract.AccuseBody, error) {
	raw, err := genesis.ReadBounded(path, maxOpenings)
	if err != nil {
		return nil, err
	}
	var o Openings
	if err := json.Unmarshal(raw, &o); err != nil || o.Title != op.Title {
		return nil, fmt.Errorf("%w: openings file %s is not for title %s (%v)", accuse.ErrOpening, path, op.Title, err)
	}
	var t contract.Title
	if err := b.Query(e.ctx, "/title/"+op.Title, &t); err != nil {
		return nil, err
	}
	g, err := e.custodyGroup(b)
	if err != nil {
		return nil, err
	}
	chainID, err := b.ChainID(e.ctx)
	if err != nil {
		return nil, err
	}
	ts, err := parseSig("title_sigma", o.TitleSigma)
	if err != nil {
		return nil, err
	}
	bs, err := accuse.TitleBiases(g, chainID, t.ID, t.Tracing.Coalition, len(t.Segments), ts)
	if err != nil {
		return nil, err
	}
	var eps float64
	fmt.Sscan(t.Tracing.Eps1, &eps)
	li, err := tardos.FixedLogInv(t.Tracing.Copies, eps)
	if err != nil {
		return nil, err
	}
	d, err := tardos.ParseDecisions(op.Decisions)
	if err != nil {
		return nil, err
	}
	sc, err := tardos.NewFixedScorer(bs, d, li)
	if err != nil {
		return nil, err
	}
	body := &contract.AccuseBody{Opening: op.ID, TitleSigma: ts[:]}
	for _, oc := range o.Copies {
		var c contract.Copy
		if err := b.Query(e.ctx, "/copy/"+oc.Job, &c); err != nil {
			return nil, err
		}
		sig, err := parseSig("sigma of "+oc.Job, oc.Sigma)
		if err != nil {
			return nil, err
		}
		cw, err := accuse.CopyCodeword(g, custody.CopyRecord{ChainID: chainID, TitleID: t.ID, JobID: c.JobID, TokenID: c.Token, StationKeyID: c.Station}, bs, sig)
		if err != nil {
			return nil, err
		}
		if s, err := sc.Score(cw); err == nil && s > sc.Threshold() {
			body.Copies = append(body.Copies, contract.OpenedCopy{Job: oc.Job, Sigma: sig[:]})
		}
	}
	return body, nil
}
