package contract

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"

	dbm "github.com/cometbft/cometbft-db"

	"copystation/custody"
	"copystation/tracing/accuse"
	"copystation/tracing/tardos"
)

// traceNet is a world whose genesis holds a real custody group (4 nodes,
// threshold 3) and an arbiter, with a traced title and six copies of it.
type traceNet struct {
	*world
	arb    *party
	nodes  []*custody.DKGResult
	title  Title
	biases tardos.Biases
	sigT   custody.Signature
	sigs   []custody.Signature // per job-i
}

func newTraceNet(t *testing.T) *traceNet {
	t.Helper()
	cc := custody.CeremonyConfig{Threshold: 3, Nonce: make([]byte, 32)}
	rand.Read(cc.Nonce)
	var dks []*custody.DKGKey
	cust := &Custody{Threshold: 3}
	var xs []*ecdh.PublicKey
	for range 4 {
		k := custody.NewDKGKey()
		p, _ := custody.ParseDKGPublic(k.Public())
		x, _ := ecdh.X25519().GenerateKey(rand.Reader)
		dks, cc.Nodes = append(dks, k), append(cc.Nodes, p)
		cust.Nodes = append(cust.Nodes, CustodyNode{Name: "n", CustodyKey: x.PublicKey().Bytes(), DKGKey: k.Public()})
		xs = append(xs, x.PublicKey())
	}
	res, err := custody.RunInProcess(cc, dks)
	if err != nil {
		t.Fatal(err)
	}
	cust.Group, _ = res[0].Group.MarshalBinary()
	n := &traceNet{world: &world{op: newParty(t), issuer: newParty(t), stA: newParty(t), stB: newParty(t), kaA: newParty(t), customer: newParty(t)}, arb: newParty(t), nodes: res}
	w := n.world
	w.custody, w.custodyKeys = cust, xs
	w.chain = newChain(t, dbm.NewMemDB(), Genesis{Params: Params{MaxRetries: 2, Arbiter: n.arb.pub}, Operators: [][]byte{w.op.pub},
		Issuers: []Issuer{{Key: w.issuer.pub, Name: "Studio"}}, Custody: cust})
	w.mustOK(w.gov(w.op, TxEnrollStation, EnrollStationBody{SigningKey: w.stA.pub, KeyAgreementKey: w.kaA.pub, Profiles: []uint16{0x41}}))
	// N=10, C=3, Eps1=0.001 need 818 segments; 1,000 make the three
	// colluders' scores clear the threshold whatever codewords the DKG's
	// random group key gives them (an innocent copy exceeds it with
	// probability at most 10⁻⁴).
	ti := testTitle("film-t")
	ti.Segments = nil
	for i := range 1000 {
		ti.Segments = append(ti.Segments, Segment{StartSector: uint32(100 + 40*i), Sectors: 32})
	}
	ti.Tracing = &TitleTracing{Copies: 10, Coalition: 3, Eps1: "0.001", Root: make([]byte, 32)}
	w.mustOK(w.gov(w.issuer, TxRegisterTitle, w.dealt(ti)))
	n.title = ti
	lt, _ := custody.TracingLabel(testChain, ti.ID)
	n.sigT = n.open(t, lt)
	n.biases, err = accuse.TitleBiases(res[0].Group, testChain, ti.ID, 3, len(ti.Segments), n.sigT)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		job, tok := fmt.Sprintf("job-%d", i), fmt.Sprintf("tok-%d", i)
		w.mint(tok, ti.ID, w.stA)
		w.mustOK(w.spendTx(w.stA, w.request(job, tok, ti.ID, 0x41, "m"+job)))
		l, _ := custody.CopyRecord{ChainID: testChain, TitleID: ti.ID, JobID: job, TokenID: tok, StationKeyID: w.stA.id}.Label()
		n.sigs = append(n.sigs, n.open(t, l))
	}
	return n
}

