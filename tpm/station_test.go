package tpm

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"copystation/keys"
	"copystation/tpm/tpmtest"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// backend opens one kind of real TPM for a test; restart power-cycles it
// keeping its state.
type backend struct {
	name    string
	open    func(t *testing.T) transport.TPMCloser
	restart func(t *testing.T)
}

// backends returns the in-process simulator and, when installed, an swtpm
// process. Only one simulator runs per process, so callers close each TPM
// before opening the next.
func backends(t *testing.T) []backend {
	simDir := t.TempDir()
	bs := []backend{{
		name: "simulator",
		open: func(t *testing.T) transport.TPMCloser {
			tp, err := OpenSimulator(simDir)
			if err != nil {
				t.Fatalf("OpenSimulator() = %v", err)
			}
			return tp
		},
		restart: func(*testing.T) {}, // every open is a fresh manufacture
	}}
	bs = append(bs, backend{name: "swtpm", open: func(t *testing.T) transport.TPMCloser {
		sw := swtpmFor(t)
		tp, err := Open(sw.URI())
		if err != nil {
			t.Fatalf("Open(%s) = %v", sw.URI(), err)
		}
		return tp
	}, restart: func(t *testing.T) { sw := swtpmFor(t); sw.Stop(); sw.Start() }})
	return bs
}

// swtpms holds the swtpm process of each running (sub)test, so open and
// restart in one subtest reach the same process. Tests are not parallel.
var swtpms = map[string]*tpmtest.Swtpm{}

func swtpmFor(t *testing.T) *tpmtest.Swtpm {
	if sw, ok := swtpms[t.Name()]; ok {
		return sw
	}
	sw := tpmtest.StartSwtpm(t, tpmtest.Options{})
	swtpms[t.Name()] = sw
	t.Cleanup(func() { delete(swtpms, t.Name()) })
	return sw
}

func mustStation(t *testing.T, tp transport.TPM, dir string) *Station {
	t.Helper()
	st, err := LoadOrCreate(tp, dir)
	if err != nil {
		t.Fatalf("LoadOrCreate() = %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestSignAndOpen(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			tp := b.open(t)
			defer tp.Close()
			counter := NewCounter(tp)
			st := mustStation(t, counter, t.TempDir())

			digest := sha256.Sum256([]byte("copy request"))
			counter.Reset()
			sig, err := st.Signer().Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatalf("Sign() = %v", err)
			}
			if !ecdsa.VerifyASN1(st.SigningPublicKey(), digest[:], sig) {
				t.Errorf("ecdsa.VerifyASN1(TPM signature) = false, want true")
			}
			if got := counter.Counts(); !policyUse(got, tpm2.TPMCCSign) || counter.Total() != 3 {
				t.Errorf("Sign cost %v TPM commands, want exactly one StartAuthSession, PolicyPCR and TPM2_Sign", got)
			}
			if _, err := st.Signer().Sign(rand.Reader, digest[:16], crypto.SHA256); !errors.Is(err, ErrDigest) {
				t.Errorf("Sign(16-byte digest) = %v, want %v", err, ErrDigest)
			}

			// A plain crypto/hpke sealing to the TPM key opens through the TPM.
			hpub, err := hpke.NewDHKEMPublicKey(st.AgreementPublicKey())
			if err != nil {
				t.Fatal(err)
			}
			ct, err := hpke.Seal(hpub, hpke.HKDFSHA256(), hpke.AES256GCM(), []byte("info"), []byte("secret"))
			if err != nil {
				t.Fatal(err)
			}
			hpriv, err := hpke.NewDHKEMPrivateKey(st.KeyExchanger())
			if err != nil {
				t.Fatal(err)
			}
			counter.Reset()
			pt, err := hpke.Open(hpriv, hpke.HKDFSHA256(), hpke.AES256GCM(), []byte("info"), ct)
			if err != nil || string(pt) != "secret" {
				t.Errorf("hpke.Open through TPM = %q, %v, want %q", pt, err, "secret")
			}
			if got := counter.Counts(); !policyUse(got, tpm2.TPMCCECDHZGen) || counter.Total() != 3 {
				t.Errorf("hpke.Open cost %v TPM commands, want exactly one StartAuthSession, PolicyPCR and TPM2_ECDH_ZGen", got)
			}

			// The project's envelope, as the validation node seals a share
			// release.
			info := keys.Info{JobID: "job-1", MediaID: []byte("MEDIA-0001"), Transcript: []byte("hh")}
			body := bytes.Repeat([]byte{2}, 126)
			sealed, err := keys.SealRelease(st.AgreementPublicKey(), info, body)
			if err != nil {
				t.Fatal(err)
			}
			got, err := keys.OpenRelease(st.KeyExchanger(), info, sealed)
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("keys.OpenRelease through TPM = %x, %v, want the sealed release", got, err)
			}
		})
	}
}

