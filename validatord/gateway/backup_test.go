package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	vchain "copystation/validatord/chain"
	"copystation/validatord/embedded"
	"copystation/validatord/ledger"
	"copystation/validatord/vault"
)

// TestBackupRestore: node 3 of a 4-node custody network is backed up
// sealed under a backup key (no secret of its vault appears in the file,
// raw, hex or base64), its machine is lost, and the backup is restored onto
// a fresh home sealed under a new KEK; the restored node catches up, signs
// blocks with its validator key and releases its custody partial for a
// copy as before.
func TestBackupRestore(t *testing.T) {
	kek, newKEK, backupKey := make([]byte, 32), make([]byte, 32), make([]byte, 32)
	rand.Read(kek)
	rand.Read(newKEK)
	rand.Read(backupKey)
	c := startChainOpts(t, 4, embedded.Options{KEK: kek})
	st := softStation(t)
	c.registerTitleSegments("title-1", 4)
	c.enroll(st.signPub, st.exchanger.PublicKey())
	for i := range 2 {
		c.mint(fmt.Sprintf("tok-%d", i), "title-1", st.signPub)
	}
	pub, err := c.node(3).Comet.PrivValidator().GetPubKey()
	if err != nil {
		t.Fatal(err)
	}
	home := c.nw.Homes[3]
	sealed, err := vchain.Backup(home, kek, backupKey, nil)
	if err != nil {
		t.Fatalf("Backup = %v", err)
	}
	sec, err := vault.Load(filepath.Join(home, vchain.FileVault), kek)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string][]byte{"consensus": sec.ConsensusKey, "node": sec.NodeKey, "gateway": sec.GatewayKey,
		"signer": sec.SignerKey, "custody share": sec.CustodyShare, "custody key": sec.CustodyKey, "DKG": sec.DKGKey} {
		for _, form := range [][]byte{k, []byte(hex.EncodeToString(k)), []byte(base64.StdEncoding.EncodeToString(k))} {
			if len(k) > 0 && bytes.Contains(sealed, form) {
				t.Fatalf("the backup holds the %s key in plaintext", name)
			}
		}
	}
	sec.Wipe()

	// The machine is lost.
	if err := c.nw.Stop(3); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(home); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "node3")
	wrong := make([]byte, 32)
	if err := vchain.Restore(fresh, sealed, wrong, newKEK, nil); !errors.Is(err, vchain.ErrBackup) {
		t.Fatalf("Restore(wrong backup key) = %v, want %v", err, vchain.ErrBackup)
	}
	if err := vchain.Restore(fresh, sealed, backupKey, newKEK, nil); err != nil {
		t.Fatalf("Restore = %v", err)
	}
	if err := vchain.Restore(fresh, sealed, backupKey, newKEK, nil); !errors.Is(err, vchain.ErrHome) {
		t.Fatalf("Restore(over a node) = %v, want %v", err, vchain.ErrHome)
	}
	if _, err := vault.Load(filepath.Join(fresh, vchain.FileVault), kek); !errors.Is(err, vault.ErrSealed) {
		t.Fatalf("restored vault opens with the old KEK (%v): want it sealed under the new one only", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	node, err := vchain.Start(ctx, vchain.Options{Home: fresh, KEK: newKEK})
	if err != nil {
		t.Fatalf("Start(restored) = %v", err)
	}
	defer node.Stop()
	h, _ := c.node(0).App.LastCommit()
	if err := node.WaitHeight(ctx, h); err != nil {
		t.Fatal(err)
	}
	if err := node.WaitConsensus(ctx); err != nil {
		t.Fatal(err)
	}
	gwR := startNode(t, ledger.NewLocal(node), nodeOpts{})
	gw0 := startNode(t, c.node(0).Ledger, nodeOpts{})
	a, err := st.client(t, time.Now, gwR.pin, gw0.pin).Authorize(ctx, c.paramsFor("job-1", "tok-0", "title-1", []byte("media-1")))
	if err != nil {
		t.Fatalf("Authorize(restored node first) = %v", err)
	}
	a.Keys.Wipe()
	if !slices.Contains(a.Partials, gwR.server.NodeID()) || len(a.Rejected) != 0 {
		t.Fatalf("partials from %v, rejected %v; want the restored node's (%s) accepted", a.Partials, a.Rejected, gwR.server.NodeID())
	}
	// A block committed after the restore carries its signature.
	for {
		c.mint(fmt.Sprintf("tok-x%d", h), "title-1", st.signPub)
		h, _ = c.node(0).App.LastCommit()
		if cm, err := c.node(0).Client.Commit(ctx, &h); err == nil && signedBy(cm.Commit, pub.Address()) {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("no block up to height %d carries the restored validator's signature", h)
		}
	}
}

func signedBy(c *types.Commit, addr []byte) bool {
	for _, s := range c.Signatures {
		if bytes.Equal(s.ValidatorAddress, addr) && s.BlockIDFlag == types.BlockIDFlagCommit {
			return true
		}
	}
	return false
}
