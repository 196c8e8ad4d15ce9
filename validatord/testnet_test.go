package validatord

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
