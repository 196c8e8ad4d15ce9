package embedded

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

// Environment of a child node process (see TestMain).
const (
	envChildHome = "EMBEDDED_CHILD_HOME"
	envChildKEK  = "EMBEDDED_CHILD_KEK"
)

// TestMain lets the test binary run as a node process, so a test can kill
// a node with SIGKILL: a real crash, with whatever the kernel had not yet
// written lost.
func TestMain(m *testing.M) {
	if home := os.Getenv(envChildHome); home != "" {
		os.Exit(runChild(home, os.Getenv(envChildKEK)))
	}
	os.Exit(m.Run())
}

func runChild(home, kekHex string) int {
	childProfiling(home)
	kek, err := hex.DecodeString(kekHex)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: bad KEK:", err)
		return 2
	}
	n, err := chain.Start(context.Background(), chain.Options{Home: home, KEK: kek})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer n.Stop()
	// Until killed, or until the parent is gone: stdin is a pipe whose
	// only writer is the parent (startChild), so a parent that exits or
	// crashes, however it ends, closes it and leaves no node behind. The
	// parent may send commands on it (childServe).
	childServe(n, os.Stdin)
	return 0
}

// child is a node process; exited is closed when it ends, with err set.
type child struct {
	cmd    *exec.Cmd
	stdin  io.Writer // commands to childServe
	exited chan struct{}
	err    error
}

// startChild runs a node from home in a child process; the test's (or
// benchmark's) cleanup kills it, and it stops by itself if this process
// ends without cleaning up.
func startChild(t testing.TB, home string, kek []byte) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildHome+"="+home, envChildKEK+"="+hex.EncodeToString(kek))
	cmd.Stderr = os.Stderr
	// The write end stays open in this process alone (close-on-exec keeps
	// it out of other children) until the process ends.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("start child node: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child node: %v", err)
	}
	c := &child{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-c.exited; stdin.Close() })
	return c
}

// kill ends the child with SIGKILL and waits for it.
func (c *child) kill() error {
	err := c.cmd.Process.Kill()
	<-c.exited
	return err
}

// abciInfo asks a node over RPC for its last committed height and app hash.
func abciInfo(ctx context.Context, c *rpchttp.HTTP) (int64, []byte, error) {
	r, err := c.ABCIInfo(ctx)
	if err != nil {
		return 0, nil, err
	}
	return r.Response.LastBlockHeight, r.Response.LastBlockAppHash, nil
}

// TestKilledNode runs node 3 of four as its own process and kills it with
// SIGKILL while spends stream through the others: no spend fails, and the
// node, started again, catches up to the same height and app hash as the
// rest and serves spends.
func TestKilledNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four CometBFT nodes, one in a child process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir, kek := t.TempDir(), make([]byte, 32)
	rand.Read(kek)
	opKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	isKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	opPub, _ := opKey.PublicKey.Bytes()
	isPub, _ := isKey.PublicKey.Bytes()
	homes, err := chain.Testnet(dir, 4, kek, chain.GenesisOptions{Operators: [][]byte{opPub}, Issuers: []contract.Issuer{{Key: isPub}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var nodes [3]*chain.Node
	for i := range nodes {
		if nodes[i], err = chain.Start(ctx, chain.Options{Home: homes[i], KEK: kek}); err != nil {
			t.Fatalf("Start(node %d) = %v", i, err)
		}
		defer nodes[i].Stop()
	}
	child := startChild(t, homes[3], kek)
	cfg3, _ := chain.LoadNodeConfig(homes[3])
	rpc3, err := rpchttp.New(cfg3.RPCListen)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodes[0].WaitHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	l0 := ledger.NewLocal(nodes[0])
	en := &Node{Node: nodes[0], Ledger: l0}
	if en.Operator, err = ledger.NewAdmin(l0, opKey, nil); err != nil {
		t.Fatal(err)
	}
	if en.Issuer, err = ledger.NewAdmin(l0, isKey, nil); err != nil {
		t.Fatal(err)
	}
	st := newStation(t)
	setup(t, ctx, en, st)

	const total = 16
	for i := range total {
		if err := en.Issuer.MintToken(ctx, fmt.Sprintf("k-%d", i), "film-1", st.signPub); err != nil {
			t.Fatal(err)
		}
	}
	for i := range total {
		if i == total/3 {
			if err := child.kill(); err != nil {
				t.Fatalf("kill node 3: %v", err)
			}
		}
		tok := fmt.Sprintf("k-%d", i)
		req, sig := st.request(t, "job-"+tok, tok, "m")
		if _, err := ledger.NewLocal(nodes[i%3]).Spend(ctx, st.signPub, req, sig); err != nil {
			t.Fatalf("Spend(%s) via node %d, node 3 killed = %v", tok, i%3, err)
		}
	}

	// A restarted node that can't start (a port taken while it was down,
	// a store it can't open) exits at once with the reason on stderr: fail
	// with it rather than wait out the deadline on "connection refused".
	restarted := startChild(t, homes[3], kek)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		h0, a0 := nodes[0].App.LastCommit()
		h3, a3, err := abciInfo(ctx, rpc3)
		if err == nil && h3 == h0 && bytes.Equal(a3, a0) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("restarted node 3 at height %d hash %x (%v), node 0 at %d hash %x", h3, a3, err, h0, a0)
		case <-restarted.exited:
			t.Fatalf("restarted node 3 exited: %v (its reason is on stderr above)", restarted.err)
		case <-tick.C:
		}
	}
	// The restarted node takes spends again.
	if err := en.Issuer.MintToken(ctx, "k-after", "film-1", st.signPub); err != nil {
		t.Fatal(err)
	}
	req, sig := st.request(t, "job-after", "k-after", "m")
	tx, _ := contract.NewSpendTx(st.signPub, req, sig)
	r3, err := ledger.Dial(cfg3.RPCListen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r3.Submit(ctx, "spend via restarted node 3", tx); err != nil {
		t.Fatalf("spend via restarted node 3 = %v", err)
	}
}
