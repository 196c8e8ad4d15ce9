package simstation

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/internal/tracetest"
	"copystation/simulator/drivesim"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/validatord"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
	"copystation/validatord/vault"
)

// tracedNet is the harness the traced end-to-end tests share
// (TestTracedCopiesFourNodes, TestFilmCopiesTracedFromMKV): four
// validation nodes run from `validatord testnet`, the operator, and a
// station enrolled on them, driven through the validatord commands.
type tracedNet struct {
	ctx     context.Context
	t       *testing.T
	dir     string
	kekFile string
	infos   []nodeInfo
	nodes   []*chain.Node
	b       *ledger.Remote
	kek     []byte
	op      *ledger.Admin
	keys    *StationKeys
	params  contract.Params
	seed    uint64 // newTracedNet
}

// newTracedNet starts the four nodes and enrolls the station's keys.
//
// A copy's Tardos codeword is a function of the network's group secret and
// the copy's label (chain, title, job, token, station key), so a trace's
// verdict is a draw that a fresh network would redraw every run, failing
// "the fourth copy is never accused" with a probability up to Eps1. Here
// every input is fixed by seed: the nodes' secrets in the genesis DKG
// (validatord.MainDKGRand) and the daemon's job IDs are streams derived
// from it, and the station's TPM keys are testdata/traced-station (the
// in-process reference TPM's seed file and the key blobs it made from it:
// station ID 1889e2cc1c51ec9a428923429b870578). The chain ID, title and
// token IDs are constants. So the same seed gives the same codewords and
// the same verdicts; a test's seed is one for which they are right.
func newTracedNet(ctx context.Context, t *testing.T, dir string, seed uint64) *tracedNet {
	t.Helper()
	n := &tracedNet{ctx: ctx, t: t, dir: dir, seed: seed}
	net := filepath.Join(dir, "net")
	n.kekFile = filepath.Join(net, "kek")
	n.infos, n.nodes = startTestnet(ctx, t, seededStream(seed, "dkg"), net, 4)
	var err error
	if n.b, err = ledger.Dial(n.infos[0].RPC); err != nil {
		t.Fatal(err)
	}
	n.kek = readKEK(t, n.kekFile)
	opKey, err := vault.LoadSigningKey(filepath.Join(net, validatord.FileOperatorKey), n.kek)
	if err != nil {
		t.Fatal(err)
	}
	if n.op, err = ledger.NewAdmin(n.b, opKey, rand.Reader); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "station"), os.DirFS(filepath.Join("testdata", "traced-station"))); err != nil {
		t.Fatal(err)
	}
	if n.keys, err = OpenKeys(filepath.Join(dir, "station")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.keys.Close() })
	if _, err := n.op.EnrollStation(ctx, n.keys.Signing, n.keys.Agreement, []uint16{0x41, 0x43}, nil); err != nil {
		t.Fatal(err)
	}
	if err := n.b.Query(ctx, "/params", &n.params); err != nil {
		t.Fatal(err)
	}
	return n
}

