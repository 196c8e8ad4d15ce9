package keys

import (
	"crypto/ecdh"
	"crypto/hpke"
	"fmt"
)

// releaseLabel opens the HPKE info of a share release, so a release never
// opens as a partial's envelope (or the reverse) even for the same Info.
const releaseLabel = "copystation share-release envelope v1"

// MaxReleaseLen bounds a release body: custody.ReleaseLen of the largest
// title (4,096 segments, titlepkg.MaxSegments) is 262,718 bytes.
const MaxReleaseLen = 62 + 4096/8 + 64*4096

func releaseInfo(info Info) ([]byte, error) {
	ib, err := info.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append(append([]byte(releaseLabel), 0), ib...), nil
}

// SealRelease seals a node's encoded share release (custody.Release) to
// the station's key-agreement key, bound to the copy's Info, in the same
// envelope layout and suite as SealPartial. The caller wipes body.
func SealRelease(pub *ecdh.PublicKey, info Info, body []byte) ([]byte, error) {
	if pub == nil || pub.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("keys.SealRelease: %w", ErrKey)
	}
	if len(body) == 0 || len(body) > MaxReleaseLen {
		return nil, fmt.Errorf("keys.SealRelease: %w: release of %d bytes, want 1 to %d", ErrMalformed, len(body), MaxReleaseLen)
	}
	ib, err := releaseInfo(info)
	if err != nil {
		return nil, fmt.Errorf("keys.SealRelease: %w", err)
	}
	hpub, err := hpke.NewDHKEMPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("keys.SealRelease: %w: %v", ErrKey, err)
	}
	kdf, aead := suite()
	ct, err := hpke.Seal(hpub, kdf, aead, ib, body)
	if err != nil {
		return nil, fmt.Errorf("keys.SealRelease: hpke: %w", err)
	}
	return append([]byte{envelopeVersion}, ct...), nil
}

// OpenRelease opens a sealed share release with the station's key-agreement
// key (TPM-resident: one ECDH). It returns the encoded release for
// custody.UnmarshalRelease; the caller wipes it.
func OpenRelease(priv ecdh.KeyExchanger, info Info, sealed []byte) ([]byte, error) {
	if priv == nil || priv.Curve() != ecdh.P256() {
		return nil, fmt.Errorf("keys.OpenRelease: %w", ErrKey)
	}
	if len(sealed) < 1+encLen+tagLen+1 || len(sealed) > 1+encLen+MaxReleaseLen+tagLen {
		return nil, fmt.Errorf("keys.OpenRelease: %w: %d bytes, want %d to %d", ErrMalformed, len(sealed), 1+encLen+tagLen+1, 1+encLen+MaxReleaseLen+tagLen)
	}
	if sealed[0] != envelopeVersion {
		return nil, fmt.Errorf("keys.OpenRelease: %w: version %d, want %d", ErrMalformed, sealed[0], envelopeVersion)
	}
	ib, err := releaseInfo(info)
	if err != nil {
		return nil, fmt.Errorf("keys.OpenRelease: %w", err)
	}
	hpriv, err := hpke.NewDHKEMPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("keys.OpenRelease: %w: %v", ErrKey, err)
	}
	kdf, aead := suite()
	pt, err := hpke.Open(hpriv, kdf, aead, ib, sealed[1:])
	if err != nil {
		return nil, fmt.Errorf("keys.OpenRelease: %w: %w", ErrOpen, err)
	}
	return pt, nil
}
