package keyservice

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"copystation/custody"
	"copystation/validatord/vault"
)

// fileVault is a node's vault file as chain.Node gives it to the key
// service, counting how often it is opened.
type fileVault struct {
	path  string
	kek   []byte
	opens int
}

func (v *fileVault) Stamp() (string, error) {
	fi, err := os.Stat(v.path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d/%d", fi.Size(), fi.ModTime().UnixNano()), nil
}

func (v *fileVault) EpochShares(e uint32) ([]*custody.KeyShare, error) {
	v.opens++
	sec, err := vault.Load(v.path, v.kek)
	if err != nil {
		return nil, err
	}
	defer sec.Wipe()
	var out []*custody.KeyShare
	for _, es := range sec.EpochShares {
		if es.Epoch == e {
			ks, err := custody.UnmarshalKeyShare(es.Share)
			if err != nil {
				return nil, err
			}
			out = append(out, ks)
		}
	}
	return out, nil
}

func (v *fileVault) save(t *testing.T, e uint32, shares ...*custody.KeyShare) {
	t.Helper()
	sec := &vault.Secrets{}
	for _, s := range shares {
		b, _ := s.MarshalBinary()
		sec.EpochShares = append(sec.EpochShares, vault.EpochShare{Epoch: e, Share: b})
	}
	if err := vault.Save(v.path, v.kek, sec, nil); err != nil {
		t.Fatal(err)
	}
}

// TestEpochShareFromVault: a running node that joined in epoch 1 takes
// its share from its vault once the record is in force, without being
// given it: it opens the vault once while the vault lacks the share (and
// not on every request), again once the vault is rewritten, refuses a
// share of another group (ErrForeignEpochShare), takes the epoch's share
// and then releases with it, opening the vault no more.
func TestEpochShareFromVault(t *testing.T) {
	f := newEpochFix(t)
	f.reshare(t, 1, []int{0, 1, 2, 3, 4})
	kek := make([]byte, 32)
	rand.Read(kek)
	v := &fileVault{path: filepath.Join(t.TempDir(), "vault"), kek: kek}
	v.save(t, 1)
	s := f.service(4, 0) // started before the resharing: no share of epoch 1
	s.ReadSharesFrom(v)
	partial := func() error { _, _, err := s.Partial(f.title, f.st, copyOf("j1"), info1, nil); return err }

	for range 3 {
		if err := partial(); !errors.Is(err, ErrNotInEpoch) {
			t.Fatalf("vault without the share: Partial() = %v, want ErrNotInEpoch", err)
		}
	}
	if v.opens != 1 {
		t.Errorf("vault without the share: opened %d times over three requests, want 1", v.opens)
	}
	v.save(t, 1, f.shares[0][0]) // a share, but of the genesis group
	if err := partial(); !errors.Is(err, ErrForeignEpochShare) {
		t.Fatalf("vault with another group's share: Partial() = %v, want ErrForeignEpochShare", err)
	}
	if err := partial(); !errors.Is(err, ErrForeignEpochShare) || v.opens != 2 {
		t.Fatalf("again: Partial() = %v after %d opens; want ErrForeignEpochShare after 2", err, v.opens)
	}
	v.save(t, 1, f.shares[0][0], f.shares[1][4])
	f.copyThrough(t, 1, "j1", s, f.service(1, 1), 4, 1)
	f.copyThrough(t, 1, "j2", s, f.service(1, 1), 4, 1)
	if v.opens != 3 {
		t.Errorf("vault opened %d times, want 3 (once per rewrite)", v.opens)
	}
}
