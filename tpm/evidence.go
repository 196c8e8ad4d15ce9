package tpm

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// EnrollmentVersion is the version of the EnrollmentRequest format: 2 adds
// the PCR quote and drops station_id (the ledger names a station by its
// signing key; the TPM layer knows no ledger format).
const EnrollmentVersion = 2

// Standard NV indices of EK certificates (TCG EK Credential Profile 2.5,
// section 2.2.1.4): the low-range RSA 2048 and ECC NIST P-256 EKs.
const (
	NVIndexRSAEKCert = 0x01c00002
	NVIndexECCEKCert = 0x01c0000a
)

// enrollLabel opens the qualifying data every certification carries.
const enrollLabel = "copystation tpm-enroll v1"

// EnrollmentRequest is what `stationd enroll` writes and an operator's
// VerifyEvidence checks. Byte fields are TPM structures in their TPM wire
// form (base64 in JSON); docs/tpm.md describes each field. The format is
// stable: a change makes a new Version.
type EnrollmentRequest struct {
	Version int `json:"version"`
	// Nonce is the operator's nonce, when one was given to the station.
	Nonce []byte  `json:"nonce,omitempty"`
	TPM   TPMInfo `json:"tpm"`
	EK    EKInfo  `json:"ek"`
	// SRKPublic is the storage root key's TPM2B_PUBLIC (standard ECC SRK
	// template); AKPublic the attestation key's.
	SRKPublic    []byte       `json:"srk_public"`
	AKPublic     []byte       `json:"ak_public"`
	SigningKey   CertifiedKey `json:"signing_key"`
	AgreementKey CertifiedKey `json:"agreement_key"`
	// PCRQuote is the attestation key's quote of StationPCRs, the boot
	// state the station keys' policy binds them to.
	PCRQuote PCRQuote `json:"pcr_quote"`
}

// PCRQuote is a TPM2_Quote by the attestation key: the PCR numbers
// (SHA-256 bank, ascending), their values (32 bytes each, same order), the
// TPM2B_ATTEST and the TPMT_SIGNATURE.
type PCRQuote struct {
	PCRs      []int    `json:"pcrs"`
	Values    [][]byte `json:"values"`
	Quoted    []byte   `json:"quoted"`
	Signature []byte   `json:"signature"`
}

// EKInfo is the endorsement key: its TPM2B_PUBLIC (standard low-range EK
// template) and, when the TPM has one, its certificate (DER) and NV index.
type EKInfo struct {
	Public      []byte `json:"public"`
	Certificate []byte `json:"certificate,omitempty"`
	CertIndex   uint32 `json:"certificate_nv_index,omitempty"`
}

// CertifiedKey is a station key with the attestation key's TPM2_Certify of
// it: the key's TPM2B_PUBLIC, the TPM2B_ATTEST and the TPMT_SIGNATURE.
type CertifiedKey struct {
	Public      []byte `json:"public"`
	CertifyInfo []byte `json:"certify_info"`
	Signature   []byte `json:"signature"`
}

// qualifyingData binds a certification to the nonce and the EK, so evidence
// made for one EK or one request can't be reused for another.
func qualifyingData(nonce, ekName []byte) []byte {
	h := sha256.New()
	h.Write([]byte(enrollLabel))
	h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(nonce))))
	h.Write(nonce)
	h.Write(ekName)
	return h.Sum(nil)
}

