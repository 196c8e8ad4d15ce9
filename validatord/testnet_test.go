package validatord

import (
	"bytes"
	"context"
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

	"copystation/custody"
	"copystation/validatord/chain"
)

// TestTestnetAsDocumented walks the test network commands as
// docs/validatord.md gives them: testnet on fixed ports (--base-port),
// start node0, then governance commands with --home node0 and the KEK,
// which find the operator and issuer keys testnet wrote beside the homes;
// with a key file gone, the error says where it looked and names the flag.
func TestTestnetAsDocumented(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	ports, err := chain.FreePorts(chain.PortsPerNode)
	if err != nil {
		t.Fatal(err)
	}
	base := ports[0]
	c := &cli{t: t, ctx: ctx}
	var infos []nodeInfo
	json.Unmarshal([]byte(c.ok("testnet", "--nodes", "1", "--out", dir, "--base-port", fmt.Sprint(base), "--json")), &infos)
	if len(infos) != 1 || infos[0].P2P != fmt.Sprintf("127.0.0.1:%d", base) || infos[0].RPC != fmt.Sprintf("tcp://127.0.0.1:%d", base+1) ||
		infos[0].Gateway != fmt.Sprintf("127.0.0.1:%d", base+2) {
		t.Fatalf("testnet --base-port %d = %+v, want p2p, RPC and gateway on %d, %d, %d", base, infos, base, base+1, base+2)
	}
	home, kekFile := filepath.Join(dir, "node0"), filepath.Join(dir, "kek")
	kek, err := (&env{kekFile: kekFile}).kek()
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan *chain.Node, 1)
	runErr := make(chan error, 1)
	rctx, stop := context.WithCancel(ctx)
	go func() {
		runErr <- Run(rctx, Config{Home: home, KEK: kek}, Deps{Started: func(n *chain.Node) { started <- n }, Notify: func(string) error { return nil }})
	}()
	defer func() { stop(); <-runErr }()
	select {
	case n := <-started:
		if err := n.WaitHeight(ctx, 1); err != nil {
			t.Fatal(err)
		}
	case err := <-runErr:
		t.Fatalf("Run(node0) = %v", err)
	}
	var owner struct {
		PublicKey string `json:"public_key"`
	}
	json.Unmarshal([]byte(c.ok("key", "new", "--out", filepath.Join(dir, "owner.key"), "--kek-file", kekFile, "--json")), &owner)
	// Signed with the keys found beside the home, the transactions reach
	// the contract, which refuses them for what they say, not who signs.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"station", "revoke", "--home", home, "--kek-file", kekFile, "--id", "nope", "--reason", "test"}, "unknown-station"},
		{[]string{"token", "mint", "--home", home, "--kek-file", kekFile, "--id", "t", "--title", "nope", "--owner", owner.PublicKey}, "unknown-title"},
	} {
		if code, _, errs := c.run(tc.args...); code != ExitFailed || !strings.Contains(errs, tc.want) {
			t.Errorf("Main(%q) = %d, stderr %q; want %d and %q", tc.args, code, errs, ExitFailed, tc.want)
		}
	}
	if err := os.Rename(filepath.Join(dir, FileOperatorKey), filepath.Join(dir, "elsewhere.key")); err != nil {
		t.Fatal(err)
	}
	code, _, errs := c.run("station", "revoke", "--home", home, "--kek-file", kekFile, "--id", "nope", "--reason", "test")
	for _, w := range []string{filepath.Join(home, FileOperatorKey), filepath.Join(dir, FileOperatorKey), "--operator-key"} {
		if code != ExitFailed || !strings.Contains(errs, w) {
			t.Errorf("station revoke with no operator key = %d, stderr %q; want %d and %q", code, errs, ExitFailed, w)
		}
	}
}

// TestTestnetKeysFresh: `validatord testnet` run twice makes two networks
// with different keys (custody group key, node signing and Noise keys): no
// fixed randomness reaches the command line. MainDKGRand, which tests use
// to repeat a network's codewords, repeats the group key alone.
func TestTestnetKeysFresh(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	testnet := func(name string, dkgRand io.Reader) (groupKey []byte, signer, noise string) {
		t.Helper()
		var out, errb bytes.Buffer
		args := []string{"testnet", "--nodes", "2", "--out", filepath.Join(dir, name), "--json"}
		var code int
		if dkgRand == nil {
			code = Main(ctx, args, &out, &errb)
		} else {
			code = MainDKGRand(ctx, dkgRand, args, &out, &errb)
		}
		var infos []nodeInfo
		if err := json.Unmarshal(out.Bytes(), &infos); code != ExitOK || err != nil || len(infos) != 2 {
			t.Fatalf("Main(%q) = %d, %v: %s", args, code, err, errb.String())
		}
		raw, err := hex.DecodeString(infos[0].CustodyGroup)
		if err != nil {
			t.Fatal(err)
		}
		g, err := custody.UnmarshalGroup(raw)
		if err != nil {
			t.Fatal(err)
		}
		return g.KeyBytes(), infos[0].SignerKey, infos[0].NoiseKey
	}
	g1, s1, n1 := testnet("a", nil)
	g2, s2, n2 := testnet("b", nil)
	if bytes.Equal(g1, g2) || s1 == s2 || n1 == n2 {
		t.Errorf("two `validatord testnet` runs share keys: group %t, signer %t, noise %t; want none shared", bytes.Equal(g1, g2), s1 == s2, n1 == n2)
	}
	seed := func() io.Reader { return mathrand.NewChaCha8([32]byte{1}) }
	g3, s3, _ := testnet("c", seed())
	g4, s4, _ := testnet("d", seed())
	if !bytes.Equal(g3, g4) || s3 == s4 {
		t.Errorf("MainDKGRand with one seed twice: same group key %t, same signer %t; want the group key alone repeated", bytes.Equal(g3, g4), s3 == s4)
	}
}
