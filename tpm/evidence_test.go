package tpm

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// simStation is one simulated TPM with station keys, reopened on demand.
type simStation struct{ simDir, dir string }

func newSimStation(t *testing.T) simStation {
	return simStation{t.TempDir(), t.TempDir()}
}

// with opens the TPM and station, runs fn, and closes both.
func (s simStation) with(t *testing.T, fn func(tp transport.TPM, st *Station)) {
	t.Helper()
	tp, err := OpenSimulator(s.simDir)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	st, err := LoadOrCreate(tp, s.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fn(tp, st)
}

func (s simStation) evidence(t *testing.T, nonce []byte) *EnrollmentRequest {
	var req *EnrollmentRequest
	s.with(t, func(_ transport.TPM, st *Station) {
		var err error
		if req, err = st.Evidence(nonce); err != nil {
			t.Fatalf("Evidence() = %v", err)
		}
	})
	return req
}

// clone deep-copies a request through its JSON form, which also checks the
// format round-trips.
func clone(t *testing.T, req *EnrollmentRequest) *EnrollmentRequest {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseEnrollmentRequest(b)
	if err != nil {
		t.Fatalf("ParseEnrollmentRequest(json.Marshal(req)) = %v", err)
	}
	return out
}

// softwareCertified makes a request whose signing key is a software key
// loaded (public part only) into the real TPM and certified by the real AK.
func softwareCertified(t *testing.T, a simStation, nonce []byte, genuine *EnrollmentRequest) *EnrollmentRequest {
	req := clone(t, genuine)
	soft, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw := soft.PublicKey().Bytes()
	tmpl := signingTemplate()
	tmpl.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
		X: tpm2.TPM2BECCParameter{Buffer: raw[1:33]}, Y: tpm2.TPM2BECCParameter{Buffer: raw[33:]}})
	a.with(t, func(tp transport.TPM, st *Station) {
		st.useAlone(func(tp transport.TPM) error {
			// The public-only form with fixedTPM can't be certified
			// (its auth is unavailable), so load the whole software key,
			// which the TPM accepts only with honest attributes.
			tmpl.ObjectAttributes.FixedTPM, tmpl.ObjectAttributes.FixedParent = false, false
			tmpl.ObjectAttributes.SensitiveDataOrigin = false
			ext, err := tpm2.LoadExternal{
				InPrivate: tpm2.New2B(tpm2.TPMTSensitive{
					SensitiveType: tpm2.TPMAlgECC,
					Sensitive:     tpm2.NewTPMUSensitiveComposite(tpm2.TPMAlgECC, &tpm2.TPM2BECCParameter{Buffer: soft.Bytes()}),
				}),
				InPublic:  tpm2.New2B(tmpl),
				Hierarchy: tpm2.TPMRHNull,
			}.Execute(tp)
			if err != nil {
				t.Fatalf("LoadExternal(software key) = %v", err)
			}
			defer tpm2.FlushContext{FlushHandle: ext.ObjectHandle}.Execute(tp)
			ek, err := readEK(tp)
			if err != nil {
				t.Fatal(err)
			}
			return withSRK(tp, func(srk tpm2.AuthHandle) error {
				ak := &key{file: AttestationKeyFile, template: attestationTemplate}
				if err := loadKey(tp, srk, st.dir, ak, false); err != nil {
					t.Fatal(err)
				}
				defer tpm2.FlushContext{FlushHandle: ak.handle}.Execute(tp)
				rsp, err := tpm2.Certify{
					ObjectHandle:   tpm2.AuthHandle{Handle: ext.ObjectHandle, Name: ext.Name, Auth: tpm2.PasswordAuth(nil)},
					SignHandle:     ak.auth(),
					QualifyingData: tpm2.TPM2BData{Buffer: qualifyingData(nonce, ek.name)},
					InScheme:       tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgNull},
				}.Execute(tp)
				if err != nil {
					t.Fatalf("Certify(external) = %v", err)
				}
				req.SigningKey = CertifiedKey{
					Public:      tpm2.Marshal(tpm2.New2B(tmpl)),
					CertifyInfo: tpm2.Marshal(rsp.CertifyInfo),
					Signature:   tpm2.Marshal(rsp.Signature),
				}
				return nil
			})
		})
	})
	return req
}

