package tpm

import (
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-tpm/tpm2"
)

// TestKeysBoundToPCRs: the station keys work in the boot state they were
// made in and are refused, with ErrPolicyMismatch naming the PCR, once a
// bound PCR changes; a PCR outside StationPCRs does not matter.
func TestKeysBoundToPCRs(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			tp := b.open(t)
			defer tp.Close()
			dir := t.TempDir()
			st := mustStation(t, tp, dir)
			digest := sha256.Sum256([]byte("copy request"))
			peer, err := ecdh.P256().GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			use := func() (signErr, ecdhErr error) {
				_, signErr = st.Signer().Sign(rand.Reader, digest[:], crypto.SHA256)
				_, ecdhErr = st.KeyExchanger().ECDH(peer.PublicKey())
				return
			}
			if s, e := use(); s != nil || e != nil {
				t.Fatalf("Sign, ECDH in the enrolled boot state = %v, %v, want nil", s, e)
			}
			extendPCR(t, tp, 16) // the debug PCR, not bound
			if s, e := use(); s != nil || e != nil {
				t.Fatalf("Sign, ECDH after PCR 16 changed = %v, %v, want nil", s, e)
			}

			extendPCR(t, tp, 7) // another Secure Boot policy
			s, e := use()
			for _, err := range []error{s, e} {
				if !errors.Is(err, ErrPolicyMismatch) {
					t.Fatalf("use after PCR 7 changed = %v, want %v", err, ErrPolicyMismatch)
				}
				if !strings.Contains(err.Error(), "PCR 7") || !strings.Contains(err.Error(), "stationd tpm init") {
					t.Errorf("error %q does not name PCR 7 and say how to re-provision", err)
				}
			}
			t.Logf("refused: %v", s)

			// Loading again keeps the key (no silent re-creation) and
			// still refuses.
			st.Close()
			st2 := mustStation(t, tp, dir)
			if _, err := st2.Signer().Sign(rand.Reader, digest[:], crypto.SHA256); !errors.Is(err, ErrPolicyMismatch) {
				t.Errorf("Sign after reload = %v, want %v", err, ErrPolicyMismatch)
			}
		})
	}
}

// TestUnboundKeyRefused: a key blob made before PCR binding (userWithAuth,
// no policy) is refused at load with what to do.
func TestUnboundKeyRefused(t *testing.T) {
	tp, err := OpenSimulator(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	dir := t.TempDir()
	err = withSRK(tp, func(srk tpm2.AuthHandle) error {
		for _, k := range []*key{{file: SigningKeyFile, template: signingTemplate}, {file: AgreementKeyFile, template: agreementTemplate}} {
			tmpl := k.template()
			tmpl.ObjectAttributes.UserWithAuth = true // as made before binding
			rsp, err := tpm2.Create{ParentHandle: srk, InPublic: tpm2.New2B(tmpl)}.Execute(tp)
			if err != nil {
				return err
			}
			blob := encodeFields(blobMagic, blobVersion, srk.Name.Buffer, tpm2.Marshal(rsp.OutPublic), tpm2.Marshal(rsp.OutPrivate))
			if err := os.WriteFile(filepath.Join(dir, k.file), blob, 0o600); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(tp, dir); !errors.Is(err, ErrKeysUnbound) || !strings.Contains(err.Error(), "stationd tpm init") {
		t.Errorf("Load(unbound keys) = %v, want %v saying how to re-provision", err, ErrKeysUnbound)
	}
}