// policyUse reports whether counts is one use of a PCR-bound key by cc: a
// policy session, its PolicyPCR, and the command (the TPM ends the session).
func policyUse(counts map[tpm2.TPMCC]int, cc tpm2.TPMCC) bool {
	return counts[tpm2.TPMCCStartAuthSession] == 1 && counts[tpm2.TPMCCPolicyPCR] == 1 && counts[cc] == 1
}

// TestECDHMatchesSoftware checks ZGen against crypto/ecdh with a software
// peer: both sides of one exchange must agree.
func TestECDHMatchesSoftware(t *testing.T) {
	tp, err := OpenSimulator(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	st := mustStation(t, tp, t.TempDir())
	for i := range 4 {
		peer, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.KeyExchanger().ECDH(peer.PublicKey())
		if err != nil {
			t.Fatalf("ECDH() = %v", err)
		}
		want, _ := peer.ECDH(st.AgreementPublicKey())
		if !bytes.Equal(got, want) {
			t.Errorf("ECDH #%d = %x, want %x", i, got, want)
		}
	}
}

func TestKeysSurviveRestart(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			dir := t.TempDir()
			tp := b.open(t)
			st, err := LoadOrCreate(tp, dir)
			if err != nil {
				t.Fatalf("LoadOrCreate() = %v", err)
			}
			pub := st.SigningPublicSEC1()
			agree := st.AgreementPublicSEC1()
			st.Close()
			tp.Close()
			b.restart(t)

			tp = b.open(t)
			defer tp.Close()
			st2, err := Load(tp, dir)
			if err != nil {
				t.Fatalf("Load() after restart = %v", err)
			}
			defer st2.Close()
			if !bytes.Equal(st2.SigningPublicSEC1(), pub) || !bytes.Equal(st2.AgreementPublicSEC1(), agree) {
				t.Errorf("keys after restart = %x, %x, want %x, %x", st2.SigningPublicSEC1(), st2.AgreementPublicSEC1(), pub, agree)
			}
			digest := sha256.Sum256([]byte("after restart"))
			sig, err := st2.Signer().Sign(nil, digest[:], crypto.SHA256)
			if err != nil || !ecdsa.VerifyASN1(st2.SigningPublicKey(), digest[:], sig) {
				t.Errorf("Sign() after restart = %v, want a valid signature", err)
			}
		})
	}
}

func TestBlobFromAnotherTPM(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	simA, simB := t.TempDir(), t.TempDir()
	tp, err := OpenSimulator(simA)
	if err != nil {
		t.Fatal(err)
	}
	st, err := LoadOrCreate(tp, dirA)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	tp.Close()
	for _, f := range []string{SigningKeyFile, AgreementKeyFile} {
		b, _ := os.ReadFile(filepath.Join(dirA, f))
		os.WriteFile(filepath.Join(dirB, f), b, 0o600)
	}
	tp, err = OpenSimulator(simB) // another seed: another TPM
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	if _, err := Load(tp, dirB); !errors.Is(err, ErrKeysUnloadable) {
		t.Errorf("Load(blobs of another TPM) = %v, want %v", err, ErrKeysUnloadable)
	}
	if _, err := Load(tp, t.TempDir()); !errors.Is(err, ErrNotProvisioned) {
		t.Errorf("Load(empty dir) = %v, want %v", err, ErrNotProvisioned)
	}
	os.WriteFile(filepath.Join(dirB, SigningKeyFile), []byte("garbage"), 0o600)
	if _, err := Load(tp, dirB); !errors.Is(err, ErrBlob) {
		t.Errorf("Load(garbage blob) = %v, want %v", err, ErrBlob)
	}
}
