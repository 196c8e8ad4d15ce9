package validatord

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/custody"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// TestReshareRunSubmitCommands: on a one-node network started with Run,
// with one registered title, `reshare assemble`, `reshare run` and
// `reshare submit` reshare custody 1 → 1 to the same node through an
// exchange directory and the node's RPC: the ledger commits epoch 1 with
// the title's resealed shares, the running node signs with its epoch
// share (read from its vault by the key service itself, without a
// restart), and `player extract` signs with it into device keys that
// verify under the unchanged group key.
func TestReshareRunSubmitCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	c := &cli{t: t, ctx: ctx, home: filepath.Join(dir, "home"), kek: filepath.Join(dir, "kek")}
	rpc := "tcp://" + freeAddr(t)
	c.ok("init", "--home", c.home, "--kek-file", c.kek, "--make-kek", "--chain-id", "studios", "--p2p", freeAddr(t), "--rpc", rpc, "--gateway", freeAddr(t))
	node, kek := runNode(t, c)
	var tree struct {
		GroupKey string `json:"group_key"`
	}
	json.Unmarshal([]byte(c.ok("player", "tree", "--home", c.home, "--json")), &tree)

	img := filepath.Join(dir, "film.img")
	os.WriteFile(img, bytes.Repeat([]byte{0x42}, 64*2048), 0o600)
	variant := filepath.Join(dir, "b.bin")
	os.WriteFile(variant, bytes.Repeat([]byte{0x43}, 4*2048), 0o600)
	c.ok("title", "package", "--home", c.home, "--image", img, "--out", filepath.Join(dir, "pkg"), "--title", "film-1", "--variant", "8:"+variant)
	c.ok("title", "register", "--home", c.home, "--kek-file", c.kek, "--package", filepath.Join(dir, "pkg", "film-1.ctp"), "--name", "Film")

	desc := filepath.Join(dir, "node.desc")
	c.ok("descriptor", "--home", c.home, "--kek-file", c.kek, "--out", desc)
	session := filepath.Join(dir, "session.json")
	c.ok("reshare", "assemble", "--chain-id", "studios", "--epoch", "1", "--out", session, desc)
	exchange := filepath.Join(dir, "exchange")
	os.Mkdir(exchange, 0o755)
	var run struct {
		Parts int `json:"parts"`
	}
	json.Unmarshal([]byte(c.ok("reshare", "run", "--home", c.home, "--kek-file", c.kek, "--session", session, "--dir", exchange, "--node", rpc, "--json")), &run)
	if run.Parts != 2 {
		t.Errorf("reshare run wrote %d parts, want 2 (film-1's, then the record)", run.Parts)
	}
	checkSubmitRefusals(t, c, exchange, session, rpc)
	if _, e, _ := node.App.CurrentCustody(); e != 0 {
		t.Fatalf("after refused submits the ledger is at custody epoch %d, want 0: a refusal submitted parts", e)
	}
	c.ok("reshare", "submit", "--home", c.home, "--kek-file", c.kek, "--session", session, "--dir", exchange, "--node", rpc)

	cur, e, err := node.App.CurrentCustody()
	if err != nil || e != 1 || len(cur.Nodes) != 1 {
		t.Fatalf("custody in force = epoch %d, %v; want epoch 1 of one node", e, err)
	}
	ce, err := node.App.CustodyEpoch()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := custody.UnmarshalEpochRecord(ce.Record)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.Roots("film-1"); !ok {
		t.Errorf("epoch 1's record does not name film-1")
	}
	if _, err := node.App.EpochTitleShares("film-1", 1, 0); err != nil {
		t.Errorf("film-1's shares of epoch 1 = %v; want them committed", err)
	}
	// the running node signs in epoch 1 with the share `reshare run`
	// sealed into its vault: no restart, no call to load it
	in, err := node.Keys.ShareInForce()
	if err != nil || in.Epoch != 1 {
		t.Fatalf("running node: ShareInForce() = epoch %d, %v; want epoch 1's share", in.Epoch, err)
	}
	probe := []byte("reshare run probe")
	p, err := custody.PartialSign(in.Share, probe)
	in.Done()
	if err != nil || custody.VerifyPartial(in.Group, probe, p) != nil {
		t.Fatalf("running node's epoch 1 share: partial does not verify against epoch 1's group (%v)", err)
	}
	c.ok("reshare", "finish", "--home", c.home, "--kek-file", c.kek)
	sec, err := vault.Load(filepath.Join(c.home, chain.FileVault), kek)
	if err != nil {
		t.Fatal(err)
	}
	if sec.CustodyShare != nil || len(sec.EpochShares) != 1 || sec.EpochShares[0].Epoch != 1 {
		t.Errorf("after reshare finish the vault holds ceremony share %v and epoch shares %+v; want epoch 1's only", sec.CustodyShare != nil, sec.EpochShares)
	}
	sec.Wipe()

	k, g := enrollAndExtractPlayer(t, c, dir, tree.GroupKey)
	if err := k.Verify(g); err != nil {
		t.Fatalf("device keys after epoch 1: Verify(genesis group key) = %v", err)
	}
}

// checkSubmitRefusals: `reshare submit` refuses, naming the file and
// submitting nothing, an exchange directory (holding the session's epoch
// 1 parts 0 and 1) that also holds another epoch's part, a part whose
// body names another epoch, or a record of another chain.
func checkSubmitRefusals(t *testing.T, c *cli, exchange, session, rpc string) {
	t.Helper()
	rec, err := os.ReadFile(filepath.Join(exchange, "epoch-1-part-00001.json"))
	if err != nil {
		t.Fatal(err)
	}
	var body contract.CustodyEpochBody
	if err := json.Unmarshal(rec, &body); err != nil {
		t.Fatal(err)
	}
	r, err := custody.UnmarshalEpochRecord(body.Record)
	if err != nil {
		t.Fatal(err)
	}
	r.ChainID = "other-chain"
	other := body
	other.Record, _ = r.MarshalBinary()
	otherEpoch := body
	otherEpoch.Epoch = 2
	for _, tc := range []struct {
		name, file string
		body       contract.CustodyEpochBody
		replace    bool // the file stands for the session's record part
	}{
		{"another epoch's part", "epoch-2-part-00000.json", body, false},
		{"a body of another epoch", "epoch-1-part-00001.json", otherEpoch, true},
		{"a record of another chain", "epoch-1-part-00001.json", other, true},
	} {
		path := filepath.Join(exchange, tc.file)
		js, _ := json.Marshal(tc.body)
		if err := os.WriteFile(path, js, 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errs := c.run("reshare", "submit", "--home", c.home, "--kek-file", c.kek, "--session", session, "--dir", exchange, "--node", rpc)
		if code != ExitFailed || !strings.Contains(errs, tc.file) || !strings.Contains(errs, ErrForeignPart.Error()) {
			t.Errorf("%s: reshare submit = %d, stderr %q; want %d naming %s and %q", tc.name, code, errs, ExitFailed, tc.file, ErrForeignPart)
		}
		if tc.replace {
			os.WriteFile(path, rec, 0o644)
		} else {
			os.Remove(path)
		}
	}
}