// Evidence makes the enrollment request: EK (and certificate), SRK, the
// attestation key (created and kept in the state directory on first use),
// its certification of both station keys and its quote of StationPCRs, with
// nonce (at most 64 bytes) in the qualifying data of each.
func (s *Station) Evidence(nonce []byte) (*EnrollmentRequest, error) {
	if len(nonce) > 64 {
		return nil, fmt.Errorf("tpm.Evidence: nonce is %d bytes, want at most 64", len(nonce))
	}
	req := &EnrollmentRequest{Version: EnrollmentVersion, Nonce: nonce}
	err := s.useAlone(func(t transport.TPM) error {
		info, err := ReadInfo(t)
		if err != nil {
			return err
		}
		req.TPM = *info
		ek, err := readEK(t)
		if err != nil {
			return err
		}
		req.EK = ek.info
		qd := qualifyingData(nonce, ek.name)
		return withSRK(t, func(srk tpm2.AuthHandle) error {
			rp, err := tpm2.ReadPublic{ObjectHandle: srk.Handle}.Execute(t)
			if err != nil {
				return fmt.Errorf("tpm2.ReadPublic(SRK): %w", err)
			}
			req.SRKPublic = tpm2.Marshal(rp.OutPublic)
			ak := &key{file: AttestationKeyFile, template: attestationTemplate}
			if err := loadKey(t, srk, s.dir, ak, true); err != nil {
				return err
			}
			defer tpm2.FlushContext{FlushHandle: ak.handle}.Execute(t)
			req.AKPublic = ak.blob.public
			for _, c := range []struct {
				k   *key
				out *CertifiedKey
			}{{s.sign, &req.SigningKey}, {s.agree, &req.AgreementKey}} {
				if err := certify(t, srk, s.dir, c.k, ak, qd, c.out); err != nil {
					return err
				}
			}
			return quote(t, ak, qd, &req.PCRQuote)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("tpm.Evidence: %w", err)
	}
	return req, nil
}

// certify loads k next to ak (a TPM has few object slots) and has ak
// certify it.
func certify(t transport.TPM, srk tpm2.AuthHandle, dir string, k, ak *key, qd []byte, out *CertifiedKey) error {
	tmp := &key{file: k.file, template: k.template, bound: k.bound}
	if err := loadKey(t, srk, dir, tmp, false); err != nil {
		return err
	}
	defer tpm2.FlushContext{FlushHandle: tmp.handle}.Execute(t)
	rsp, err := tpm2.Certify{
		ObjectHandle:   tmp.adminAuth(),
		SignHandle:     ak.auth(),
		QualifyingData: tpm2.TPM2BData{Buffer: qd},
		InScheme:       tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgNull},
	}.Execute(t)
	if err != nil {
		return fmt.Errorf("tpm2.Certify %s: %w", k.file, err)
	}
	*out = CertifiedKey{
		Public:      tmp.blob.public,
		CertifyInfo: tpm2.Marshal(rsp.CertifyInfo),
		Signature:   tpm2.Marshal(rsp.Signature),
	}
	return nil
}

// quote has ak quote StationPCRs and reads their values. A PCR extended
// between the two makes evidence the operator refuses; take it again.
func quote(t transport.TPM, ak *key, qd []byte, out *PCRQuote) error {
	sel, _, err := pcrSelection(StationPCRs)
	if err != nil {
		return err
	}
	rsp, err := tpm2.Quote{
		SignHandle:     ak.auth(),
		QualifyingData: tpm2.TPM2BData{Buffer: qd},
		InScheme:       tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgNull},
		PCRSelect:      sel,
	}.Execute(t)
	if err != nil {
		return fmt.Errorf("tpm2.Quote: %w", err)
	}
	v, err := readPCRs(t, StationPCRs)
	if err != nil {
		return err
	}
	*out = PCRQuote{
		PCRs:      v.pcrs,
		Values:    v.values,
		Quoted:    tpm2.Marshal(rsp.Quoted),
		Signature: tpm2.Marshal(rsp.Signature),
	}
	return nil
}

type ekResult struct {
	info   EKInfo
	name   []byte
	tmpl   tpm2.TPMTPublic
	handle tpm2.TPMHandle
}

// readEK picks the EK whose certificate the TPM holds (ECC first, then
// RSA), or the ECC EK without a certificate (the simulator has none).
func readEK(t transport.TPM) (*ekResult, error) {
	r := &ekResult{tmpl: tpm2.ECCEKTemplate}
	if cert, err := readNV(t, NVIndexECCEKCert); err == nil {
		r.info.Certificate, r.info.CertIndex = cert, NVIndexECCEKCert
	} else if cert, err := readNV(t, NVIndexRSAEKCert); err == nil {
		r.info.Certificate, r.info.CertIndex, r.tmpl = cert, NVIndexRSAEKCert, tpm2.RSAEKTemplate
	}
	rsp, err := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHEndorsement, InPublic: tpm2.New2B(r.tmpl)}.Execute(t)
	if err != nil {
		return nil, fmt.Errorf("tpm2.CreatePrimary(EK): %w", err)
	}
	tpm2.FlushContext{FlushHandle: rsp.ObjectHandle}.Execute(t)
	r.info.Public = tpm2.Marshal(rsp.OutPublic)
	r.name = rsp.Name.Buffer
	return r, nil
}