// vd runs a validatord command and returns its output; it fails the test
// unless the command succeeds.
func (n *tracedNet) vd(args ...string) string {
	n.t.Helper()
	var out, errb bytes.Buffer
	if code := validatord.Main(n.ctx, args, &out, &errb); code != validatord.ExitOK {
		n.t.Fatalf("validatord %s = %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

func (n *tracedNet) home0() string { return n.infos[0].Home }

// register packages a traced title "film-t" with `validatord title
// package` (pkgArgs name the image or the film and the tracing
// parameters), registers it with its trace record, puts the package in
// the station's titles and mints tokens tok-0..tok-(copies-1) for it. It
// returns the trace record's path.
func (n *tracedNet) register(copies int, pkgArgs ...string) string {
	t := n.t
	t.Helper()
	pkgDir := filepath.Join(n.dir, "pkg")
	n.vd(append([]string{"title", "package", "--out", pkgDir, "--title", "film-t", "--home", n.home0()}, pkgArgs...)...)
	rec := filepath.Join(pkgDir, "film-t.trace")
	registerTraced(n.ctx, t, n.b, "title", "register", "--home", n.home0(), "--kek-file", n.kekFile,
		"--package", filepath.Join(pkgDir, titlepkg.FileName("film-t")), "--trace", rec)
	titles := filepath.Join(n.dir, "station", "titles")
	if err := os.MkdirAll(titles, 0o700); err != nil {
		t.Fatal(err)
	}
	pkg, err := os.ReadFile(filepath.Join(pkgDir, titlepkg.FileName("film-t")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(titles, titlepkg.FileName("film-t")), pkg, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range copies {
		n.vd("token", "mint", "--home", n.home0(), "--kek-file", n.kekFile, "--id", fmt.Sprintf("tok-%d", i), "--title", "film-t", "--owner", hex.EncodeToString(n.keys.Signing))
	}
	return rec
}

// burn starts the simulated station on the four nodes and burns one copy
// of film-t per token; it returns the discs and their job IDs (the
// copies' IDs in a trace).
func (n *tracedNet) burn(copies int, timeout time.Duration) ([]*drivesim.Disc, []string) {
	t := n.t
	t.Helper()
	group, err := hex.DecodeString(n.infos[0].CustodyGroup)
	if err != nil {
		t.Fatal(err)
	}
	var pins []config.Node
	for _, in := range n.infos {
		pins = append(pins, config.Node{Address: in.Gateway, StaticKey: in.NoiseKey, SigningKey: in.SignerKey})
	}
	st, err := Start(n.ctx, n.keys, Options{Dir: filepath.Join(n.dir, "station"), Nodes: pins, Group: group,
		Players: config.Players{Tree: n.params.Players().ID, Depth: int(n.params.Players().Depth)}, Logger: testLogger(t),
		Rand: seededStream(n.seed, "job IDs")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Stop() })
	var (
		discs []*drivesim.Disc
		jobs  []string
	)
	for i := range copies {
		j, err := st.Client.Burn(n.ctx, api.BurnRequest{TitleID: "film-t", TokenID: fmt.Sprintf("tok-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if done := waitJob(t, st.Client, j.ID, timeout); done.State != job.Done {
			t.Fatalf("burn tok-%d = %s (%s), want done", i, done.State, done.Reason)
		}
		out := st.Robot.Sim.Output()
		discs, jobs = append(discs, out[len(out)-1]), append(jobs, j.ID)
	}
	return discs, jobs
}

// readBack enrolls a player (device keys from two nodes' partials) and
// decrypts each disc with `stationd disc check --out`; it returns the
// plain images' paths, copy0.img, copy1.img, ...
func (n *tracedNet) readBack(discs []*drivesim.Disc) []string {
	t := n.t
	t.Helper()
	keysFile, playerKEK := tracedPlayer(n.ctx, t, n.dir, n.op, n.nodes[0], []string{n.infos[0].Home, n.infos[1].Home}, n.kek, n.params)
	var paths []string
	for i, d := range discs {
		out := filepath.Join(n.dir, fmt.Sprintf("copy%d.img", i))
		if code, msg := discCheck(t, n.ctx, d, keysFile, playerKEK, "--out", out); code != 0 {
			t.Fatalf("stationd disc check --out (copy %d) = %d: %s", i, code, msg)
		}
		paths = append(paths, out)
	}
	return paths
}

// open asks the nodes to open the copies' signatures for a leak:
// `validatord trace request` (opening leak-1), two nodes' `trace answer`,
// and `trace combine`, which must refuse one node's answer alone. It
// returns the openings file.
func (n *tracedNet) open(leak, rec string, jobs []string) string {
	t := n.t
	t.Helper()
	key := filepath.Join(n.dir, "opening.key")
	n.vd("trace", "request", "--home", n.home0(), "--kek-file", n.kekFile, "--id", "leak-1", "--title", "film-t", "--image", leak, "--trace", rec,
		"--jobs", strings.Join(jobs, ","), "--key-out", key)
	var answers []string
	for i := range 2 {
		answers = append(answers, filepath.Join(n.dir, fmt.Sprintf("answer%d", i)))
		traceAnswer(n.ctx, t, n.infos[i].Home, n.kekFile, answers[i])
	}
	openings := filepath.Join(n.dir, "open.json")
	var out, errb bytes.Buffer
	if code := validatord.Main(n.ctx, []string{"trace", "combine", "--home", n.home0(), "--kek-file", n.kekFile, "--opening", "leak-1", "--key", key,
		"--out", openings, "--answer", answers[0]}, &out, &errb); code != validatord.ExitFailed {
		t.Fatalf("trace combine with one node's answer = %d (%s), want refused: one node opens nothing", code, errb.String())
	}
	n.vd("trace", "combine", "--home", n.home0(), "--kek-file", n.kekFile, "--opening", "leak-1", "--key", key, "--out", openings,
		"--answer", answers[0], "--answer", answers[1])
	return openings
}

// trace runs `validatord trace --openings` on a leak.
func (n *tracedNet) trace(leak, rec, openings string) tracetest.Output {
	n.t.Helper()
	var tr tracetest.Output
	if err := json.Unmarshal([]byte(n.vd("trace", "--home", n.home0(), "--title", "film-t", "--image", leak, "--trace", rec, "--openings", openings, "--json")), &tr); err != nil {
		n.t.Fatal(err)
	}
	return tr
}

// accuse runs `validatord trace accuse` on opening leak-1 and checks the
// ledger's recorded accusation: someone accused, never innocent, each
// over the threshold.
func (n *tracedNet) accuse(openings, innocent string) contract.Accusation {
	t := n.t
	t.Helper()
	var acc contract.Accusation
	if err := json.Unmarshal([]byte(n.vd("trace", "accuse", "--home", n.home0(), "--kek-file", n.kekFile, "--opening", "leak-1", "--openings", openings, "--json")), &acc); err != nil {
		t.Fatal(err)
	}
	if len(acc.Accused) == 0 || acc.Height == 0 {
		t.Fatalf("trace accuse = %+v, want an accusation on the ledger", acc)
	}
	for _, a := range acc.Accused {
		if a.Job == innocent || a.Score <= acc.Threshold {
			t.Errorf("recorded %s with score %d over threshold %d; the innocent copy is %s", a.Job, a.Score, acc.Threshold, innocent)
		}
	}
	return acc
}

// seededStream is a ChaCha8 stream keyed by SHA-256(use ‖ seed): one
// stream per use of a test's seed.
func seededStream(seed uint64, use string) io.Reader {
	return mathrand.NewChaCha8(sha256.Sum256(binary.BigEndian.AppendUint64([]byte(use), seed)))
}