func TestVerifyEvidence(t *testing.T) {
	nonce := []byte("operator nonce 1")
	a, b := newSimStation(t), newSimStation(t)
	reqA := a.evidence(t, nonce)
	reqB := b.evidence(t, nonce)
	other := a.evidence(t, []byte("operator nonce 9"))
	softReq := softwareCertified(t, a, nonce, reqA)
	opts := VerifyOptions{Nonce: nonce, KnownEKs: map[string]bool{EKFingerprint(reqA.EK.Public): true}}

	got, err := VerifyEvidence(clone(t, reqA), opts)
	if err != nil {
		t.Fatalf("VerifyEvidence(genuine) = %v, want nil", err)
	}
	var stA *Station
	a.with(t, func(_ transport.TPM, st *Station) {
		stA = st
		if !bytes.Equal(got.SigningKey, st.SigningPublicSEC1()) || !bytes.Equal(got.AgreementKey, st.AgreementPublicSEC1()) {
			t.Errorf("VerifyEvidence() keys = %x, %x, want the station's", got.SigningKey, got.AgreementKey)
		}
	})
	_ = stA
	if got.EKAnchor != "known" {
		t.Errorf("EKAnchor = %q, want %q", got.EKAnchor, "known")
	}
	if len(got.PCRs) != len(StationPCRs) || !bytes.Equal(got.PCRs[7], reqA.PCRQuote.Values[3]) {
		t.Errorf("VerifyEvidence().PCRs = %x, want the quoted values of %v", got.PCRs, StationPCRs)
	}
	expectOK := opts
	expectOK.ExpectedPCRs = map[int][]byte{0: got.PCRs[0], 7: got.PCRs[7]}
	if _, err := VerifyEvidence(clone(t, reqA), expectOK); err != nil {
		t.Errorf("VerifyEvidence(expected PCRs as quoted) = %v, want nil", err)
	}
	expectOther := opts
	expectOther.ExpectedPCRs = map[int][]byte{7: bytes.Repeat([]byte{1}, 32)}
	expectUnbound := opts
	expectUnbound.ExpectedPCRs = map[int][]byte{9: got.PCRs[7]}

	// Keys made in one boot state, evidence quoted in another: the keys
	// would not work in the quoted state, so they are refused.
	var moved *EnrollmentRequest
	newSimStation(t).with(t, func(tp transport.TPM, st *Station) {
		extendPCR(t, tp, 4)
		var err error
		if moved, err = st.Evidence(nonce); err != nil {
			t.Fatalf("Evidence() = %v", err)
		}
	})

	flip := func(p []byte, i int) []byte { p = bytes.Clone(p); p[len(p)-i] ^= 1; return p }
	cases := []struct {
		name string
		mod  func(r *EnrollmentRequest)
		opts VerifyOptions
	}{
		{"unanchored EK", nil, VerifyOptions{Nonce: nonce}},
		{"other nonce", nil, VerifyOptions{Nonce: []byte("another nonce"), KnownEKs: opts.KnownEKs}},
		{"software key certified by the real AK", func(r *EnrollmentRequest) { *r = *clone(t, softReq) }, opts},
		{"software key public swapped in", func(r *EnrollmentRequest) { r.SigningKey.Public = softReq.SigningKey.Public }, opts},
		{"software key with forged attributes", func(r *EnrollmentRequest) { r.SigningKey.Public = forgedPublic(t) }, opts},
		{"signing and agreement swapped", func(r *EnrollmentRequest) { r.SigningKey, r.AgreementKey = r.AgreementKey, r.SigningKey }, opts},
		{"agreement key of another TPM", func(r *EnrollmentRequest) { r.AgreementKey = reqB.AgreementKey }, opts},
		{"certified by another TPM", func(r *EnrollmentRequest) {
			ek := r.EK
			*r = *clone(t, reqB)
			r.EK = ek
		}, opts},
		{"AK of another TPM", func(r *EnrollmentRequest) { r.AKPublic = reqB.AKPublic }, opts},
		{"SRK of another TPM", func(r *EnrollmentRequest) { r.SRKPublic = reqB.SRKPublic }, opts},
		{"tampered quote", func(r *EnrollmentRequest) { r.PCRQuote.Quoted = flip(r.PCRQuote.Quoted, 1) }, opts},
		{"tampered quote signature", func(r *EnrollmentRequest) { r.PCRQuote.Signature = flip(r.PCRQuote.Signature, 2) }, opts},
		{"tampered PCR value", func(r *EnrollmentRequest) { r.PCRQuote.Values[2] = flip(r.PCRQuote.Values[2], 1) }, opts},
		{"quote without PCR 7", func(r *EnrollmentRequest) {
			r.PCRQuote.PCRs, r.PCRQuote.Values = r.PCRQuote.PCRs[:3], r.PCRQuote.Values[:3]
		}, opts},
		{"quote of another TPM", func(r *EnrollmentRequest) { r.PCRQuote = reqB.PCRQuote }, opts},
		{"quote for another nonce", func(r *EnrollmentRequest) { r.PCRQuote = other.PCRQuote }, opts},
		{"PCR 7 not the expected value", nil, expectOther},
		{"expected PCR the keys are not bound to", nil, expectUnbound},
		{"keys bound to another boot state than quoted", func(r *EnrollmentRequest) { *r = *clone(t, moved) }, VerifyOptions{Nonce: nonce, AllowUnanchoredEK: true}},
		{"tampered certify info", func(r *EnrollmentRequest) { r.SigningKey.CertifyInfo = flip(r.SigningKey.CertifyInfo, 1) }, opts},
		{"tampered signature", func(r *EnrollmentRequest) { r.AgreementKey.Signature = flip(r.AgreementKey.Signature, 3) }, opts},
		{"tampered public", func(r *EnrollmentRequest) { r.SigningKey.Public = flip(r.SigningKey.Public, 5) }, opts},
		{"tampered nonce", func(r *EnrollmentRequest) { r.Nonce = []byte("operator nonce 2") }, VerifyOptions{AllowUnanchoredEK: true}},
		{"version 1 (no quote)", func(r *EnrollmentRequest) { r.Version = 1 }, opts},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := clone(t, reqA)
			if c.mod != nil {
				c.mod(r)
			}
			if v, err := VerifyEvidence(r, c.opts); !errors.Is(err, ErrEvidence) {
				t.Errorf("VerifyEvidence(%s) = %+v, %v, want %v", c.name, v, err, ErrEvidence)
			} else {
				t.Logf("rejected: %v", err)
			}
		})
	}
}

