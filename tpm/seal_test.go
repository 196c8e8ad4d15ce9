package tpm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

func extendPCR(t *testing.T, tp transport.TPM, pcr int) {
	t.Helper()
	_, err := tpm2.PCRExtend{
		PCRHandle: tpm2.AuthHandle{Handle: tpm2.TPMHandle(pcr), Auth: tpm2.PasswordAuth(nil)},
		Digests: tpm2.TPMLDigestValues{Digests: []tpm2.TPMTHA{
			{HashAlg: tpm2.TPMAlgSHA256, Digest: bytes.Repeat([]byte{0xee}, 32)},
		}},
	}.Execute(tp)
	if err != nil {
		t.Fatalf("PCR_Extend(%d) = %v", pcr, err)
	}
}

func TestSealUnseal(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			tp := b.open(t)
			defer tp.Close()
			secret := []byte("noise static key 32 bytes long!!")
			cases := []struct {
				name   string
				pcrs   []int
				extend int // PCR to extend between seal and unseal; -1 none
				want   error
			}{
				{"no policy", nil, -1, nil},
				{"pcr policy holds", []int{7, 16}, -1, nil},
				{"pcr changed", []int{16}, 16, ErrPolicyMismatch},
				{"other pcr changed", []int{7}, 16, nil},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					blob, err := Seal(tp, secret, c.pcrs)
					if err != nil {
						t.Fatalf("Seal() = %v", err)
					}
					if c.extend >= 0 {
						extendPCR(t, tp, c.extend)
					}
					got, err := Unseal(tp, blob)
					if !errors.Is(err, c.want) {
						t.Fatalf("Unseal() = %v, want %v", err, c.want)
					}
					if c.want == nil && !bytes.Equal(got, secret) {
						t.Errorf("Unseal() = %q, want %q", got, secret)
					}
				})
			}
		})
	}
}

func TestSealRejects(t *testing.T) {
	tp, err := OpenSimulator(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	cases := []struct {
		name   string
		secret []byte
		pcrs   []int
	}{
		{"empty", nil, nil},
		{"too long", make([]byte, 129), nil},
		{"bad pcr", []byte("x"), []int{24}},
		{"repeated pcr", []byte("x"), []int{7, 7}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Seal(tp, c.secret, c.pcrs); !errors.Is(err, ErrSealInput) {
				t.Errorf("Seal(%s) = %v, want %v", c.name, err, ErrSealInput)
			}
		})
	}
	if _, err := Unseal(tp, []byte("CSTPMSEL\x01garbage")); !errors.Is(err, ErrBlob) {
		t.Errorf("Unseal(garbage) = %v, want %v", err, ErrBlob)
	}
}

func TestSealedSecretOfAnotherTPM(t *testing.T) {
	tp, err := OpenSimulator(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blob, err := Seal(tp, []byte("database key"), nil)
	tp.Close()
	if err != nil {
		t.Fatal(err)
	}
	tp, err = OpenSimulator(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	if _, err := Unseal(tp, blob); !errors.Is(err, ErrKeysUnloadable) {
		t.Errorf("Unseal(blob of another TPM) = %v, want %v", err, ErrKeysUnloadable)
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	simDir, dir := t.TempDir(), t.TempDir()
	calls := 0
	create := func() ([]byte, error) { calls++; return []byte("fresh database key"), nil }
	var first []byte
	for i := range 2 { // second round is a restart of the simulator
		tp, err := OpenSimulator(simDir)
		if err != nil {
			t.Fatal(err)
		}
		st, err := LoadOrCreate(tp, dir)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.LoadOrCreateSecret(DatabaseKeyFile, []int{7}, create)
		st.Close()
		tp.Close()
		if err != nil {
			t.Fatalf("LoadOrCreateSecret() round %d = %v", i, err)
		}
		if i == 0 {
			first = got
		} else if !bytes.Equal(got, first) {
			t.Errorf("LoadOrCreateSecret() after restart = %q, want %q", got, first)
		}
	}
	if calls != 1 {
		t.Errorf("create called %d times, want 1", calls)
	}
}
