package tpm

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// TPMInfo identifies a TPM: its manufacturer (the TCG vendor ID as four
// characters), the vendor string and the firmware version.
type TPMInfo struct {
	Manufacturer string `json:"manufacturer"`
	VendorString string `json:"vendor_string,omitempty"`
	Firmware     string `json:"firmware"`
}

// ReadInfo reads the TPM's fixed properties (Part 2, 6.13, TPM_PT_MANUFACTURER
// to TPM_PT_FIRMWARE_VERSION_2).
func ReadInfo(t transport.TPM) (*TPMInfo, error) {
	rsp, err := tpm2.GetCapability{
		Capability:    tpm2.TPMCapTPMProperties,
		Property:      uint32(tpm2.TPMPTManufacturer),
		PropertyCount: 8,
	}.Execute(t)
	if err != nil {
		return nil, fmt.Errorf("tpm2.GetCapability: %w", err)
	}
	props, err := rsp.CapabilityData.Data.TPMProperties()
	if err != nil {
		return nil, fmt.Errorf("tpm2.GetCapability: %w", err)
	}
	v := map[tpm2.TPMPT]uint32{}
	for _, p := range props.TPMProperty {
		v[p.Property] = p.Value
	}
	info := &TPMInfo{Manufacturer: fourCC(v[tpm2.TPMPTManufacturer])}
	var vendor []string
	for pt := tpm2.TPMPTVendorString1; pt <= tpm2.TPMPTVendorString1+3; pt++ {
		if s := fourCC(v[pt]); s != "" {
			vendor = append(vendor, s)
		}
	}
	info.VendorString = strings.Join(vendor, "")
	fw1, fw2 := v[tpm2.TPMPTFirmwareVersion1], v[tpm2.TPMPTFirmwareVersion1+1]
	info.Firmware = fmt.Sprintf("%d.%d.%d.%d", fw1>>16, fw1&0xffff, fw2>>16, fw2&0xffff)
	return info, nil
}

// fourCC turns a property holding four ASCII characters into a string,
// dropping NULs and non-printing bytes.
func fourCC(v uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, string(b[:]))
}

// KeyInfo describes a loaded station key for people at the machine.
type KeyInfo struct {
	Role       string   `json:"role"`
	File       string   `json:"file"`
	Public     string   `json:"public_sec1_hex"`
	Name       string   `json:"name_hex"`
	Attributes []string `json:"attributes"`
	// CreatedHere is true when the key loaded under this TPM's storage root
	// key with fixedTPM and sensitiveDataOrigin: it was made in this TPM.
	CreatedHere bool `json:"created_in_this_tpm"`
	// BoundPCRs and PCRValues (hex) are the measured boot state the key
	// works in: StationPCRs as they were when it was created.
	BoundPCRs []int    `json:"bound_pcrs,omitempty"`
	PCRValues []string `json:"pcr_values_hex,omitempty"`
}

// Keys describes the station keys.
func (s *Station) Keys() []KeyInfo {
	out := make([]KeyInfo, 0, 2)
	for _, k := range []struct {
		role string
		k    *key
		sec1 []byte
	}{{"signing", s.sign, s.SigningPublicSEC1()}, {"key-agreement", s.agree, s.AgreementPublicSEC1()}} {
		a := k.k.public.ObjectAttributes
		out = append(out, KeyInfo{
			Role:        k.role,
			File:        k.k.file,
			Public:      fmt.Sprintf("%x", k.sec1),
			Name:        fmt.Sprintf("%x", k.k.name.Buffer),
			Attributes:  attrNames(a),
			CreatedHere: a.FixedTPM && a.SensitiveDataOrigin && string(k.k.blob.srkName) == string(s.srkName),
		})
		if p := k.k.pcrs; p != nil {
			ki := &out[len(out)-1]
			ki.BoundPCRs = p.pcrs
			for _, v := range p.values {
				ki.PCRValues = append(ki.PCRValues, fmt.Sprintf("%x", v))
			}
		}
	}
	return out
}

func attrNames(a tpm2.TPMAObject) []string {
	var out []string
	for _, f := range []struct {
		set  bool
		name string
	}{
		{a.FixedTPM, "fixedTPM"}, {a.FixedParent, "fixedParent"}, {a.SensitiveDataOrigin, "sensitiveDataOrigin"},
		{a.UserWithAuth, "userWithAuth"}, {a.AdminWithPolicy, "adminWithPolicy"}, {a.NoDA, "noDA"},
		{a.Restricted, "restricted"}, {a.Decrypt, "decrypt"}, {a.SignEncrypt, "sign"},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}