func TestCredentialActivation(t *testing.T) {
	a, b := newSimStation(t), newSimStation(t)
	reqA := a.evidence(t, nil)
	b.evidence(t, nil) // b has its own attestation key
	cases := []struct {
		name    string
		station simStation
		wantErr bool
	}{
		{"same TPM", a, false},
		{"another TPM", b, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch, secret, err := NewCredentialChallenge(rand.Reader, reqA)
			if err != nil {
				t.Fatalf("NewCredentialChallenge() = %v", err)
			}
			c.station.with(t, func(_ transport.TPM, st *Station) {
				answer, err := st.ActivateCredential(ch)
				if err == nil {
					err = CheckActivation(secret, answer)
				}
				if (err != nil) != c.wantErr {
					t.Errorf("ActivateCredential then CheckActivation = %v, want error %v", err, c.wantErr)
				}
			})
		})
	}
}

func TestQualifiedNameMatchesTPM(t *testing.T) {
	a := newSimStation(t)
	a.with(t, func(tp transport.TPM, st *Station) {
		rp, err := tpm2.ReadPublic{ObjectHandle: st.sign.handle}.Execute(tp)
		if err != nil {
			t.Fatal(err)
		}
		var srkName []byte
		withSRK(tp, func(srk tpm2.AuthHandle) error { srkName = srk.Name.Buffer; return nil })
		got := qualifiedName(qualifiedName(tpm2.HandleName(tpm2.TPMRHOwner).Buffer, srkName), rp.Name.Buffer)
		if !bytes.Equal(got, rp.QualifiedName.Buffer) {
			t.Errorf("qualifiedName() = %x, want the TPM's %x", got, rp.QualifiedName.Buffer)
		}
	})
}

// forgedPublic is a software key's public area claiming the station
// signing key's attributes and its policy in a fresh simulator (PCRs zero).
func forgedPublic(t *testing.T) []byte {
	soft, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw := soft.PublicKey().Bytes()
	zero := &pcrValues{pcrs: StationPCRs}
	for range StationPCRs {
		zero.values = append(zero.values, make([]byte, 32))
	}
	tmpl, err := boundTemplate(signingTemplate(), zero)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
		X: tpm2.TPM2BECCParameter{Buffer: raw[1:33]}, Y: tpm2.TPM2BECCParameter{Buffer: raw[33:]}})
	return tpm2.Marshal(tpm2.New2B(tmpl))
}

// FuzzVerifyEvidence feeds arbitrary request files to the operator's
// parser and verifier: typed errors only, never a panic.
func FuzzVerifyEvidence(f *testing.F) {
	tp, err := OpenSimulator(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	st, err := LoadOrCreate(tp, f.TempDir())
	if err == nil {
		var req *EnrollmentRequest
		if req, err = st.Evidence([]byte("n")); err == nil {
			b, _ := json.Marshal(req)
			f.Add(b)
		}
		st.Close()
	}
	tp.Close()
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := ParseEnrollmentRequest(b)
		if err != nil {
			if !errors.Is(err, ErrEvidence) {
				t.Fatalf("ParseEnrollmentRequest() = %v, want an ErrEvidence", err)
			}
			return
		}
		if _, err := VerifyEvidence(req, VerifyOptions{AllowUnanchoredEK: true}); err != nil && !errors.Is(err, ErrEvidence) {
			t.Fatalf("VerifyEvidence() = %v, want nil or an ErrEvidence", err)
		}
	})
}
