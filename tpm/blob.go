package tpm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/google/go-tpm/tpm2"
)

// A key blob file: magic, version, the storage root key's name at creation,
// the key's TPM2B_PUBLIC and its TPM2B_PRIVATE (encrypted by the TPM under
// the storage root key; useless to anyone without this TPM), and (version 2)
// the PCR values a PCR-bound key was bound to, empty for an unbound key
// (the attestation key). The values only explain a refusal: what binds the
// key is the authPolicy inside its public area.
const (
	blobMagic      = "CSTPMKEY"
	blobVersion    = 1 // sealed secrets, and key blobs made before PCR binding
	keyBlobVersion = 2
	maxBlobLen     = 8 << 10
)

type keyBlob struct {
	srkName []byte
	public  []byte     // marshalled TPM2B_PUBLIC
	private []byte     // marshalled TPM2B_PRIVATE
	pcrs    *pcrValues // nil: not bound to PCRs
}

func (b *keyBlob) marshal() []byte {
	var pcrs []byte
	if b.pcrs != nil {
		pcrs = b.pcrs.marshal()
	}
	return encodeFields(blobMagic, keyBlobVersion, b.srkName, b.public, b.private, pcrs)
}

// parseKeyBlob reads both versions: a version 1 blob is a key made before
// the keys were bound to PCRs (loadKey refuses it as a station key).
func parseKeyBlob(b []byte) (*keyBlob, error) {
	version, n := byte(keyBlobVersion), 4
	if len(b) > len(blobMagic) && b[len(blobMagic)] == blobVersion {
		version, n = blobVersion, 3
	}
	f, err := decodeFields(b, blobMagic, version, n)
	if err != nil {
		return nil, err
	}
	if err := checkAreas(f[1], f[2]); err != nil {
		return nil, err
	}
	kb := &keyBlob{srkName: f[0], public: f[1], private: f[2]}
	if n == 4 && len(f[3]) > 0 {
		if kb.pcrs, err = parsePCRValues(f[3]); err != nil {
			return nil, err
		}
	}
	return kb, nil
}

// checkAreas checks that pub and priv parse as TPM2B_PUBLIC and
// TPM2B_PRIVATE.
func checkAreas(pub, priv []byte) error {
	if _, err := tpm2.Unmarshal[tpm2.TPM2BPublic](pub); err != nil {
		return fmt.Errorf("%w: public area: %v", ErrBlob, err)
	}
	if _, err := tpm2.Unmarshal[tpm2.TPM2BPrivate](priv); err != nil {
		return fmt.Errorf("%w: private area: %v", ErrBlob, err)
	}
	return nil
}

// encodeFields writes magic, the version byte, then each field prefixed by
// its 16-bit length.
func encodeFields(magic string, version byte, fields ...[]byte) []byte {
	out := []byte(magic)
	out = append(out, version)
	for _, f := range fields {
		out = binary.BigEndian.AppendUint16(out, uint16(len(f)))
		out = append(out, f...)
	}
	return out
}

// decodeFields is the inverse of encodeFields for exactly n fields.
func decodeFields(b []byte, magic string, version byte, n int) ([][]byte, error) {
	if len(b) > maxBlobLen || len(b) < len(magic)+1 || !bytes.HasPrefix(b, []byte(magic)) {
		return nil, fmt.Errorf("%w: not a %s file", ErrBlob, magic)
	}
	if v := b[len(magic)]; v != version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBlob, v, version)
	}
	rest := b[len(magic)+1:]
	f := make([][]byte, n)
	for i := range f {
		if len(rest) < 2 {
			return nil, fmt.Errorf("%w: truncated", ErrBlob)
		}
		l := int(binary.BigEndian.Uint16(rest))
		if len(rest) < 2+l {
			return nil, fmt.Errorf("%w: truncated", ErrBlob)
		}
		f[i], rest = rest[2:2+l], rest[2+l:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBlob, len(rest))
	}
	return f, nil
}

// readKeyBlob returns (nil, nil) when the file does not exist.
func readKeyBlob(path string) (*keyBlob, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	kb, err := parseKeyBlob(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kb, nil
}
