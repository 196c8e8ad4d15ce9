package validatord

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"go.dedis.ch/kyber/v4"
	"os"
	"path/filepath"
	"testing"
	"time"

	"copystation/custody/playertree"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

// TestPlayerCommandsAfterEpoch: on a node started with Run, a resharing
// commits custody epoch 1 and the ceremony share is wiped from the vault
// (chain.WipeOldShares); `player extract` then signs with the epoch share
// and `player keys` checks it against the epoch's group, and the device
// keys verify under the unchanged group key the station table names.
func TestPlayerCommandsAfterEpoch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	c := &cli{t: t, ctx: ctx, home: filepath.Join(dir, "home"), kek: filepath.Join(dir, "kek")}
	node, kek := startNode(t, c)
	var tree struct {
		GroupKey string `json:"group_key"`
	}
	json.Unmarshal([]byte(c.ok("player", "tree", "--home", c.home, "--json")), &tree)

	reshareOne(t, c, node, kek)

	k, g := enrollAndExtractPlayer(t, c, dir, tree.GroupKey)
	if err := k.Verify(g); err != nil || k.Leaf != 9 {
		t.Fatalf("device keys after epoch 1 = leaf %d, Verify(genesis group key) = %v; want leaf 9, verified", k.Leaf, err)
	}
}

// reshareOne reshares the one-node network's custody to the same node
// (new share, same group key), commits epoch 1 and wipes the ceremony
// share from the vault, as chain.WipeOldShares does once the record
// commits.
func reshareOne(t *testing.T, c *cli, node *chain.Node, kek []byte) {
	t.Helper()
	cur, _, err := node.App.CurrentCustody()
	if err != nil {
		t.Fatal(err)
	}
	home := chain.ReshareHome{Home: c.home, KEK: kek}
	parts, err := chain.ReshareInProcess(node.App, []chain.ReshareHome{home}, cur.Nodes, 1)
	if err != nil {
		t.Fatalf("ReshareInProcess = %v", err)
	}
	op, err := (&env{ctx: c.ctx, home: c.home, kekFile: c.kek}).adminFor("", FileOperatorKey)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range parts {
		if _, err := op.Do(c.ctx, "custody epoch", contract.TxCustodyEpoch, p); err != nil {
			t.Fatalf("custody epoch part %d of %d: %v", i+1, len(parts), err)
		}
	}
	if _, e, err := node.App.CurrentCustody(); err != nil || e != 1 {
		t.Fatalf("custody epoch %d, %v; want 1", e, err)
	}
	if err := chain.WipeOldShares(home, 1); err != nil {
		t.Fatal(err)
	}
}

// runNode starts the node at c.home with Run until the test ends.
func runNode(t *testing.T, c *cli) (*chain.Node, []byte) {
	t.Helper()
	kek, err := (&env{kekFile: c.kek}).kek()
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan *chain.Node, 1)
	runErr := make(chan error, 1)
	rctx, stop := context.WithCancel(c.ctx)
	go func() {
		runErr <- Run(rctx, Config{Home: c.home, KEK: kek}, Deps{Started: func(n *chain.Node) { started <- n }, Notify: func(string) error { return nil }})
	}()
	var node *chain.Node
	select {
	case node = <-started:
	case err := <-runErr:
		t.Fatalf("Run() = %v", err)
	}
	t.Cleanup(func() {
		stop()
		if err := <-runErr; err != nil {
			t.Errorf("Run() after cancel = %v", err)
		}
	})
	if err := node.WaitHeight(c.ctx, 1); err != nil {
		t.Fatal(err)
	}
	return node, kek
}

// enrollAndExtractPlayer enrolls player leaf 9 of maker "acme" through the
// commands, extracts its partials from c's node and combines its device
// keys; it returns them and the group key parsed from groupKeyHex.
func enrollAndExtractPlayer(t *testing.T, c *cli, dir, groupKeyHex string) (*playertree.DeviceKeys, kyber.Point) {
	t.Helper()
	makerKEK := filepath.Join(dir, "maker.kek")
	os.WriteFile(makerKEK, bytes.Repeat([]byte{0x6D}, 32), 0o600)
	makerFile := filepath.Join(dir, "maker.key")
	var mk struct {
		MakerKey string `json:"maker_key"`
	}
	json.Unmarshal([]byte(c.ok("player", "maker-key", "--kek-file", makerKEK, "--out", makerFile, "--json")), &mk)
	c.ok("player", "enroll", "--home", c.home, "--kek-file", c.kek, "--leaf", "9", "--maker", "acme", "--maker-key", mk.MakerKey)
	partials := filepath.Join(dir, "node0.partials")
	c.ok("player", "extract", "--home", c.home, "--kek-file", c.kek, "--leaf", "9", "--out", partials)
	deviceFile := filepath.Join(dir, "player9.keys")
	c.ok("player", "keys", "--home", c.home, "--kek-file", makerKEK, "--maker-key", makerFile, "--out", deviceFile, "--partials", partials)
	raw, err := vault.OpenFile(deviceFile, bytes.Repeat([]byte{0x6D}, 32), vault.LabelDeviceKeys)
	if err != nil {
		t.Fatal(err)
	}
	k, err := playertree.ParseDeviceKeys(raw)
	if err != nil {
		t.Fatal(err)
	}
	gk, _ := hex.DecodeString(groupKeyHex)
	g, err := playertree.ParseGroupKey(gk)
	if err != nil {
		t.Fatal(err)
	}
	return k, g
}