// open is what 3 of the 4 nodes' partials combine to.
func (n *traceNet) open(t *testing.T, label []byte) custody.Signature {
	t.Helper()
	var ps []custody.Partial
	for _, r := range n.nodes[:3] {
		p, err := custody.PartialSign(r.Share, label)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	s, _, err := custody.Combine(n.nodes[0].Group, label, ps)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (n *traceNet) codeword(t *testing.T, i int) tardos.Codeword {
	t.Helper()
	rec := custody.CopyRecord{ChainID: testChain, TitleID: n.title.ID, JobID: fmt.Sprintf("job-%d", i), TokenID: fmt.Sprintf("tok-%d", i), StationKeyID: n.stA.id}
	cw, err := accuse.CopyCodeword(n.nodes[0].Group, rec, n.biases, n.sigs[i])
	if err != nil {
		t.Fatal(err)
	}
	return cw
}

func (n *traceNet) opened(i int) OpenedCopy {
	return OpenedCopy{Job: fmt.Sprintf("job-%d", i), Sigma: n.sigs[i][:]}
}

// accusationCodes are the refusals TestAccusation expects (for
// TestEveryCodeTested).
var accusationCodes = []Code{CodeNotAccused, CodeNotIssuer, CodeBadSignature, CodeBadField}

// TestAccusation: copies 0, 1 and 2 are mixed position by position (20% of
// positions erased); the issuer commits the decisions and names all six
// copies for opening; the accusation of the copies above the ledger's
// threshold is recorded with their recomputed scores; copy 3, not in the
// mix, is refused as not accused; a swapped signature, a stranger, a second
// accusation, a request by a non-tracer and a second opening of a copy are
// refused.
func TestAccusation(t *testing.T) {
	n := newTraceNet(t)
	m := len(n.title.Segments)
	cws := []tardos.Codeword{n.codeword(t, 0), n.codeword(t, 1), n.codeword(t, 2)}
	r := mrand.New(mrand.NewChaCha8([32]byte{5}))
	d := make(tardos.Decisions, m)
	for i := range d {
		d[i] = tardos.Decision(1 + cws[r.IntN(3)].Bit(i))
		if r.IntN(5) == 0 {
			d[i] = tardos.Erased
		}
	}
	enc, _ := d.MarshalBinary()
	li, _ := tardos.FixedLogInv(10, 0.001)
	sc, _ := tardos.NewFixedScorer(n.biases, d, li)
	var guilty []OpenedCopy
	for i := range 6 {
		s, _ := sc.Score(n.codeword(t, i))
		t.Logf("copy %d: score %.2f, threshold %.2f", i, float64(s)/tardos.Q, float64(sc.Threshold())/tardos.Q)
		if s > sc.Threshold() {
			if i > 2 {
				t.Fatalf("innocent copy %d above the threshold", i)
			}
			guilty = append(guilty, n.opened(i))
		}
	}
	if len(guilty) == 0 {
		t.Fatal("no colluder above the ledger's threshold")
	}
	seal := make([]byte, 32)
	req := OpenRequestBody{ID: "leak-1", Title: n.title.ID, Decisions: enc, SealTo: seal,
		Jobs: []string{"job-0", "job-1", "job-2", "job-3", "job-4"}}
	stranger := newParty(t)
	if r := n.one(n.gov(stranger, TxOpenRequest, req)); Code(r.Code) != CodeNotIssuer {
		t.Errorf("opening requested by a stranger = %d %s, want not-issuer", r.Code, r.Log)
	}
	short := req
	short.Decisions = enc[:len(enc)-1]
	if r := n.one(n.gov(n.issuer, TxOpenRequest, short)); Code(r.Code) != CodeBadField {
		t.Errorf("opening with malformed decisions = %d %s, want bad-field", r.Code, r.Log)
	}
	n.mustOK(n.gov(n.issuer, TxOpenRequest, req))
	again := req
	again.ID, again.Jobs = "leak-again", []string{"job-2"}
	if r := n.one(n.gov(n.issuer, TxOpenRequest, again)); Code(r.Code) != CodeBadField || !strings.Contains(r.Log, "opened once") {
		t.Errorf("opening a copy a second time = %d %s, want bad-field", r.Code, r.Log)
	}
	arbReq := req
	arbReq.ID, arbReq.Jobs = "leak-arb", []string{"job-5"}
	n.mustOK(n.gov(n.arb, TxOpenRequest, arbReq))

	accuseTx := func(p *party, copies ...OpenedCopy) *AccuseBody {
		return &AccuseBody{Opening: "leak-1", TitleSigma: n.sigT[:], Copies: copies}
	}
	if r := n.one(n.gov(n.issuer, TxAccuse, accuseTx(n.issuer, append(guilty, n.opened(3))...))); Code(r.Code) != CodeNotAccused {
		t.Errorf("accusing copy 3 too = %d %s, want not-accused", r.Code, r.Log)
	}
	swapped := n.opened(4)
	swapped.Sigma = n.sigs[5][:]
	if r := n.one(n.gov(n.issuer, TxAccuse, accuseTx(n.issuer, swapped))); Code(r.Code) != CodeBadSignature {
		t.Errorf("a signature of another copy = %d %s, want bad-signature", r.Code, r.Log)
	}
	if r := n.one(n.gov(n.arb, TxAccuse, accuseTx(n.arb, guilty...))); Code(r.Code) != CodeNotIssuer {
		t.Errorf("accusing with someone else's opening = %d %s, want not-issuer", r.Code, r.Log)
	}
	n.mustOK(n.gov(n.issuer, TxAccuse, accuseTx(n.issuer, guilty...)))
	if r := n.one(n.gov(n.issuer, TxAccuse, accuseTx(n.issuer, guilty...))); Code(r.Code) != CodeBadField {
		t.Errorf("a second accusation from one opening = %d %s, want bad-field", r.Code, r.Log)
	}
	acc, err := n.app.Accusation("leak-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(acc.Accused) != len(guilty) || acc.Threshold != sc.Threshold() || acc.Accused[0].Station != n.stA.id {
		t.Errorf("recorded accusation %+v, want %d copies over %d", acc, len(guilty), sc.Threshold())
	}
	for _, a := range acc.Accused {
		if a.Score <= acc.Threshold {
			t.Errorf("recorded %s with score %d, not above %d", a.Job, a.Score, acc.Threshold)
		}
	}
}

// FuzzAccuseTx runs arbitrary TxAccuse bodies, signed by the opening's
// requester, through the contract on a network with a real custody group
// and a recorded opening: every outcome is OK or a known refusal code,
// never a panic or a storage fault.
func FuzzAccuseTx(f *testing.F) {
	f.Add([]byte(`{"opening":"leak-1","title_sigma":"","copies":[{"job":"job-0","sigma":""}]}`))
	f.Add([]byte(`{"opening":"leak-1","copies":[]}`))
	f.Add([]byte(`{"opening":"nope"}`))
	f.Add([]byte(`{`))
	f.Add([]byte(`{"opening":"leak-1","title_sigma":"AAAA","copies":[{"job":"job-9","sigma":"AAAA"},{"job":"job-0"}]}`))
	var n *traceNet
	f.Fuzz(func(t *testing.T, body []byte) {
		if n == nil {
			n = newTraceNet(t)
			d := make(tardos.Decisions, len(n.title.Segments))
			enc, _ := d.MarshalBinary()
			n.mustOK(n.gov(n.issuer, TxOpenRequest, OpenRequestBody{ID: "leak-1", Title: n.title.ID, Decisions: enc, SealTo: make([]byte, 32), Jobs: []string{"job-0", "job-1"}}))
		}
		n.t = t
		n.nonces[n.issuer.id]++
		tx, err := NewTx(rand.Reader, n.issuer.key, n.issuer.pub, testChain, TxAccuse, n.nonces[n.issuer.id], json.RawMessage(body))
		if err != nil {
			return // not JSON: NewTx marshals the body
		}
		r := n.one(tx)
		if Code(r.Code).info() < 0 {
			t.Fatalf("code %d (%s) is not a known refusal", r.Code, r.Log)
		}
	})
}
