package simstation

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/simulator/drivesim"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/validatord"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
	"copystation/validatord/vault"
)

// Tracing parameters of the title below: N = 10 copies, coalitions of
// C = 3, Eps1 = 0.01 (loose: at most a 1% chance that any innocent copy
// is accused by a trace) need 614 segments; the title has 640, one sector
// each.
const (
	tracedSegments = 640
	tracedCopies   = "10"
	tracedC        = "3"
	tracedEps1     = "0.01"
)

// TestTracedCopiesFourNodes is issue 13's must-show end to end: four
// validation nodes (validatord testnet and Run, t = 2), a title packaged
// and registered with tracing parameters by the validatord commands, the
// simulated station (drive simulator, reference TPM) burning four copies
// whose codewords are Tardos codewords the nodes derive from σ_title
// without the station learning it. Three discs are read back and decrypted
// by `stationd disc check --out`, interleaved segment by segment into a
// leak; `validatord trace request`, two nodes' `trace answer` (one alone
// opens nothing), `trace combine`, `trace --openings` and `trace accuse`
// name colluders only — Tardos promises at least one, never the fourth
// copy — and the ledger records the accusation it recomputed.
func TestTracedCopiesFourNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	vd := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := validatord.Main(ctx, args, &out, &errb); code != validatord.ExitOK {
			t.Fatalf("validatord %s = %d: %s", strings.Join(args, " "), code, errb.String())
		}
		return out.String()
	}
	net := filepath.Join(dir, "net")
	kekFile := filepath.Join(net, "kek")
	infos, nodes := startTestnet(ctx, t, vd, net, 4)
	home0 := infos[0].Home

	b, err := ledger.Dial(infos[0].RPC)
	if err != nil {
		t.Fatal(err)
	}
	kek := readKEK(t, kekFile)
	opKey, err := vault.LoadSigningKey(filepath.Join(net, validatord.FileOperatorKey), kek)
	if err != nil {
		t.Fatal(err)
	}
	op, err := ledger.NewAdmin(b, opKey, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := OpenKeys(filepath.Join(dir, "station"))
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	if _, err := op.EnrollStation(ctx, keys.Signing, keys.Agreement, []uint16{0x41, 0x43}, nil); err != nil {
		t.Fatal(err)
	}

	// The title: one-sector variants at odd sectors of a 2.6 MB image.
	image, variants := tracedImage(t, dir)
	pkgDir := filepath.Join(dir, "pkg")
	args := []string{"title", "package", "--image", image, "--out", pkgDir, "--title", "film-t", "--home", home0,
		"--copies", tracedCopies, "--coalition", tracedC, "--eps1", tracedEps1}
	args = append(args, variants...)
	vd(args...)
	rec := filepath.Join(pkgDir, "film-t.trace")
	registerTraced(ctx, t, b, "title", "register", "--home", home0, "--kek-file", kekFile, "--package", filepath.Join(pkgDir, titlepkg.FileName("film-t")), "--trace", rec)
	titles := filepath.Join(dir, "station", "titles")
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
	for i := range 4 {
		vd("token", "mint", "--home", home0, "--kek-file", kekFile, "--id", fmt.Sprintf("tok-%d", i), "--title", "film-t", "--owner", hex.EncodeToString(keys.Signing))
	}

	var params contract.Params
	if err := b.Query(ctx, "/params", &params); err != nil {
		t.Fatal(err)
	}
	tree := params.Players().ID
	group, err := hex.DecodeString(infos[0].CustodyGroup)
	if err != nil {
		t.Fatal(err)
	}
	var pins []config.Node
	for _, in := range infos {
		pins = append(pins, config.Node{Address: in.Gateway, StaticKey: in.NoiseKey, SigningKey: in.SignerKey})
	}
	st, err := Start(ctx, keys, Options{Dir: filepath.Join(dir, "station"), Nodes: pins, Group: group,
		Players: config.Players{Tree: tree, Depth: int(params.Players().Depth)}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	var (
		discs []*drivesim.Disc
		jobs  []string
	)
	for i := range 4 {
		j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film-t", TokenID: fmt.Sprintf("tok-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if done := waitJob(t, st.Client, j.ID, time.Minute); done.State != job.Done {
			t.Fatalf("burn tok-%d = %s (%s), want done", i, done.State, done.Reason)
		}
		out := st.Robot.Sim.Output()
		discs, jobs = append(discs, out[len(out)-1]), append(jobs, j.ID)
	}

	// A player's device keys from two nodes' partials, to read the discs.
	keysFile, playerKEK := tracedPlayer(ctx, t, dir, op, nodes[0], []string{infos[0].Home, infos[1].Home}, kek, params)
	var plain [][]byte
	for i := range 3 {
		out := filepath.Join(dir, fmt.Sprintf("copy%d.img", i))
		if code, msg := discCheckOut(t, ctx, discs[i], keysFile, playerKEK, out); code != 0 {
			t.Fatalf("stationd disc check --out (copy %d) = %d: %s", i, code, msg)
		}
		p, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		plain = append(plain, p)
	}
	// Interleave: segment s from copy s mod 3.
	leak := bytes.Clone(plain[0])
	differ := 0
	for s := range tracedSegments {
		at := (1 + 2*s) * titlepkg.SectorSize
		copy(leak[at:at+titlepkg.SectorSize], plain[s%3][at:at+titlepkg.SectorSize])
		if !bytes.Equal(plain[0][at:at+titlepkg.SectorSize], plain[1][at:at+titlepkg.SectorSize]) {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("copies 0 and 1 hold the same variant in every segment")
	}
	leakFile := filepath.Join(dir, "leak.img")
	if err := os.WriteFile(leakFile, leak, 0o600); err != nil {
		t.Fatal(err)
	}

	key := filepath.Join(dir, "opening.key")
	vd("trace", "request", "--home", home0, "--kek-file", kekFile, "--id", "leak-1", "--title", "film-t", "--image", leakFile, "--trace", rec,
		"--jobs", strings.Join(jobs, ","), "--key-out", key)
	var answers []string
	for i := range 2 {
		answers = append(answers, filepath.Join(dir, fmt.Sprintf("answer%d", i)))
		traceAnswer(ctx, t, infos[i].Home, kekFile, answers[i])
	}
	openings := filepath.Join(dir, "open.json")
	var out, errb bytes.Buffer
	if code := validatord.Main(ctx, []string{"trace", "combine", "--home", home0, "--kek-file", kekFile, "--opening", "leak-1", "--key", key,
		"--out", openings, "--answer", answers[0]}, &out, &errb); code != validatord.ExitFailed {
		t.Fatalf("trace combine with one node's answer = %d (%s), want refused: one node opens nothing", code, errb.String())
	}
	vd("trace", "combine", "--home", home0, "--kek-file", kekFile, "--opening", "leak-1", "--key", key, "--out", openings,
		"--answer", answers[0], "--answer", answers[1])

	var tr struct {
		Scored  int `json:"scored"`
		Accused []struct {
			Copy    string `json:"copy"`
			Station string `json:"station"`
			Height  int64  `json:"height"`
		} `json:"accused"`
	}
	if err := json.Unmarshal([]byte(vd("trace", "--home", home0, "--title", "film-t", "--image", leakFile, "--trace", rec, "--openings", openings, "--json")), &tr); err != nil {
		t.Fatal(err)
	}
	if tr.Scored != 4 || len(tr.Accused) == 0 {
		t.Fatalf("trace --openings = %+v, want 4 scored and a colluder accused", tr)
	}
	for _, a := range tr.Accused {
		if a.Copy == jobs[3] || a.Station != keys.ID || a.Height == 0 {
			t.Errorf("trace accused %+v; the colluders are %v, the station %s", a, jobs[:3], keys.ID)
		}
	}
	var acc contract.Accusation
	if err := json.Unmarshal([]byte(vd("trace", "accuse", "--home", home0, "--kek-file", kekFile, "--opening", "leak-1", "--openings", openings, "--json")), &acc); err != nil {
		t.Fatal(err)
	}
	if len(acc.Accused) == 0 || acc.Height == 0 {
		t.Fatalf("trace accuse = %+v, want an accusation on the ledger", acc)
	}
	for _, a := range acc.Accused {
		if a.Job == jobs[3] || a.Score <= acc.Threshold {
			t.Errorf("recorded %s with score %d over threshold %d; the fourth copy is %s", a.Job, a.Score, acc.Threshold, jobs[3])
		}
	}
	t.Logf("%d segments differ between copies 0 and 1; trace accused %d, the ledger %d", differ, len(tr.Accused), len(acc.Accused))
}
