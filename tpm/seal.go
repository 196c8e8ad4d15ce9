package tpm

import (
	"copystation/atomicfile"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// Sealed-secret files in the state directory.
const (
	NoiseKeyFile    = "noise-static.sealed"
	DatabaseKeyFile = "database-key.sealed"
)

const (
	sealMagic     = "CSTPMSEL"
	maxSealedData = 128 // TPM2B_SENSITIVE_DATA holds at most 128 bytes
	maxSealPCRs   = 8   // one TPM2_PCR_Read returns at most eight digests
)

// ErrSealInput is returned for a secret or PCR list Seal can't take.
var ErrSealInput = errors.New("tpm: invalid secret or PCR selection to seal")

// Seal seals secret (1 to 128 bytes) to this TPM under the storage root key.
// It needs two free object slots: with a Station open, use Station.Seal.
// With pcrs (SHA-256 bank, at most eight), it unseals only while those PCRs
// hold the values they hold now; without, any process that can reach the TPM
// and read the blob can unseal it.
func Seal(t transport.TPM, secret []byte, pcrs []int) ([]byte, error) {
	if len(secret) == 0 || len(secret) > maxSealedData {
		return nil, fmt.Errorf("tpm.Seal: %w: secret is %d bytes, want 1 to %d", ErrSealInput, len(secret), maxSealedData)
	}
	_, pcrBytes, err := pcrSelection(pcrs)
	if err != nil {
		return nil, fmt.Errorf("tpm.Seal: %w", err)
	}
	attrs := tpm2.TPMAObject{FixedTPM: true, FixedParent: true, NoDA: true, UserWithAuth: len(pcrs) == 0}
	tmpl := tpm2.TPMTPublic{
		Type:             tpm2.TPMAlgKeyedHash,
		NameAlg:          tpm2.TPMAlgSHA256,
		ObjectAttributes: attrs,
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgKeyedHash,
			&tpm2.TPMSKeyedHashParms{Scheme: tpm2.TPMTKeyedHashScheme{Scheme: tpm2.TPMAlgNull}}),
	}
	var out []byte
	err = withSRK(t, func(srk tpm2.AuthHandle) error {
		if len(pcrs) > 0 {
			policy, err := pcrPolicy(t, pcrs)
			if err != nil {
				return err
			}
			tmpl.AuthPolicy = tpm2.TPM2BDigest{Buffer: policy}
		}
		rsp, err := tpm2.Create{
			ParentHandle: srk,
			InSensitive: tpm2.TPM2BSensitiveCreate{Sensitive: &tpm2.TPMSSensitiveCreate{
				Data: tpm2.NewTPMUSensitiveCreate(&tpm2.TPM2BSensitiveData{Buffer: secret}),
			}},
			InPublic: tpm2.New2B(tmpl),
		}.Execute(t)
		if err != nil {
			return fmt.Errorf("tpm2.Create: %w", err)
		}
		out = encodeFields(sealMagic, blobVersion, pcrBytes, srk.Name.Buffer, tpm2.Marshal(rsp.OutPublic), tpm2.Marshal(rsp.OutPrivate))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tpm.Seal: %w", err)
	}
	return out, nil
}

// Unseal returns the secret of a blob made by Seal on this TPM. A changed PCR
// gives ErrPolicyMismatch; a blob of another (or a cleared) TPM gives
// ErrKeysUnloadable.
func Unseal(t transport.TPM, blob []byte) ([]byte, error) {
	f, err := decodeFields(blob, sealMagic, blobVersion, 4)
	if err != nil {
		return nil, fmt.Errorf("tpm.Unseal: %w", err)
	}
	if err := checkAreas(f[2], f[3]); err != nil {
		return nil, fmt.Errorf("tpm.Unseal: %w", err)
	}
	pcrs := make([]int, len(f[0]))
	for i, p := range f[0] {
		pcrs[i] = int(p)
	}
	_, _, err = pcrSelection(pcrs) // checks the blob's PCR list before pcrAuth relies on it
	if err != nil {
		return nil, fmt.Errorf("tpm.Unseal: %w: %w", ErrBlob, err)
	}
	var secret []byte
	err = withSRK(t, func(srk tpm2.AuthHandle) error {
		if string(f[1]) != string(srk.Name.Buffer) {
			return fmt.Errorf("%w: the sealed secret was made under another storage root key (TPM cleared or replaced); seal a new one", ErrKeysUnloadable)
		}
		pub, _ := tpm2.Unmarshal[tpm2.TPM2BPublic](f[2])
		priv, _ := tpm2.Unmarshal[tpm2.TPM2BPrivate](f[3])
		obj, err := tpm2.Load{ParentHandle: srk, InPrivate: *priv, InPublic: *pub}.Execute(t)
		if err != nil {
			return fmt.Errorf("%w: tpm2.Load: %w", ErrKeysUnloadable, err)
		}
		defer tpm2.FlushContext{FlushHandle: obj.ObjectHandle}.Execute(t)
		auth := tpm2.PasswordAuth(nil)
		if len(pcrs) > 0 {
			auth = pcrAuth(pcrs)
		}
		rsp, err := tpm2.Unseal{ItemHandle: tpm2.AuthHandle{Handle: obj.ObjectHandle, Name: obj.Name, Auth: auth}}.Execute(t)
		if errors.Is(err, tpm2.TPMRCPolicyFail) {
			return fmt.Errorf("%w: PCRs %v changed since sealing (%v); the station's measured state is not the one the secret was sealed to", ErrPolicyMismatch, pcrs, err)
		}
		if err != nil {
			return fmt.Errorf("tpm2.Unseal: %w", err)
		}
		secret = rsp.OutData.Buffer
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tpm.Unseal: %w", err)
	}
	return secret, nil
}

// pcrSelection builds the SHA-256 selection of pcrs and its one-byte-per-PCR
// form kept in the blob.
func pcrSelection(pcrs []int) (tpm2.TPMLPCRSelection, []byte, error) {
	if len(pcrs) > maxSealPCRs {
		return tpm2.TPMLPCRSelection{}, nil, fmt.Errorf("%w: %d PCRs, want at most %d", ErrSealInput, len(pcrs), maxSealPCRs)
	}
	var raw []byte
	var idx []uint
	seen := map[int]bool{}
	for _, p := range pcrs {
		if p < 0 || p > 23 || seen[p] {
			return tpm2.TPMLPCRSelection{}, nil, fmt.Errorf("%w: PCR %d (want distinct PCRs 0 to 23)", ErrSealInput, p)
		}
		seen[p] = true
		raw = append(raw, byte(p))
		idx = append(idx, uint(p))
	}
	if len(idx) == 0 {
		return tpm2.TPMLPCRSelection{}, raw, nil
	}
	return tpm2.TPMLPCRSelection{PCRSelections: []tpm2.TPMSPCRSelection{
		{Hash: tpm2.TPMAlgSHA256, PCRSelect: tpm2.PCClientCompatible.PCRs(idx...)},
	}}, raw, nil
}

// pcrPolicy computes the PolicyPCR digest of the PCRs' current values: the
// policy a sealed object demands.
func pcrPolicy(t transport.TPM, pcrs []int) ([]byte, error) {
	v, err := readPCRs(t, pcrs)
	if err != nil {
		return nil, err
	}
	return v.policy()
}

// LoadOrCreateSecret returns the secret sealed in the state directory file
// name (NoiseKeyFile, DatabaseKeyFile), making it with create and sealing it
// (to pcrs) the first time. The plaintext never touches the disk.
func (s *Station) LoadOrCreateSecret(name string, pcrs []int, create func() ([]byte, error)) ([]byte, error) {
	path := filepath.Join(s.dir, filepath.Base(name))
	var secret []byte
	err := s.useAlone(func(t transport.TPM) error {
		blob, err := os.ReadFile(path)
		if err == nil {
			secret, err = Unseal(t, blob)
			return err
		}
		if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if secret, err = create(); err != nil {
			return err
		}
		if blob, err = Seal(t, secret, pcrs); err != nil {
			return err
		}
		return atomicfile.Write(path, blob)
	})
	if err != nil {
		return nil, fmt.Errorf("tpm.LoadOrCreateSecret %s: %w", name, err)
	}
	return secret, nil
}

// Seal is tpm.Seal on the station's TPM, making room for it: use it, not the
// package function, while the station's keys are loaded.
func (s *Station) Seal(secret []byte, pcrs []int) ([]byte, error) {
	var blob []byte
	err := s.useAlone(func(t transport.TPM) (err error) {
		blob, err = Seal(t, secret, pcrs)
		return err
	})
	return blob, err
}

// Unseal is tpm.Unseal on the station's TPM, making room for it.
func (s *Station) Unseal(blob []byte) ([]byte, error) {
	var secret []byte
	err := s.useAlone(func(t transport.TPM) (err error) {
		secret, err = Unseal(t, blob)
		return err
	})
	return secret, err
}
