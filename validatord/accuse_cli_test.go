package validatord

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/custody"
	"copystation/protocol"
	"copystation/tracing/accuse"
	"copystation/tracing/tardos"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

// TestTraceAccuseCommands runs the whole trace on a running node: a title
// packaged and registered with tracing parameters (N=10, C=3, Eps1=0.01:
// 614 segments; 700 given), four copies spent by a station, a leak mixed
// segment by segment from copies 0, 1 and 2; `trace request` commits its
// decisions and names all four; the node answers (a one-node network:
// t = 1) only once the request is on its ledger; `trace combine` opens
// them; `trace --openings` names the accused, never copy 3; `trace
// accuse` records the accusation, which the ledger recomputed.
func TestTraceAccuseCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	dir := t.TempDir()
	// Seed 1 fixes the group secret; with the fixed image, station key and
	// job IDs it fixes the codewords and so the verdicts, right for this
	// seed (fresh ones are wrong in at most Eps1 of networks).
	c := &cli{t: t, ctx: ctx, home: filepath.Join(dir, "home"), kek: filepath.Join(dir, "kek"), dkgRand: testDKGRand(1)}
	startNode(t, c)

	const segs = 700
	rng := mrand.New(mrand.NewChaCha8([32]byte{8}))
	image := make([]byte, (2*segs+2)*2048)
	for i := range image {
		image[i] = byte(rng.Uint32())
	}
	img := filepath.Join(dir, "film.img")
	os.WriteFile(img, image, 0o600)
	args := []string{"title", "package", "--image", img, "--out", filepath.Join(dir, "pkg"), "--title", "film-1", "--home", c.home,
		"--copies", "10", "--coalition", "3", "--eps1", "0.01"}
	variants := make([][]byte, segs)
	for s := range segs {
		at := 1 + 2*s
		variants[s] = bytes.Clone(image[at*2048 : (at+1)*2048])
		variants[s][7] ^= 0x10
		f := filepath.Join(dir, fmt.Sprintf("v%d.bin", s))
		os.WriteFile(f, variants[s], 0o600)
		args = append(args, "--variant", fmt.Sprintf("%d:%s", at, f))
	}
	c.ok(args...)
	rec := filepath.Join(dir, "pkg", "film-1.trace")
	c.ok("title", "register", "--home", c.home, "--kek-file", c.kek, "--package", filepath.Join(dir, "pkg", "film-1.ctp"), "--trace", rec)

	spub := spendCopies(t, c, "film-1", 4)
	b, err := (&env{ctx: ctx, home: c.home}).backend()
	if err != nil {
		t.Fatal(err)
	}
	chainID, _ := b.ChainID(ctx)

	// The colluders' codewords, as their stations would hold them.
	group := nodeGroup(t, c)
	sigT := openWithVault(t, c, "film-1")
	bs, err := accuse.TitleBiases(group, chainID, "film-1", 3, segs, sigT)
	if err != nil {
		t.Fatal(err)
	}
	var cws []tardos.Codeword
	for i := range 3 {
		rec := custody.CopyRecord{ChainID: chainID, TitleID: "film-1", JobID: fmt.Sprintf("job-%d", i), TokenID: fmt.Sprintf("tok-%d", i), StationKeyID: protocol.KeyID(spub)}
		lbl, _ := rec.Label()
		cw, err := accuse.CopyCodeword(group, rec, bs, signWithVault(t, c, lbl))
		if err != nil {
			t.Fatal(err)
		}
		cws = append(cws, cw)
	}
	leak := bytes.Clone(image)
	for s := range segs {
		if cws[rng.IntN(3)].Bit(s) == 1 {
			copy(leak[(1+2*s)*2048:], variants[s])
		}
	}
	leakFile := filepath.Join(dir, "leak.img")
	os.WriteFile(leakFile, leak, 0o600)

	key := filepath.Join(dir, "opening.key")
	answer := filepath.Join(dir, "answer0")
	if code, _, errs := c.run("trace", "answer", "--home", c.home, "--kek-file", c.kek, "--opening", "leak-1", "--out", answer); code != ExitFailed || !strings.Contains(errs, "final on its own ledger") {
		t.Errorf("trace answer before the request = %d %q, want a refusal", code, errs)
	}
	c.ok("trace", "request", "--home", c.home, "--kek-file", c.kek, "--id", "leak-1", "--title", "film-1", "--image", leakFile, "--trace", rec,
		"--jobs", "job-0,job-1,job-2,job-3", "--key-out", key)
	c.ok("trace", "answer", "--home", c.home, "--kek-file", c.kek, "--opening", "leak-1", "--out", answer)
	openings := filepath.Join(dir, "open.json")
	if code, _, errs := c.run("trace", "combine", "--home", c.home, "--kek-file", c.kek, "--opening", "leak-1", "--key", key, "--out", openings); code != ExitFailed {
		t.Errorf("trace combine without answers = %d %q, want a failure", code, errs)
	}
	c.ok("trace", "combine", "--home", c.home, "--kek-file", c.kek, "--opening", "leak-1", "--key", key, "--out", openings, "--answer", answer)

	var tr traceOut
	json.Unmarshal([]byte(c.ok("trace", "--home", c.home, "--title", "film-1", "--image", leakFile, "--trace", rec, "--openings", openings, "--json")), &tr)
	if tr.Scored != 4 || len(tr.Accused) == 0 {
		t.Fatalf("trace --openings = %+v, want 4 scored and someone accused", tr)
	}
	for _, a := range tr.Accused {
		if a.Copy == "job-3" || a.Station != protocol.KeyID(spub) || a.Height == 0 {
			t.Errorf("accused %+v", a)
		}
	}
	var acc contract.Accusation
	json.Unmarshal([]byte(c.ok("trace", "accuse", "--home", c.home, "--kek-file", c.kek, "--opening", "leak-1", "--openings", openings, "--json")), &acc)
	if len(acc.Accused) == 0 || acc.Height == 0 {
		t.Fatalf("trace accuse = %+v, want a recorded accusation", acc)
	}
	for _, a := range acc.Accused {
		if a.Job == "job-3" || a.Score <= acc.Threshold {
			t.Errorf("recorded %+v over threshold %d", a, acc.Threshold)
		}
	}
	t.Logf("float accused %d, ledger accused %d", len(tr.Accused), len(acc.Accused))
}

