package tpm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"net/url"
	"strings"
	"testing"

	"copystation/tpm/tpmtest"

	"github.com/google/go-tpm/tpm2"
)

// TestReloadAfterTPMReset resets an swtpm under an open station (CMD_INIT
// on its control channel, as a power cycle): the loaded keys are gone, and
// the next signature reloads them and succeeds.
func TestReloadAfterTPMReset(t *testing.T) {
	sw := tpmtest.StartSwtpm(t, tpmtest.Options{})
	tp, err := Open(sw.URI())
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	counter := NewCounter(tp)
	st := mustStation(t, counter, t.TempDir())
	u, err := url.Parse("unix://" + strings.TrimPrefix(sw.URI(), "swtpm:unix:"))
	if err != nil {
		t.Fatal(err)
	}
	if err := swtpmInit("unix", u.Query().Get("ctrl")); err != nil {
		t.Fatalf("CMD_INIT = %v", err)
	}
	counter.Reset()
	digest := sha256.Sum256([]byte("after reset"))
	sig, err := st.Signer().Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("Sign() after TPM reset = %v, want a reload and a signature", err)
	}
	if !ecdsa.VerifyASN1(st.SigningPublicKey(), digest[:], sig) {
		t.Errorf("signature after reload does not verify")
	}
	// The first try fails in its policy session (the TPM lost its state),
	// so the keys are loaded again and one TPM2_Sign succeeds.
	if got := counter.Counts(); got[tpm2.TPMCCSign] != 1 || got[tpm2.TPMCCLoad] != 2 {
		t.Errorf("commands after reset = %v, want two TPM2_Load and one TPM2_Sign", got)
	}
}
