package tpm

import (
	"bytes"
	"copystation/atomicfile"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// Files in the state directory.
const (
	SigningKeyFile     = "signing.key"
	AgreementKeyFile   = "agreement.key"
	AttestationKeyFile = "attestation.key"
)

// reprovision tells a person what to do when the keys are gone for good.
const reprovision = "re-provision: move the state directory aside, run `stationd tpm init`, then `stationd enroll` and have an operator enroll the new keys (the old station ID stays revoked)"

// Station is the station's identity in its TPM: a signing key and a
// key-agreement key, loaded once and used, each time in a PCR policy
// session, with one TPM command each.
type Station struct {
	mu      sync.Mutex
	t       transport.TPM
	dir     string
	srkName []byte
	sign    *key
	agree   *key
	closed  bool
}

// key is a station key loaded in the TPM.
type key struct {
	file     string
	template func() tpm2.TPMTPublic
	bound    bool // bound to StationPCRs: used through a PolicyPCR session
	handle   tpm2.TPMHandle
	name     tpm2.TPM2BName
	public   tpm2.TPMTPublic
	blob     *keyBlob
	pcrs     *pcrValues // what a bound key was bound to
}

// withSRK runs fn with the storage root key: an ECC P-256 primary key in the
// owner hierarchy made from the standard template, so the same TPM gives
// the same key every time. It is flushed when fn returns.
func withSRK(t transport.TPM, fn func(srk tpm2.AuthHandle) error) error {
	rsp, err := tpm2.CreatePrimary{
		PrimaryHandle: tpm2.TPMRHOwner,
		InPublic:      tpm2.New2B(tpm2.ECCSRKTemplate),
	}.Execute(t)
	if err != nil {
		return fmt.Errorf("tpm2.CreatePrimary(SRK): %w (is the owner hierarchy protected by a password?)", err)
	}
	defer tpm2.FlushContext{FlushHandle: rsp.ObjectHandle}.Execute(t)
	return fn(tpm2.AuthHandle{Handle: rsp.ObjectHandle, Name: rsp.Name, Auth: tpm2.PasswordAuth(nil)})
}

// LoadOrCreate loads the station keys from stateDir, creating (and saving)
// any that are absent. Creating is idempotent: existing keys are kept.
func LoadOrCreate(t transport.TPM, stateDir string) (*Station, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("tpm.LoadOrCreate: %w", err)
	}
	return open(t, stateDir, true)
}

// Load loads existing station keys; it returns ErrNotProvisioned when the
// state directory has none.
func Load(t transport.TPM, stateDir string) (*Station, error) {
	return open(t, stateDir, false)
}

func open(t transport.TPM, dir string, create bool) (*Station, error) {
	s := &Station{
		t:     t,
		dir:   dir,
		sign:  &key{file: SigningKeyFile, template: signingTemplate, bound: true},
		agree: &key{file: AgreementKeyFile, template: agreementTemplate, bound: true},
	}
	if create {
		// One reading for both keys: two readings that differed (a PCR
		// extended in between) would bind them to different states, and no
		// quote could then vouch for both.
		pcrs, err := readPCRs(t, StationPCRs)
		if err != nil {
			return nil, fmt.Errorf("tpm.Load %s: %w", dir, err)
		}
		s.sign.pcrs, s.agree.pcrs = pcrs, pcrs
	}
	err := withSRK(t, func(srk tpm2.AuthHandle) error {
		s.srkName = srk.Name.Buffer
		for _, k := range []*key{s.sign, s.agree} {
			if err := loadKey(t, srk, dir, k, create); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.flush()
		return nil, fmt.Errorf("tpm.Load %s: %w", dir, err)
	}
	return s, nil
}

// loadKey reads k's blob (creating it when allowed) and loads it under srk.
func loadKey(t transport.TPM, srk tpm2.AuthHandle, dir string, k *key, create bool) error {
	path := filepath.Join(dir, k.file)
	blob, err := readKeyBlob(path)
	if err != nil {
		return err
	}
	if blob == nil {
		if !create {
			return fmt.Errorf("%w: %s is missing; run `stationd tpm init`", ErrNotProvisioned, path)
		}
		if blob, err = createKey(t, srk, k); err != nil {
			return err
		}
		if err := atomicfile.Write(path, blob.marshal()); err != nil {
			return err
		}
	}
	if !bytes.Equal(blob.srkName, srk.Name.Buffer) {
		return fmt.Errorf("%w: %s was made under another storage root key: this TPM was cleared or is not the one that made it; %s", ErrKeysUnloadable, path, reprovision)
	}
	pub, _ := tpm2.Unmarshal[tpm2.TPM2BPublic](blob.public)
	contents, err := pub.Contents()
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBlob, path, err)
	}
	if err := k.checkBinding(path, contents, blob); err != nil {
		return err
	}
	priv, _ := tpm2.Unmarshal[tpm2.TPM2BPrivate](blob.private)
	rsp, err := tpm2.Load{ParentHandle: srk, InPrivate: *priv, InPublic: *pub}.Execute(t)
	if err != nil {
		return fmt.Errorf("%w: tpm2.Load %s: %w; %s", ErrKeysUnloadable, path, err, reprovision)
	}
	k.handle, k.name, k.public, k.blob, k.pcrs = rsp.ObjectHandle, rsp.Name, *contents, blob, blob.pcrs
	return nil
}

