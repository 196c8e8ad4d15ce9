package simstation

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/validatord"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
	"copystation/validatord/players"
	"copystation/validatord/vault"
)

// Helpers of TestTracedCopiesFourNodes: a test network run by the
// validatord commands, the traced title's image, a player, the trace
// answers, and `stationd disc check --out`.

// nodeInfo is what `validatord testnet --json` prints per node.
type nodeInfo struct {
	Home         string `json:"home"`
	SignerKey    string `json:"signer_key"`
	NoiseKey     string `json:"noise_key"`
	Gateway      string `json:"gateway"`
	RPC          string `json:"rpc"`
	CustodyGroup string `json:"custody_group"`
}

// startTestnet makes an n-node test network with `validatord testnet`,
// its genesis DKG drawing the nodes' secrets from dkgRand
// (validatord.MainDKGRand), and runs every node (validatord.Run: CometBFT
// and the gateway) until the test ends.
func startTestnet(ctx context.Context, t *testing.T, dkgRand io.Reader, dir string, n int) ([]nodeInfo, []*chain.Node) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := validatord.MainDKGRand(ctx, dkgRand, []string{"testnet", "--nodes", fmt.Sprint(n), "--out", dir, "--json"}, &out, &errb); code != validatord.ExitOK {
		t.Fatalf("validatord testnet = %d: %s", code, errb.String())
	}
	var infos []nodeInfo
	if err := json.Unmarshal(out.Bytes(), &infos); err != nil || len(infos) != n {
		t.Fatalf("testnet --json: %v, %d nodes", err, len(infos))
	}
	kek := readKEK(t, filepath.Join(dir, "kek"))
	var nodes []*chain.Node
	for _, in := range infos {
		started := make(chan *chain.Node, 1)
		runErr := make(chan error, 1)
		rctx, stop := context.WithCancel(context.Background())
		go func() {
			runErr <- validatord.Run(rctx, validatord.Config{Home: in.Home, KEK: kek},
				validatord.Deps{Started: func(n *chain.Node) { started <- n }, Notify: func(string) error { return nil }})
		}()
		t.Cleanup(func() { stop(); <-runErr })
		select {
		case nd := <-started:
			nodes = append(nodes, nd)
		case err := <-runErr:
			t.Fatalf("validatord.Run(%s) = %v", in.Home, err)
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	for _, nd := range nodes {
		if err := nd.WaitHeight(ctx, 2); err != nil {
			t.Fatal(err)
		}
	}
	return infos, nodes
}

func readKEK(t *testing.T, path string) []byte {
	t.Helper()
	p, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := hex.DecodeString(strings.TrimSpace(string(p))); err == nil && len(k) == 32 {
		return k
	}
	return p
}

// tracedImage writes the title's image and its variant files; it returns
// the image's path and the --variant arguments.
func tracedImage(t *testing.T, dir string) (string, []string) {
	t.Helper()
	sectors := 2*tracedSegments + 2
	sectors += (32 - sectors%32) % 32
	img := make([]byte, sectors*titlepkg.SectorSize)
	fill(img, 13)
	var args []string
	vdir := filepath.Join(dir, "variants")
	if err := os.MkdirAll(vdir, 0o700); err != nil {
		t.Fatal(err)
	}
	for s := range tracedSegments {
		at := 1 + 2*s
		v := bytes.Clone(img[at*titlepkg.SectorSize : (at+1)*titlepkg.SectorSize])
		v[7] ^= 0x10
		f := filepath.Join(vdir, fmt.Sprint(s))
		if err := os.WriteFile(f, v, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--variant", fmt.Sprintf("%d:%s", at, f))
	}
	path := filepath.Join(dir, "film.img")
	if err := os.WriteFile(path, img, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, args
}

// tracedPlayer enrolls a player at leaf 3 and makes its device keys from
// the partials of the nodes at homes (t of them), sealed to a file as
// `validatord player keys` writes it; it returns the file and its KEK file.
func tracedPlayer(ctx context.Context, t *testing.T, dir string, op *ledger.Admin, n *chain.Node, homes []string, kek []byte, params contract.Params) (string, string) {
	t.Helper()
	tr := params.Players()
	maker, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	body := contract.EnrollPlayerBody{Tree: tr.ID, Depth: tr.Depth, Leaf: 3, Maker: "test-maker", MakerKey: maker.PublicKey().Bytes()}
	if _, err := op.Do(ctx, "player enroll", contract.TxEnrollPlayer, body); err != nil {
		t.Fatal(err)
	}
	rec, err := n.App.Player(tr.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	var files [][]byte
	for _, h := range homes {
		ks, err := chain.OpenKeys(h, kek)
		if err != nil {
			t.Fatal(err)
		}
		ks.Follow(n.App)
		f, _, err := players.Partials(ks, tr, rec)
		ks.Close()
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	c, err := n.App.Custody()
	if err != nil {
		t.Fatal(err)
	}
	g, err := custody.UnmarshalGroup(c.Group)
	if err != nil {
		t.Fatal(err)
	}
	dk, err := players.Keys(maker, g, files)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := dk.MarshalBinary()
	pk := bytes.Repeat([]byte{0x4B}, 32)
	kekFile, keysFile := filepath.Join(dir, "player.kek"), filepath.Join(dir, "player.keys")
	if err := os.WriteFile(kekFile, pk, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := vault.SealFile(keysFile, pk, vault.LabelDeviceKeys, raw, nil); err != nil {
		t.Fatal(err)
	}
	return keysFile, kekFile
}

// traceAnswer runs `validatord trace answer` on a node, retrying while the
// opening request is not yet final on that node's own ledger.
func traceAnswer(ctx context.Context, t *testing.T, home, kekFile, out string) {
	t.Helper()
	for {
		var o, e bytes.Buffer
		code := validatord.Main(ctx, []string{"trace", "answer", "--home", home, "--kek-file", kekFile, "--opening", "leak-1", "--out", out}, &o, &e)
		if code == validatord.ExitOK {
			return
		}
		if !strings.Contains(e.String(), "final on its own ledger") || ctx.Err() != nil {
			t.Fatalf("trace answer --home %s = %d: %s", home, code, e.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// registerTraced runs `validatord title register`. The registration (about
// 170 KB of sealed shares, checked by every node) can outlast the RPC's
// write deadline on a loaded machine (-race, a busy CI host): the command
// then says the node cannot take transactions now, as CometBFT's
// broadcast_tx_commit closed the connection, though the transaction may
// well commit. So on that answer the test waits for the title to be on
// the ledger instead of failing.
func registerTraced(ctx context.Context, t *testing.T, b *ledger.Remote, args ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := validatord.Main(ctx, args, &out, &errb)
	if code == validatord.ExitOK {
		return
	}
	if !strings.Contains(errb.String(), "cannot take transactions now") {
		t.Fatalf("validatord %s = %d: %s", strings.Join(args, " "), code, errb.String())
	}
	t.Logf("title register: %s; waiting for the title on the ledger", strings.TrimSpace(errb.String()))
	for {
		var ti contract.Title
		if err := b.Query(ctx, "/title/film-t", &ti); err == nil && ti.Tracing != nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("title film-t not on the ledger after title register failed: %s", errb.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
