package tpm

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// StationPCRs are the PCRs (SHA-256 bank) the station keys are bound to, the
// measured boot state of the PC Client profile that changes when another
// system boots but not with every kernel or application update:
//
//   - 0: firmware code (the SRTM and UEFI firmware);
//   - 2: option ROMs and UEFI drivers from plug-in cards;
//   - 4: the boot manager and boot loaders (every UEFI application started,
//     shim, GRUB, a unified kernel image);
//   - 7: the Secure Boot policy (its state, PK, KEK, db, dbx, and the
//     certificates that allowed each boot component).
//
// PCRs 8 and 9 (the boot loader's commands, the kernel and initrd when GRUB
// loads them) are left out: they change with every kernel update.
var StationPCRs = []int{0, 2, 4, 7}

// pcrValues are PCR values of the SHA-256 bank, in ascending PCR order.
type pcrValues struct {
	pcrs   []int
	values [][]byte
}

// readPCRs reads the current values of pcrs (at most eight: one TPM2_PCR_Read).
func readPCRs(t transport.TPM, pcrs []int) (*pcrValues, error) {
	sel, _, err := pcrSelection(pcrs)
	if err != nil {
		return nil, err
	}
	rsp, err := tpm2.PCRRead{PCRSelectionIn: sel}.Execute(t)
	if err != nil {
		return nil, fmt.Errorf("tpm2.PCR_Read: %w", err)
	}
	if len(rsp.PCRValues.Digests) != len(pcrs) {
		return nil, fmt.Errorf("%w: tpm2.PCR_Read returned %d of %d PCRs (is the SHA-256 bank active?)", ErrTransport, len(rsp.PCRValues.Digests), len(pcrs))
	}
	// the TPM returns the values in ascending PCR order
	v := &pcrValues{pcrs: slices.Sorted(slices.Values(pcrs))}
	for _, d := range rsp.PCRValues.Digests {
		v.values = append(v.values, bytes.Clone(d.Buffer))
	}
	return v, nil
}

// digest is the SHA-256 of the concatenated values, the pcrDigest of
// TPM2_PolicyPCR and of a TPMS_QUOTE_INFO.
func (v *pcrValues) digest() []byte {
	h := sha256.New()
	for _, d := range v.values {
		h.Write(d)
	}
	return h.Sum(nil)
}

// policy is the authPolicy that TPM2_PolicyPCR over these values produces
// (Part 3, 23.7): a key with it works only while the PCRs hold them.
func (v *pcrValues) policy() ([]byte, error) {
	sel, _, err := pcrSelection(v.pcrs)
	if err != nil {
		return nil, err
	}
	calc, err := tpm2.NewPolicyCalculator(tpm2.TPMAlgSHA256)
	if err != nil {
		return nil, err
	}
	if err := (tpm2.PolicyPCR{PcrDigest: tpm2.TPM2BDigest{Buffer: v.digest()}, Pcrs: sel}).Update(calc); err != nil {
		return nil, err
	}
	return calc.Hash().Digest, nil
}

// marshal is the key blob's form: per PCR, its number then its 32-byte value.
func (v *pcrValues) marshal() []byte {
	var out []byte
	for i, p := range v.pcrs {
		out = append(out, byte(p))
		out = append(out, v.values[i]...)
	}
	return out
}

func parsePCRValues(b []byte) (*pcrValues, error) {
	if len(b) == 0 || len(b)%33 != 0 {
		return nil, fmt.Errorf("%w: PCR values are %d bytes", ErrBlob, len(b))
	}
	v := &pcrValues{}
	for ; len(b) > 0; b = b[33:] {
		if n := len(v.pcrs); n > 0 && int(b[0]) <= v.pcrs[n-1] {
			return nil, fmt.Errorf("%w: PCRs not in ascending order", ErrBlob)
		}
		v.pcrs = append(v.pcrs, int(b[0]))
		v.values = append(v.values, bytes.Clone(b[1:33]))
	}
	if _, _, err := pcrSelection(v.pcrs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBlob, err)
	}
	return v, nil
}

// changed lists the PCRs whose value in now differs from v's.
func (v *pcrValues) changed(now *pcrValues) []int {
	var out []int
	for i, p := range v.pcrs {
		if i >= len(now.values) || !bytes.Equal(v.values[i], now.values[i]) {
			out = append(out, p)
		}
	}
	return out
}

// pcrAuth is the authorisation of a PCR-bound key: a one-off policy session
// running TPM2_PolicyPCR on the key's PCRs with their current values. The
// TPM compares the resulting policy with the key's authPolicy at use, so a
// changed PCR fails there (TPM_RC_POLICY_FAIL).
func pcrAuth(pcrs []int) tpm2.Session {
	sel, _, _ := pcrSelection(pcrs) // checked when the blob was parsed
	return tpm2.Policy(tpm2.TPMAlgSHA256, 16, func(t transport.TPM, h tpm2.TPMISHPolicy, _ tpm2.TPM2BNonce) error {
		_, err := tpm2.PolicyPCR{PolicySession: h, Pcrs: sel}.Execute(t)
		return err
	})
}

// policyMismatch explains a key the TPM refused for its PCR policy: which
// PCRs moved since the key was bound, and what to do.
func policyMismatch(t transport.TPM, k *key, cause error) error {
	which := fmt.Sprintf("PCRs %v", k.pcrs.pcrs)
	if now, err := readPCRs(t, k.pcrs.pcrs); err == nil {
		if c := k.pcrs.changed(now); len(c) > 0 {
			which = "PCR " + strings.Trim(strings.ReplaceAll(fmt.Sprint(c), " ", ", "), "[]")
		}
	}
	return fmt.Errorf("%w: the TPM refused the station's %s key: the measured boot state (%s) differs from the one the key was bound to (%v); "+
		"if the station booted another system or its firmware, boot loader or Secure Boot settings were changed, restore them and reboot; "+
		"if this follows a deliberate firmware or boot loader update, %s", ErrPolicyMismatch, k.role(), which, cause, reprovision)
}
