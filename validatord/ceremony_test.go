package validatord

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"copystation/custody"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/genesis"
	"copystation/validatord/ledger"
	"copystation/validatord/vault"
)

// operatorNode is one operator's machine in the ceremony tests: its home
// and its own KEK.
type operatorNode struct {
	c    *cli
	desc string
}

// initOperators runs `validatord init` once per node, each with its own
// KEK, and exports each node's descriptor.
func initOperators(t *testing.T, ctx context.Context, dir string, n int) []operatorNode {
	t.Helper()
	var ops []operatorNode
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("op%d", i))
		c := &cli{t: t, ctx: ctx, home: filepath.Join(sub, "home"), kek: filepath.Join(sub, "kek")}
		c.ok("init", "--home", c.home, "--kek-file", c.kek, "--make-kek", "--moniker", fmt.Sprintf("studio%d", i),
			"--p2p", freeAddr(t), "--rpc", "tcp://"+freeAddr(t), "--gateway", freeAddr(t))
		desc := filepath.Join(dir, fmt.Sprintf("desc%d.json", i))
		c.ok("descriptor", "--home", c.home, "--kek-file", c.kek, "--out", desc)
		ops = append(ops, operatorNode{c: c, desc: desc})
	}
	return ops
}

// operatorKey makes a governance key with operator 0's KEK and writes its
// public half where assemble reads it.
func operatorKey(t *testing.T, c *cli, dir, name string) string {
	t.Helper()
	var key struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(c.ok("key", "new", "--kek-file", c.kek, "--out", filepath.Join(dir, name+".key"), "--json")), &key); err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(dir, name+".pub")
	if err := os.WriteFile(pubFile, []byte(key.PublicKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return pubFile
}

// assemble writes a ceremony file for the descriptors.
func assemble(t *testing.T, ops []operatorNode, dir, name string) string {
	t.Helper()
	out := filepath.Join(dir, name+".json")
	args := []string{"genesis", "assemble", "--chain-id", "studios", "--operator-key", operatorKey(t, ops[0].c, dir, name), "--out", out}
	for _, o := range ops {
		args = append(args, o.desc)
	}
	ops[0].c.ok(args...)
	return out
}

// mustHex decodes a KEK file as --make-kek writes it.
func mustHex(t *testing.T, p []byte) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(string(p)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runDKG runs `dkg run` for the given operators concurrently and returns
// each one's exit code and stderr.
func runDKG(ops []operatorNode, cer, exchange, timeout string) ([]int, []string) {
	codes, errs := make([]int, len(ops)), make([]string, len(ops))
	var wg sync.WaitGroup
	for i, o := range ops {
		wg.Go(func() {
			var out, eb bytes.Buffer
			codes[i] = Main(o.c.ctx, []string{"dkg", "run", "--home", o.c.home, "--kek-file", o.c.kek,
				"--ceremony", cer, "--exchange", exchange, "--timeout", timeout}, &out, &eb)
			errs[i] = eb.String()
		})
	}
	wg.Wait()
	return codes, errs
}

// TestMultiOperatorCeremony: four homes from four separate inits, their
// descriptors, one ceremony file, four concurrent `dkg run`s on one
// exchange directory. Every home ends with the same genesis, its own
// share, and t shares sign a copy label the genesis group verifies.
func TestMultiOperatorCeremony(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ops := initOperators(t, ctx, dir, 4)
	cer := assemble(t, ops, dir, "ceremony")
	exchange := filepath.Join(dir, "exchange")
	if err := os.Mkdir(exchange, 0o755); err != nil {
		t.Fatal(err)
	}
	codes, errs := runDKG(ops, cer, exchange, "2m")
	for i, c := range codes {
		if c != ExitOK {
			t.Fatalf("dkg run (node %d) = %d, stderr %q", i, c, errs[i])
		}
	}
	var gen []byte
	var shares []*custody.KeyShare
	for i, o := range ops {
		b, err := os.ReadFile(filepath.Join(o.c.home, chain.FileGenesis))
		if err != nil {
			t.Fatal(err)
		}
		if gen == nil {
			gen = b
		} else if !bytes.Equal(b, gen) {
			t.Fatalf("node %d's genesis.json differs from node 0's", i)
		}
		kek, err := os.ReadFile(o.c.kek)
		if err != nil {
			t.Fatal(err)
		}
		s, err := vault.Load(filepath.Join(o.c.home, chain.FileVault), mustHex(t, kek))
		if err != nil {
			t.Fatal(err)
		}
		ks, err := custody.UnmarshalKeyShare(s.CustodyShare)
		s.Wipe()
		if err != nil || ks.Node != i {
			t.Fatalf("node %d's vault share: %v, index %v; want share %d", i, err, ks, i)
		}
		shares = append(shares, ks)
		nc, err := chain.LoadNodeConfig(o.c.home)
		if err != nil || len(nc.Peers) != 3 {
			t.Fatalf("node %d's node.json peers = %v, %v; want the 3 others", i, nc, err)
		}
	}
	doc, err := types.GenesisDocFromJSON(gen)
	if err != nil {
		t.Fatalf("genesis.json: %v", err)
	}
	var app contract.Genesis
	if err := json.Unmarshal(doc.AppState, &app); err != nil {
		t.Fatal(err)
	}
	if len(doc.Validators) != 4 || app.Custody == nil || app.Custody.Threshold != 2 || len(app.Custody.Nodes) != 4 {
		t.Fatalf("genesis: %d validators, custody %+v; want 4 validators, 2 of 4", len(doc.Validators), app.Custody)
	}
	g, err := custody.UnmarshalGroup(app.Custody.Group)
	if err != nil {
		t.Fatal(err)
	}
	label, err := custody.CopyRecord{ChainID: "studios", TitleID: "film", JobID: "job-1", TokenID: "tok", StationKeyID: "st"}.Label()
	if err != nil {
		t.Fatal(err)
	}
	sign := func(nodes ...int) custody.Signature {
		var ps []custody.Partial
		for _, i := range nodes {
			p, err := custody.PartialSign(shares[i], label)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		sig, _, err := custody.Combine(g, label, ps)
		if err != nil {
			t.Fatalf("Combine(nodes %v) = %v", nodes, err)
		}
		return sig
	}
	a, b := sign(0, 3), sign(1, 2)
	if a != b {
		t.Fatalf("Combine(nodes 1, 2) = %x, want nodes 0 and 3's %x", b, a)
	}
	if err := custody.Verify(g.Key(), label, a); err != nil {
		t.Fatalf("Verify(genesis group key, combined) = %v", err)
	}
	startCeremonyNetwork(t, ctx, ops, filepath.Join(dir, "ceremony.key"))
}

// startCeremonyNetwork starts the four homes of the ceremony as a network
// and has the genesis operator key add an issuer through node 0: every
// node commits it to the same app hash.
func startCeremonyNetwork(t *testing.T, ctx context.Context, ops []operatorNode, opKeyFile string) {
	t.Helper()
	nodes := make([]*chain.Node, len(ops))
	defer func() {
		for _, n := range nodes {
			if n != nil {
				n.Stop()
			}
		}
	}()
	for i, o := range ops {
		kek, err := os.ReadFile(o.c.kek)
		if err != nil {
			t.Fatal(err)
		}
		if nodes[i], err = chain.Start(ctx, chain.Options{Home: o.c.home, KEK: mustHex(t, kek)}); err != nil {
			t.Fatalf("chain.Start(node %d) = %v", i, err)
		}
	}
	for i, n := range nodes {
		if err := n.WaitHeight(ctx, 1); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
	kek, err := os.ReadFile(ops[0].c.kek)
	if err != nil {
		t.Fatal(err)
	}
	opKey, err := vault.LoadSigningKey(opKeyFile, mustHex(t, kek))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ledger.Dial(nodes[0].Config.RPCListen)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := ledger.NewAdmin(b, opKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := vault.NewSigningKey(filepath.Join(t.TempDir(), "issuer.key"), mustHex(t, kek), nil)
	if err != nil {
		t.Fatal(err)
	}
	isPub, _ := issuer.PublicKey.Bytes()
	r, err := admin.Do(ctx, "AddIssuer", contract.TxAddIssuer, contract.AddIssuerBody{Key: isPub, Name: "studio issuer"})
	if err != nil {
		t.Fatalf("AddIssuer through node 0 = %v", err)
	}
	// The app hash after the issuer's block is in the header of the block
	// after it, which CometBFT makes because the app hash changed: every
	// node holding that block agreed on it.
	for i, n := range nodes {
		if err := n.WaitHeight(ctx, r.Height+1); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
	var want []byte
	for i, n := range nodes {
		meta := n.Comet.BlockStore().LoadBlockMeta(r.Height + 1)
		if meta == nil {
			t.Fatalf("node %d has no block %d", i, r.Height+1)
		}
		if want == nil {
			want = meta.Header.AppHash
		} else if !bytes.Equal(meta.Header.AppHash, want) {
			t.Fatalf("node %d: app hash %x after the issuer's block, node 0's %x", i, meta.Header.AppHash, want)
		}
	}
	t.Logf("issuer added at height %d; all 4 nodes hold block %d with app hash %x", r.Height, r.Height+1, want)
	spendThroughCeremony(t, ctx, nodes, admin, b, issuer)
}

// TestCeremonyRefusals: an edited descriptor is refused by assemble, and a
// node that never runs makes every other node's `dkg run` fail at its
// deadline, naming it.
func TestCeremonyRefusals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ops := initOperators(t, ctx, dir, 4)

	p, err := os.ReadFile(ops[1].desc)
	if err != nil {
		t.Fatal(err)
	}
	forged := filepath.Join(dir, "forged.json")
	if err := os.WriteFile(forged, bytes.Replace(p, []byte("studio1"), []byte("studio9"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := ops[0].c.run("genesis", "assemble", "--chain-id", "x", "--operator-key", operatorKey(t, ops[0].c, dir, "op"),
		"--out", filepath.Join(dir, "bad.json"), ops[0].desc, forged, ops[2].desc, ops[3].desc)
	if code != ExitFailed || !strings.Contains(errs, "signature does not verify") {
		t.Fatalf("genesis assemble (forged descriptor) = %d, stderr %q; want a refusal naming the signature", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.json")); err == nil {
		t.Errorf("genesis assemble wrote a ceremony file despite a forged descriptor")
	}
	if _, err := genesis.DecodeDescriptor(bytes.Replace(p, []byte("studio1"), []byte("studio9"), 1)); !errors.Is(err, genesis.ErrDescriptor) {
		t.Fatalf("DecodeDescriptor(edited moniker) = %v, want ErrDescriptor", err)
	}

	cer := assemble(t, ops, dir, "ceremony")
	exchange := filepath.Join(dir, "exchange")
	if err := os.Mkdir(exchange, 0o755); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(ops[0].c.home, chain.FileGenesis))
	if err != nil {
		t.Fatal(err)
	}
	codes, errl := runDKG(ops[:3], cer, exchange, "3s") // node 3's operator never runs
	for i, c := range codes {
		if c != ExitFailed || !strings.Contains(errl[i], "no deal file from node(s) 3") {
			t.Errorf("dkg run (node %d, node 3 absent) = %d, stderr %q; want a failure naming node 3", i, c, errl[i])
		}
	}
	if after, _ := os.ReadFile(filepath.Join(ops[0].c.home, chain.FileGenesis)); !bytes.Equal(after, before) {
		t.Errorf("a timed-out dkg run changed node 0's genesis.json")
	}
	// A DKG can't resume: the same directory again is refused at once.
	codes, errl = runDKG(ops[:1], cer, exchange, "1m")
	if codes[0] != ExitFailed || !strings.Contains(errl[0], "already holds this node's deal") {
		t.Errorf("dkg run (again, same exchange) = %d, stderr %q; want a refusal", codes[0], errl[0])
	}

	// A node that fails mid-ceremony (here node 3: the directory holds a
	// stale deal of its) says so in its abort file, and the others stop
	// on reading it rather than wait out their deadline.
	cer = assemble(t, ops, dir, "ceremony2")
	exchange = filepath.Join(dir, "exchange2")
	if err := os.Mkdir(exchange, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(exchange, "deal-3.bin"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	codes, errl = runDKG(ops, cer, exchange, "20s")
	for i, c := range codes[:3] {
		if c != ExitFailed || !strings.Contains(errl[i], "another node stopped the ceremony: node 3") {
			t.Errorf("dkg run (node %d, node 3 aborted) = %d, stderr %q; want a failure naming node 3's abort", i, c, errl[i])
		}
	}
	if codes[3] != ExitFailed || !strings.Contains(errl[3], "already holds this node's deal") {
		t.Errorf("dkg run (node 3, stale deal) = %d, stderr %q; want a refusal", codes[3], errl[3])
	}
}
