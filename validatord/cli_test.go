package validatord

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"copystation/tpm"
	"copystation/validatord/chain"
)

// freeAddr is a free loopback address below the ephemeral range, which no
// other socket takes before the node binds it (chain.FreePorts).
func freeAddr(t *testing.T) string {
	t.Helper()
	p, err := chain.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p[0]))
}

type cli struct {
	t    *testing.T
	ctx  context.Context
	home string
	kek  string
	// dkgRand, when set, is the genesis DKG's randomness for init and
	// testnet (MainDKGRand): a fixed stream repeats the group key.
	dkgRand io.Reader
}

// run runs Main and returns its exit code, stdout and stderr.
func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code := runMain(c.ctx, args, &out, &errb, c.dkgRand)
	return code, out.String(), errb.String()
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(args...)
	if code != ExitOK {
		c.t.Fatalf("Main(%q) = %d, stderr %q; want %d", args, code, errs, ExitOK)
	}
	return out
}

// TestOperatorCommands drives the operator commands against a node started
// with Run: package and register a title, mint, show, transfer, refusals.
func TestOperatorCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	c := &cli{t: t, ctx: ctx, home: filepath.Join(dir, "home"), kek: filepath.Join(dir, "kek")}
	c.ok("init", "--home", c.home, "--kek-file", c.kek, "--make-kek", "--p2p", freeAddr(t), "--rpc", "tcp://"+freeAddr(t), "--gateway", freeAddr(t))

	started := make(chan *chain.Node, 1)
	runErr := make(chan error, 1)
	rctx, stop := context.WithCancel(ctx)
	kek, err := (&env{kekFile: c.kek}).kek()
	if err != nil {
		t.Fatal(err)
	}
	notes := make(chan string, 4)
	notify := func(state string) error { notes <- state; return nil }
	go func() {
		runErr <- Run(rctx, Config{Home: c.home, KEK: kek}, Deps{Started: func(n *chain.Node) { started <- n }, Notify: notify})
	}()
	var node *chain.Node
	select {
	case node = <-started:
	case err := <-runErr:
		t.Fatalf("Run() = %v", err)
	}
	if got := <-notes; got != "READY=1" {
		t.Errorf("first notification = %q, want READY=1", got)
	}
	defer func() {
		stop()
		if err := <-runErr; err != nil {
			t.Errorf("Run() after cancel = %v, want nil", err)
		}
		if got := <-notes; got != "STOPPING=1" {
			t.Errorf("last notification = %q, want STOPPING=1", got)
		}
	}()
	if err := node.WaitHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}

	var owner struct {
		PublicKey string `json:"public_key"`
	}
	json.Unmarshal([]byte(c.ok("key", "new", "--out", filepath.Join(dir, "owner.key"), "--kek-file", c.kek, "--json")), &owner)
	var other struct {
		PublicKey string `json:"public_key"`
	}
	json.Unmarshal([]byte(c.ok("key", "new", "--out", filepath.Join(dir, "other.key"), "--kek-file", c.kek, "--json")), &other)

	img := filepath.Join(dir, "film.img")
	if err := os.WriteFile(img, bytes.Repeat([]byte{0x42}, 64*2048), 0o600); err != nil {
		t.Fatal(err)
	}
	variant := filepath.Join(dir, "b.bin")
	os.WriteFile(variant, bytes.Repeat([]byte{0x43}, 4*2048), 0o600)
	pkgDir := filepath.Join(dir, "pkg")
	c.ok("title", "package", "--home", c.home, "--image", img, "--out", pkgDir, "--title", "film-1", "--variant", "8:"+variant)
	pkgFile := filepath.Join(pkgDir, "film-1.ctp")
	c.ok("title", "register", "--home", c.home, "--kek-file", c.kek, "--package", pkgFile, "--name", "Film")
	pkgDir2 := filepath.Join(dir, "pkg2")
	c.ok("title", "package", "--home", c.home, "--image", img, "--out", pkgDir2, "--title", "film-2", "--variant", "9:"+variant)
	c.ok("token", "mint", "--home", c.home, "--kek-file", c.kek, "--id", "tok-1", "--title", "film-1", "--owner", owner.PublicKey)

	var tok struct{ State, Title string }
	json.Unmarshal([]byte(c.ok("token", "show", "--home", c.home, "--id", "tok-1", "--json")), &tok)
	if tok.State != "unspent" || tok.Title != "film-1" {
		t.Fatalf("token show = %+v, want unspent film-1", tok)
	}
	if out := c.ok("token", "show", "--home", c.home, "--id", "tok-1", "--prove"); !strings.Contains(out, "proved: written at height") {
		t.Errorf("token show --prove = %q, want a proved record", out)
	}
	c.ok("token", "transfer", "--home", c.home, "--kek-file", c.kek, "--id", "tok-1", "--to", other.PublicKey, "--owner-key", filepath.Join(dir, "owner.key"))

	refusals := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"transfer by old owner", []string{"token", "transfer", "--home", c.home, "--kek-file", c.kek, "--id", "tok-1", "--to", owner.PublicKey, "--owner-key", filepath.Join(dir, "owner.key")}, ExitFailed, "not-owner"},
		{"mint existing", []string{"token", "mint", "--home", c.home, "--kek-file", c.kek, "--id", "tok-1", "--title", "film-1", "--owner", owner.PublicKey}, ExitFailed, "token-exists"},
		{"mint unknown title", []string{"token", "mint", "--home", c.home, "--kek-file", c.kek, "--id", "tok-2", "--title", "nope", "--owner", owner.PublicKey}, ExitFailed, "unknown-title"},
		{"show unknown token", []string{"token", "show", "--home", c.home, "--id", "nope"}, ExitFailed, "not found"},
		{"revoke unknown station", []string{"station", "revoke", "--home", c.home, "--kek-file", c.kek, "--id", "nope", "--reason", "x"}, ExitFailed, "unknown-station"},
		{"spoil limit for an unknown station", []string{"station", "spoil-limit", "--home", c.home, "--kek-file", c.kek, "--id", "nope", "--limit", "2"}, ExitFailed, "unknown-station"},
		{"enroll garbage request", []string{"station", "enroll", "--home", c.home, "--kek-file", c.kek, "--request", img, "--nonce", "01", "--challenge-out", img + ".ch"}, ExitFailed, "enroll"},
		{"missing flag", []string{"token", "show", "--home", c.home}, ExitUsage, "--id is required"},
		{"package without a forensic segment", []string{"title", "package", "--home", c.home, "--image", img, "--out", pkgDir2, "--title", "film-3"}, ExitUsage, "--variant is required"},
		{"register with another package's deal", []string{"title", "register", "--home", c.home, "--kek-file", c.kek, "--package", filepath.Join(pkgDir2, "film-2.ctp"), "--deal", filepath.Join(pkgDir, "film-1.deal")}, ExitFailed, "use the deal file"},
		{"unknown command", []string{"frobnicate"}, ExitUsage, "unknown command"},
		{"wrong KEK", []string{"token", "mint", "--home", c.home, "--kek-file", img, "--id", "t", "--title", "film-1", "--owner", owner.PublicKey}, ExitFailed, "key-encryption key"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := c.run(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("Main(%s) = %d, stderr %q; want %d and %q", tc.name, code, errs, tc.code, tc.want)
			}
		})
	}
	if out := c.ok("title", "show", "--home", c.home, "--id", "film-1", "--prove"); !strings.Contains(out, "1 forensic segments") || !strings.Contains(out, "proved") {
		t.Errorf("title show --prove = %q, want the title with its one segment, proved", out)
	}
	if code, _, errs := c.run("copies", "show", "--home", c.home, "--job", "nope"); code != ExitFailed || !strings.Contains(errs, "not found") {
		t.Errorf("copies show unknown = %d %q, want %d not found", code, errs, ExitFailed)
	}
	enrollWithTPMEvidence(t, c, dir)
	if code, out, _ := c.run("token", "show", "--home", c.home, "--id", "nope", "--json"); code != ExitFailed || !strings.Contains(out, `"error"`) {
		t.Errorf("token show --json of an unknown token = %d %q, want %d and a JSON error", code, out, ExitFailed)
	}
	out := c.ok("copies", "list", "--home", c.home, "--token", "tok-1")
	if !strings.HasPrefix(out, "0 copies") {
		t.Errorf("copies list = %q, want 0 copies", out)
	}
	_ = fmt.Sprint
}

func TestTestnetCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"testnet", "--nodes", "3", "--out", dir, "--json"}, &out, &errb); code != ExitOK {
		t.Fatalf("Main(testnet) = %d, %s", code, errb.String())
	}
	var infos []nodeInfo
	if err := json.Unmarshal(out.Bytes(), &infos); err != nil || len(infos) != 3 {
		t.Fatalf("testnet --json = %s (%v), want 3 nodes", out.String(), err)
	}
	for _, f := range []string{"kek", FileOperatorKey, FileIssuerKey, "node2/" + chain.FileVault, "node2/" + chain.FileGenesis} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("testnet did not write %s: %v", f, err)
		}
	}
	if code := Main(context.Background(), []string{"testnet", "--nodes", "3", "--out", dir}, &out, &errb); code != ExitFailed {
		t.Errorf("Main(testnet) over an existing network = %d, want %d", code, ExitFailed)
	}
}

// enrollWithTPMEvidence enrolls a station from evidence made by the
// in-process reference TPM, and refuses the same evidence tampered with.
func enrollWithTPMEvidence(t *testing.T, c *cli, dir string) {
	t.Helper()
	tp, err := tpm.Open("sim:" + filepath.Join(dir, "tpmsim"))
	if err != nil {
		t.Fatalf("tpm.Open(sim) = %v", err)
	}
	defer tp.Close()
	st, err := tpm.LoadOrCreate(tp, filepath.Join(dir, "station"))
	if err != nil {
		t.Fatalf("tpm.LoadOrCreate() = %v", err)
	}
	defer st.Close()
	nonce := []byte("operator-nonce-1")
	ev, err := st.Evidence(nonce)
	if err != nil {
		t.Fatalf("Evidence() = %v", err)
	}
	good, _ := json.Marshal(ev)
	reqFile := filepath.Join(dir, "enroll.json")
	os.WriteFile(reqFile, good, 0o600)
	base := []string{"station", "enroll", "--home", c.home, "--kek-file", c.kek, "--request", reqFile, "--allow-unanchored", "--json"}
	withNonce := append(base[:len(base):len(base)], "--nonce", hex.EncodeToString(nonce))
	chFile := filepath.Join(dir, "challenge.json")
	var first struct {
		PCRs map[string]string
		Next string
	}
	json.Unmarshal([]byte(c.ok(append(withNonce, "--challenge-out", chFile)...)), &first)
	if len(first.PCRs) != 4 || len(first.PCRs["7"]) != 64 {
		t.Fatalf("station enroll step 1 printed PCRs %v, want the quoted values of PCRs 0, 2, 4, 7", first.PCRs)
	}
	// The operator's expected boot state: the quoted one passes, another
	// is refused naming the PCR.
	wrongPCR7 := "7=" + strings.Repeat("ab", 32)
	if code, _, errs := c.run(append(withNonce, "--challenge-out", chFile, "--expect-pcrs", wrongPCR7)...); code != ExitFailed || !strings.Contains(errs, "PCR 7 is") {
		t.Errorf("station enroll --expect-pcrs %s = %d %q, want %d and a PCR 7 refusal", wrongPCR7, code, errs, ExitFailed)
	}
	if code, _, errs := c.run(append(withNonce, "--challenge-out", chFile, "--expect-pcrs", "7=zz")...); code != ExitUsage {
		t.Errorf("station enroll --expect-pcrs 7=zz = %d %q, want %d", code, errs, ExitUsage)
	}
	c.ok(append(withNonce, "--challenge-out", chFile, "--expect-pcrs", "0="+first.PCRs["0"]+",7="+first.PCRs["7"])...)
	// The printed next step is the whole step 2: run as printed (with the
	// station's answer file), it enrolls.
	next := strings.Fields(first.Next)
	for _, w := range []string{"--home", "--kek-file", "--request", "--allow-unanchored", "--challenge", "--answer"} {
		if !slices.Contains(next, w) {
			t.Errorf("step 1's next step %q lacks %s", first.Next, w)
		}
	}
	chRaw, _ := os.ReadFile(chFile)
	ch, err := tpm.ParseCredentialChallenge(chRaw)
	if err != nil {
		t.Fatalf("challenge file: %v", err)
	}
	secret, err := st.ActivateCredential(ch)
	if err != nil {
		t.Fatalf("ActivateCredential() = %v", err)
	}
	ansFile := filepath.Join(dir, "answer.json")
	wrong, _ := json.Marshal(tpm.ActivationAnswer{Version: tpm.EnrollmentVersion, Secret: make([]byte, len(secret))})
	os.WriteFile(ansFile, wrong, 0o600)
	if code, _, errs := c.run(append(withNonce, "--challenge", chFile, "--answer", ansFile)...); code != ExitFailed || !strings.Contains(errs, "tpm.CheckActivation") {
		t.Fatalf("station enroll with a wrong answer = %d %q, want %d and an activation refusal", code, errs, ExitFailed)
	}
	right, _ := json.Marshal(tpm.ActivationAnswer{Version: tpm.EnrollmentVersion, Secret: secret})
	os.WriteFile(ansFile, right, 0o600)
	var res struct {
		Station   string
		Activated bool
	}
	if len(next) < 3 || next[0] != "validatord" {
		t.Fatalf("step 1's next step = %q, want a validatord command", first.Next)
	}
	hinted := slices.Clone(next[1:])
	hinted[slices.Index(hinted, "answer.json")] = ansFile
	json.Unmarshal([]byte(c.ok(append(hinted, "--json")...)), &res)
	if want := keyID(st.SigningPublicSEC1()); res.Station != want || !res.Activated {
		t.Fatalf("station enroll = %+v, want station %q, activated", res, want)
	}
	var shown struct{ Status string }
	json.Unmarshal([]byte(c.ok("station", "show", "--home", c.home, "--id", res.Station, "--json")), &shown)
	if shown.Status != "active" {
		t.Errorf("station show = %+v, want active", shown)
	}
	if code, _, errs := c.run(append(withNonce, "--challenge", chFile, "--answer", ansFile)...); code != ExitFailed || !strings.Contains(errs, "already used") {
		t.Errorf("station enroll replaying a used challenge = %d %q, want %d: one challenge, one enrollment", code, errs, ExitFailed)
	}
	step1 := append(base[:len(base):len(base)], "--challenge-out", chFile)
	if code, _, errs := c.run(step1...); code != ExitUsage || !strings.Contains(errs, "--nonce is required") {
		t.Errorf("station enroll step 1 without --nonce = %d %q, want %d", code, errs, ExitUsage)
	}
	if code, _, errs := c.run(append(step1, "--nonce", "00")...); code != ExitFailed || !strings.Contains(errs, "nonce") {
		t.Errorf("station enroll with another nonce = %d %q, want %d and a nonce refusal", code, errs, ExitFailed)
	}
	if code, _, errs := c.run(append(withNonce, "--insecure-skip-activation", "--challenge-out", chFile)...); code != ExitUsage {
		t.Errorf("station enroll --insecure-skip-activation --challenge-out = %d %q, want %d", code, errs, ExitUsage)
	}
	// step 2 enrolls exactly the request step 1 challenged
	c.ok(append(withNonce, "--challenge-out", chFile)...)
	other, _ := json.Marshal(softwareAKRequest(t, ev, nonce))
	otherFile := filepath.Join(dir, "other.json")
	os.WriteFile(otherFile, other, 0o600)
	swapped := []string{"station", "enroll", "--home", c.home, "--kek-file", c.kek, "--request", otherFile, "--allow-unanchored", "--challenge", chFile, "--answer", ansFile}
	if code, _, errs := c.run(swapped...); code != ExitFailed || !strings.Contains(errs, "another request") {
		t.Errorf("station enroll step 2 with another request file = %d %q, want %d", code, errs, ExitFailed)
	}
	refuseSoftwareAK(t, c, dir, st, ev, nonce)
	ev.SigningKey.Public[len(ev.SigningKey.Public)-1] ^= 1
	bad, _ := json.Marshal(ev)
	os.WriteFile(reqFile, bad, 0o600)
	if code, _, errs := c.run(append(withNonce, "--challenge-out", chFile)...); code != ExitFailed || !strings.Contains(errs, "tpm.VerifyEvidence") {
		t.Errorf("station enroll with tampered evidence = %d %q, want %d and a verification error", code, errs, ExitFailed)
	}
}

// testDKGRand is a genesis DKG's randomness fixed by seed (cli.dkgRand).
func testDKGRand(seed uint64) io.Reader {
	var k [32]byte
	binary.BigEndian.PutUint64(k[:], seed)
	return mathrand.NewChaCha8(k)
}