// spendCopies enrolls a station (a software key stands in for its TPM:
// the contract sees only signatures) and spends n tokens of a title, jobs
// job-0... on media mjob-0...; it returns the station's signing key. The
// key is a constant, so that with a fixed group key (cli.dkgRand) the
// copies' labels, hence their codewords, repeat run after run.
func spendCopies(t *testing.T, c *cli, title string, n int) []byte {
	t.Helper()
	sk, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), bytes.Repeat([]byte{0x5e}, 32))
	if err != nil {
		t.Fatal(err)
	}
	spub, _ := sk.PublicKey.Bytes()
	ka, _ := ecdh.P256().GenerateKey(rand.Reader)
	e := &env{ctx: c.ctx, home: c.home, kekFile: c.kek, keyFlags: map[string]string{}}
	opKey, err := e.signingKey(filepath.Join(c.home, FileOperatorKey))
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.backend()
	if err != nil {
		t.Fatal(err)
	}
	op, err := ledger.NewAdmin(b, opKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.EnrollStation(c.ctx, spub, ka.PublicKey().Bytes(), []uint16{0x41}, nil); err != nil {
		t.Fatal(err)
	}
	chainID, _ := b.ChainID(c.ctx)
	for i := range n {
		job, tok := fmt.Sprintf("job-%d", i), fmt.Sprintf("tok-%d", i)
		c.ok("token", "mint", "--home", c.home, "--kek-file", c.kek, "--id", tok, "--title", title, "--owner", fmt.Sprintf("%x", spub))
		req := &protocol.CopyRequest{ChainID: chainID, HandshakeHash: []byte("hh"), ChallengeNonce: []byte("n"), NodeID: "n0",
			ChallengeExpiry: time.Now().Add(time.Hour).Unix(), JobID: job, TokenID: tok, TitleID: title, Profile: 0x41, MediaID: []byte("m" + job)}
		sig, _ := protocol.Sign(rand.Reader, sk, req)
		tx, _ := contract.NewSpendTx(spub, req, sig)
		if _, err := b.Submit(c.ctx, "spend", tx); err != nil {
			t.Fatal(err)
		}
	}
	return spub
}

func nodeGroup(t *testing.T, c *cli) *custody.Group {
	t.Helper()
	var cust contract.Custody
	e := &env{ctx: c.ctx, home: c.home}
	b, err := e.backend()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Query(c.ctx, "/custody", &cust); err != nil {
		t.Fatal(err)
	}
	g, err := custody.UnmarshalGroup(cust.Group)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