// readNV reads a whole NV index with its own (empty) authorisation, as EK
// certificate indices allow.
func readNV(t transport.TPM, index tpm2.TPMHandle) ([]byte, error) {
	pub, err := tpm2.NVReadPublic{NVIndex: index}.Execute(t)
	if err != nil {
		return nil, err
	}
	nv, err := pub.NVPublic.Contents()
	if err != nil {
		return nil, err
	}
	auth := tpm2.AuthHandle{Handle: index, Name: pub.NVName, Auth: tpm2.PasswordAuth(nil)}
	var out []byte
	for off := 0; off < int(nv.DataSize); {
		n := min(int(nv.DataSize)-off, 512)
		rsp, err := tpm2.NVRead{AuthHandle: auth, NVIndex: tpm2.NamedHandle{Handle: index, Name: pub.NVName}, Size: uint16(n), Offset: uint16(off)}.Execute(t)
		if err != nil {
			return nil, fmt.Errorf("tpm2.NV_Read %#x: %w", uint32(index), err)
		}
		out = append(out, rsp.Data.Buffer...)
		off += n
	}
	return out, nil
}

// ActivateCredential answers an operator's credential challenge: the TPM
// releases the secret only if the attestation key named in the challenge is
// loaded in the same TPM as the EK it was made for.
func (s *Station) ActivateCredential(ch *CredentialChallenge) ([]byte, error) {
	if ch == nil || ch.Version != EnrollmentVersion {
		return nil, fmt.Errorf("tpm.ActivateCredential: %w: unsupported challenge", ErrEvidence)
	}
	var secret []byte
	err := s.useAlone(func(t transport.TPM) error {
		ek, err := readEK(t)
		if err != nil {
			return err
		}
		ak := &key{file: AttestationKeyFile, template: attestationTemplate}
		err = withSRK(t, func(srk tpm2.AuthHandle) error { return loadKey(t, srk, s.dir, ak, false) })
		if errors.Is(err, ErrNotProvisioned) {
			return fmt.Errorf("%w: no attestation key; run `stationd enroll` first", ErrNotProvisioned)
		} else if err != nil {
			return err
		}
		defer tpm2.FlushContext{FlushHandle: ak.handle}.Execute(t)
		ekRsp, err := tpm2.CreatePrimary{PrimaryHandle: tpm2.TPMRHEndorsement, InPublic: tpm2.New2B(ek.tmpl)}.Execute(t)
		if err != nil {
			return fmt.Errorf("tpm2.CreatePrimary(EK): %w", err)
		}
		defer tpm2.FlushContext{FlushHandle: ekRsp.ObjectHandle}.Execute(t)
		rsp, err := tpm2.ActivateCredential{
			ActivateHandle: ak.auth(),
			KeyHandle: tpm2.AuthHandle{Handle: ekRsp.ObjectHandle, Name: ekRsp.Name,
				Auth: tpm2.Policy(tpm2.TPMAlgSHA256, 16, ekPolicy)},
			CredentialBlob: tpm2.TPM2BIDObject{Buffer: ch.CredentialBlob},
			Secret:         tpm2.TPM2BEncryptedSecret{Buffer: ch.EncryptedSecret},
		}.Execute(t)
		if err != nil {
			return fmt.Errorf("tpm2.ActivateCredential: %w (the challenge was made for another TPM or attestation key)", err)
		}
		secret = rsp.CertInfo.Buffer
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tpm.ActivateCredential: %w", err)
	}
	return secret, nil
}

// ekPolicy satisfies the standard EK policy: PolicySecret(endorsement).
func ekPolicy(t transport.TPM, h tpm2.TPMISHPolicy, nonce tpm2.TPM2BNonce) error {
	_, err := tpm2.PolicySecret{AuthHandle: tpm2.TPMRHEndorsement, PolicySession: h, NonceTPM: nonce}.Execute(t)
	return err
}

// HasAttestationKey reports whether the state directory holds an
// attestation key (made by the first Evidence).
func HasAttestationKey(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, AttestationKeyFile))
	return err == nil
}
