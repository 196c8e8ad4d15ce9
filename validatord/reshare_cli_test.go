package validatord

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/validatord/genesis"
)

// TestReshareAssembleCommand: `validatord reshare assemble` writes a
// session file, readable by every operator, that decodes to the new set in
// the order given with the epoch, threshold and a fresh nonce; a missing
// epoch is a usage error and a forged descriptor a refusal that writes
// nothing.
func TestReshareAssembleCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ops := initOperators(t, ctx, dir, 2)
	out := filepath.Join(dir, "session.json")
	c := ops[0].c
	c.ok("reshare", "assemble", "--chain-id", "studios", "--epoch", "1", "--threshold", "2", "--out", out, ops[1].desc, ops[0].desc)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s, err := genesis.DecodeReshare(b)
	if err != nil {
		t.Fatalf("DecodeReshare(written session) = %v", err)
	}
	if s.ChainID != "studios" || s.Epoch != 1 || s.Threshold != 2 || len(s.Nodes) != 2 {
		t.Errorf("session = chain %q epoch %d threshold %d nodes %d, want studios, 1, 2, 2", s.ChainID, s.Epoch, s.Threshold, len(s.Nodes))
	}
	for j, o := range []operatorNode{ops[1], ops[0]} {
		p, _ := os.ReadFile(o.desc)
		d, err := genesis.DecodeDescriptor(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.NewNodes()[j].DKGKey, d.Descriptor.DKGKey) {
			t.Errorf("session node %d is not descriptor %s", j, o.desc)
		}
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("session file mode = %v (%v), want 0644", st.Mode().Perm(), err)
	}

	if code, _, errs := c.run("reshare", "assemble", "--chain-id", "studios", "--out", filepath.Join(dir, "x.json"), ops[0].desc); code != ExitUsage || !strings.Contains(errs, "--epoch") {
		t.Errorf("reshare assemble (no --epoch) = %d, stderr %q; want %d naming --epoch", code, errs, ExitUsage)
	}
	p, _ := os.ReadFile(ops[1].desc)
	forged := filepath.Join(dir, "forged.json")
	if err := os.WriteFile(forged, bytes.Replace(p, []byte("studio1"), []byte("studio9"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if code, _, errs := c.run("reshare", "assemble", "--chain-id", "studios", "--epoch", "1", "--out", bad, ops[0].desc, forged); code != ExitFailed || !strings.Contains(errs, "signature does not verify") {
		t.Errorf("reshare assemble (forged descriptor) = %d, stderr %q; want a refusal naming the signature", code, errs)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Errorf("reshare assemble wrote a session file despite a forged descriptor")
	}
}