// checkBinding refuses a station key that any software could use (made
// before the keys were bound to PCRs) and a blob whose recorded PCR values
// are not those of the key's authPolicy.
func (k *key) checkBinding(path string, pub *tpm2.TPMTPublic, blob *keyBlob) error {
	if !k.bound {
		return nil
	}
	if pub.ObjectAttributes.UserWithAuth || blob.pcrs == nil {
		return fmt.Errorf("%w: %s is a key any software on this machine can use (made before station keys were bound to the measured boot state); %s", ErrKeysUnbound, path, reprovision)
	}
	policy, err := blob.pcrs.policy()
	if err != nil || !bytes.Equal(policy, pub.AuthPolicy.Buffer) {
		return fmt.Errorf("%w: %s: the recorded PCR values are not those of the key's policy", ErrBlob, path)
	}
	return nil
}

// createKey creates k under srk; a bound key gets the authPolicy of the
// values of StationPCRs read for it (k.pcrs), else of their current values.
func createKey(t transport.TPM, srk tpm2.AuthHandle, k *key) (*keyBlob, error) {
	tmpl := k.template()
	pcrs := k.pcrs
	if k.bound {
		var err error
		if pcrs == nil {
			if pcrs, err = readPCRs(t, StationPCRs); err != nil {
				return nil, err
			}
		}
		if tmpl, err = boundTemplate(tmpl, pcrs); err != nil {
			return nil, err
		}
	}
	rsp, err := tpm2.Create{ParentHandle: srk, InPublic: tpm2.New2B(tmpl)}.Execute(t)
	if err != nil {
		return nil, fmt.Errorf("tpm2.Create: %w", err)
	}
	return &keyBlob{
		srkName: srk.Name.Buffer,
		public:  tpm2.Marshal(rsp.OutPublic),
		private: tpm2.Marshal(rsp.OutPrivate),
		pcrs:    pcrs,
	}, nil
}

// Dir returns the state directory.
func (s *Station) Dir() string { return s.dir }

// Close flushes the loaded keys; the transport stays open (the caller owns
// it). Close is idempotent.
func (s *Station) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.flush()
}

func (s *Station) flush() error {
	var errs []error
	for _, k := range []*key{s.sign, s.agree} {
		if k != nil && k.handle != 0 {
			if _, err := (tpm2.FlushContext{FlushHandle: k.handle}).Execute(s.t); err != nil {
				errs = append(errs, fmt.Errorf("tpm2.FlushContext %s: %w", k.file, err))
			}
			k.handle = 0
		}
	}
	return errors.Join(errs...)
}

// use runs fn with the TPM under the station's lock. If the TPM lost the
// loaded keys (it was reset, or swtpm restarted), it reloads them and
// retries once.
func (s *Station) use(fn func(t transport.TPM) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	err := fn(s.t)
	if err == nil || !lostHandle(err) {
		return err
	}
	if rerr := s.reload(); rerr != nil {
		return errors.Join(err, rerr)
	}
	return fn(s.t)
}

// useAlone runs fn with the station keys flushed and reloads them after:
// a TPM has as few as three object slots, and sealing or certifying needs
// the SRK and one or two more objects at once.
func (s *Station) useAlone(fn func(t transport.TPM) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if err := s.flush(); err != nil {
		return err
	}
	err := fn(s.t)
	if rerr := s.reload(); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

func lostHandle(err error) bool {
	return errors.Is(err, tpm2.TPMRCHandle) || errors.Is(err, tpm2.TPMRCReferenceH0) || errors.Is(err, tpm2.TPMRCInitialize)
}

func (s *Station) reload() error {
	startup(s.t)
	s.flush()
	return withSRK(s.t, func(srk tpm2.AuthHandle) error {
		for _, k := range []*key{s.sign, s.agree} {
			if err := loadKey(s.t, srk, s.dir, k, false); err != nil {
				return err
			}
		}
		return nil
	})
}

// auth is the USER role's authorisation: the PCR policy for a bound key,
// the empty authValue otherwise.
func (k *key) auth() tpm2.AuthHandle {
	if k.bound {
		return tpm2.AuthHandle{Handle: k.handle, Name: k.name, Auth: pcrAuth(k.pcrs.pcrs)}
	}
	return k.adminAuth()
}

// adminAuth is the ADMIN role's (TPM2_Certify): the empty authValue, since
// adminWithPolicy is clear.
func (k *key) adminAuth() tpm2.AuthHandle {
	return tpm2.AuthHandle{Handle: k.handle, Name: k.name, Auth: tpm2.PasswordAuth(nil)}
}

// role names the key in messages.
func (k *key) role() string {
	switch k.file {
	case SigningKeyFile:
		return "signing"
	case AgreementKeyFile:
		return "key-agreement"
	}
	return k.file
}
