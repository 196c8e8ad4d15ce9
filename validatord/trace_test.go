package validatord

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/custody"
	"copystation/tracing/tardos"
	"copystation/validatord/chain"
	"copystation/validatord/vault"
)

// startNode inits a one-node network in c's home and runs it until the test
// ends (runNode).
func startNode(t *testing.T, c *cli) (*chain.Node, []byte) {
	t.Helper()
	c.ok("init", "--home", c.home, "--kek-file", c.kek, "--make-kek", "--p2p", freeAddr(t), "--rpc", "tcp://"+freeAddr(t), "--gateway", freeAddr(t))
	return runNode(t, c)
}

// openWithVault signs a title's tracing label with the node's custody
// share: on a one-node network (t = 1) that is the group signature.
func openWithVault(t *testing.T, c *cli, title string) custody.Signature {
	t.Helper()
	var cg struct {
		ChainID string `json:"chain_id"`
	}
	b, _ := os.ReadFile(filepath.Join(c.home, chain.FileGenesis))
	json.Unmarshal(b, &cg)
	label, err := custody.TracingLabel(cg.ChainID, title)
	if err != nil {
		t.Fatal(err)
	}
	return signWithVault(t, c, label)
}

// signWithVault is the one-node network's group signature on a label.
func signWithVault(t *testing.T, c *cli, label []byte) custody.Signature {
	t.Helper()
	kek, err := (&env{kekFile: c.kek}).kek()
	if err != nil {
		t.Fatal(err)
	}
	sec, err := vault.Load(filepath.Join(c.home, chain.FileVault), kek)
	if err != nil {
		t.Fatal(err)
	}
	defer sec.Wipe()
	ks, err := custody.UnmarshalKeyShare(sec.CustodyShare)
	if err != nil {
		t.Fatal(err)
	}
	p, err := custody.PartialSign(ks, label)
	if err != nil {
		t.Fatal(err)
	}
	return custody.Signature(p.Sig)
}

