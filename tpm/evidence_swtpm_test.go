package tpm

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"

	"copystation/internal/testenv"
	"copystation/tpm/tpmtest"
)

// swtpm_setup's local CA, which issues the EK certificates of a swtpm made
// with --create-ek-cert.
const (
	swtpmRootCA   = "/var/lib/swtpm-localca/swtpm-localca-rootca-cert.pem"
	swtpmIssuerCA = "/var/lib/swtpm-localca/issuercert.pem"
)

func certPool(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		testenv.Requiref(t, "swtpm local CA certificate %s (swtpm_setup makes it with /etc/swtpm-localca.conf): %v", path, err)
	}
	pool := x509.NewCertPool()
	for blk, rest := pem.Decode(b); blk != nil; blk, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		pool.AddCert(c)
	}
	return pool
}

// TestEvidenceWithEKCertificate enrolls an swtpm that holds an EK
// certificate from swtpm's local CA: the chain anchors the EK, and the
// credential challenge binds the attestation key to it.
func TestEvidenceWithEKCertificate(t *testing.T) {
	sw := tpmtest.StartSwtpm(t, tpmtest.Options{EKCert: true})
	tp, err := Open(sw.URI())
	if err != nil {
		t.Fatalf("Open(%s) = %v", sw.URI(), err)
	}
	defer tp.Close()
	st := mustStation(t, tp, t.TempDir())
	nonce := []byte("nonce")
	req, err := st.Evidence(nonce)
	if err != nil {
		t.Fatalf("Evidence() = %v", err)
	}
	if len(req.EK.Certificate) == 0 {
		t.Fatalf("Evidence() has no EK certificate, want the one swtpm_setup made")
	}
	roots := certPool(t, swtpmRootCA)
	opts := VerifyOptions{Nonce: nonce, EKRoots: roots, EKIntermediates: certPool(t, swtpmIssuerCA)}
	v, err := VerifyEvidence(clone(t, req), opts)
	if err != nil {
		t.Fatalf("VerifyEvidence() = %v, want nil", err)
	}
	if v.EKAnchor != "certificate" {
		t.Errorf("EKAnchor = %q, want certificate", v.EKAnchor)
	}
	ch, secret, err := NewCredentialChallenge(rand.Reader, req)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := st.ActivateCredential(ch)
	if err != nil {
		t.Fatalf("ActivateCredential() = %v", err)
	}
	if err := CheckActivation(secret, answer); err != nil {
		t.Errorf("CheckActivation() = %v", err)
	}

	// An EK certificate from an untrusted CA does not anchor.
	other := x509.NewCertPool()
	if _, err := VerifyEvidence(clone(t, req), VerifyOptions{EKRoots: other}); err == nil {
		t.Errorf("VerifyEvidence(untrusted roots) = nil, want an error")
	}
}