// TestTraceCommand packages a title with tracing parameters (and refuses
// too few segments for them), registers it with its trace record, and
// traces a leak mixed from two copies, damaged in one segment and cut
// short, against the ledger's record; a trace record that is not the
// registered one is refused.
func TestTraceCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	c := &cli{t: t, ctx: ctx, home: filepath.Join(dir, "home"), kek: filepath.Join(dir, "kek")}
	startNode(t, c)

	const segs = 32 // N=10, C=1, Eps1=0.5 need 30
	rng := rand.New(rand.NewChaCha8([32]byte{7}))
	image := make([]byte, (2*segs+2)*2048)
	for i := range image {
		image[i] = byte(rng.Uint32())
	}
	img := filepath.Join(dir, "film.img")
	os.WriteFile(img, image, 0o600)
	var vflags []string
	variants := make([][]byte, segs)
	for s := range segs {
		at := 1 + 2*s
		b := bytes.Clone(image[at*2048 : (at+1)*2048])
		b[100] ^= 0x55
		variants[s] = b
		f := filepath.Join(dir, fmt.Sprintf("v%d.bin", s))
		os.WriteFile(f, b, 0o600)
		vflags = append(vflags, "--variant", fmt.Sprintf("%d:%s", at, f))
	}
	pkgDir := filepath.Join(dir, "pkg")
	base := []string{"title", "package", "--image", img, "--out", pkgDir, "--title", "film-1", "--home", c.home, "--copies", "10", "--coalition", "1", "--eps1", "0.5"}
	if code, _, errs := c.run(append(base, vflags[:2*29]...)...); code != ExitFailed || !strings.Contains(errs, "need 30") {
		t.Fatalf("title package with 29 segments = %d %q, want %d and 'need 30'", code, errs, ExitFailed)
	}
	if code, _, errs := c.run(append(base[:len(base)-2], vflags...)...); code != ExitUsage {
		t.Fatalf("title package with --copies and --coalition but no --eps1 = %d %q, want %d", code, errs, ExitUsage)
	}
	out := c.ok(append(base, vflags...)...)
	if !strings.Contains(out, "needs 30 segments, has 32") {
		t.Errorf("title package = %q, want the segments needed", out)
	}
	rec := filepath.Join(pkgDir, "film-1.trace")
	c.ok("title", "register", "--home", c.home, "--kek-file", c.kek, "--package", filepath.Join(pkgDir, "film-1.ctp"), "--name", "Film", "--trace", rec)
	if out := c.ok("title", "show", "--home", c.home, "--id", "film-1"); !strings.Contains(out, "tracing: N=10 C=1 Eps1=0.5") {
		t.Errorf("title show = %q, want its tracing parameters", out)
	}

	// The owner's record: two signed updates, both kept.
	c.ok("title", "record", "--home", c.home, "--kek-file", c.kek, "--id", "film-1", "--rights-holder", "Studio", "--contact", "takedown@studio.example", "--description", "A film")
	c.ok("title", "record", "--home", c.home, "--kek-file", c.kek, "--id", "film-1", "--rights-holder", "Studio Two", "--contact", "legal@two.example")
	if out := c.ok("title", "history", "--home", c.home, "--id", "film-1", "--prove"); !strings.Contains(out, "2 versions") || !strings.Contains(out, "Studio Two") || !strings.Contains(out, "proved") {
		t.Errorf("title history = %q, want both versions, proved", out)
	}

	// The leak: even segments from a copy with bits s%3==0, odd from one
	// with bits s%2==0 (so B at even positions of the second); segment 5
	// damaged; cut in the middle of segment 31.
	want := make(tardos.Decisions, segs)
	leak := bytes.Clone(image)
	for s := range segs {
		b := s%3 == 0
		if s%2 == 1 {
			b = s%4 == 1
		}
		want[s] = tardos.A
		if b {
			want[s] = tardos.B
			copy(leak[(1+2*s)*2048:], variants[s])
		}
	}
	leak[(1+2*5)*2048+9] ^= 1
	want[5], want[31] = tardos.Erased, tardos.Erased
	leakFile := filepath.Join(dir, "leak.img")
	os.WriteFile(leakFile, leak[:(1+2*31)*2048+1000], 0o600)
	var got traceOut
	js := c.ok("trace", "--home", c.home, "--title", "film-1", "--image", leakFile, "--trace", rec, "--json")
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatalf("trace --json = %q: %v", js, err)
	}
	enc, _ := want.MarshalBinary()
	if got.Decisions != hex.EncodeToString(enc) || got.Erased != 2 || got.Missing != 1 {
		t.Errorf("trace = %+v, want decisions %x, 2 erased of which 1 missing", got, enc)
	}

	// Openings: the title's tracing signature made with the node's own
	// custody share (a one-node network: t = 1), as the opening round
	// would hand it to the tracer. No copies exist on this network, so
	// none are scored; a copy that is not on the ledger, or a signature on
	// another label, is refused.
	sig := openWithVault(t, c, "film-1")
	openings := func(name string, op Openings) string {
		b, _ := json.Marshal(op)
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	good := openings("open.json", Openings{Title: "film-1", TitleSigma: hex.EncodeToString(sig[:])})
	if out := c.ok("trace", "--home", c.home, "--title", "film-1", "--image", leakFile, "--trace", rec, "--openings", good); !strings.Contains(out, "0 copies scored, 0 accused") {
		t.Errorf("trace --openings = %q, want 0 copies scored", out)
	}
	other := openWithVault(t, c, "film-2")
	for name, op := range map[string]Openings{
		"title signature on another label": {Title: "film-1", TitleSigma: hex.EncodeToString(other[:])},
		"copy not on the ledger":           {Title: "film-1", TitleSigma: hex.EncodeToString(sig[:]), Copies: []OpenedCopyRef{{Job: "nope", Sigma: hex.EncodeToString(sig[:])}}},
		"openings of another title":        {Title: "film-2", TitleSigma: hex.EncodeToString(other[:])},
	} {
		f := openings("bad-open.json", op)
		if code, _, errs := c.run("trace", "--home", c.home, "--title", "film-1", "--image", leakFile, "--trace", rec, "--openings", f); code != ExitFailed {
			t.Errorf("%s: trace = %d %q, want %d", name, code, errs, ExitFailed)
		}
	}

	// A trace record altered after registration is not the ledger's.
	b, _ := os.ReadFile(rec)
	b[len(b)-1] ^= 1
	bad := filepath.Join(dir, "bad.trace")
	os.WriteFile(bad, b, 0o600)
	if code, _, errs := c.run("trace", "--home", c.home, "--title", "film-1", "--image", leakFile, "--trace", bad); code != ExitFailed || !strings.Contains(errs, "does not match the ledger") {
		t.Errorf("trace with an altered record = %d %q, want %d and a root mismatch", code, errs, ExitFailed)
	}
}
