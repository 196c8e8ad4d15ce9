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
// the storage root key; useless to anyone without this TPM).
const (
	blobMagic   = "CSTPMKEY"
	blobVersion = 1
	maxBlobLen  = 8 << 10
)

type keyBlob struct {
	srkName []byte
	public  []byte // marshalled TPM2B_PUBLIC
	private []byte // marshalled TPM2B_PRIVATE
}

func (b *keyBlob) marshal() []byte {
	out := []byte(blobMagic)
	out = append(out, blobVersion)
	for _, f := range [][]byte{b.srkName, b.public, b.private} {
		out = binary.BigEndian.AppendUint16(out, uint16(len(f)))
		out = append(out, f...)
	}
	return out
}

func parseKeyBlob(b []byte) (*keyBlob, error) {
	if len(b) > maxBlobLen || len(b) < len(blobMagic)+1 || !bytes.HasPrefix(b, []byte(blobMagic)) {
		return nil, fmt.Errorf("%w: not a station key blob", ErrBlob)
	}
	if v := b[len(blobMagic)]; v != blobVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBlob, v, blobVersion)
	}
	rest := b[len(blobMagic)+1:]
	var f [3][]byte
	for i := range f {
		if len(rest) < 2 {
			return nil, fmt.Errorf("%w: truncated", ErrBlob)
		}
		n := int(binary.BigEndian.Uint16(rest))
		if len(rest) < 2+n {
			return nil, fmt.Errorf("%w: truncated", ErrBlob)
		}
		f[i], rest = rest[2:2+n], rest[2+n:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBlob, len(rest))
	}
	if _, err := tpm2.Unmarshal[tpm2.TPM2BPublic](f[1]); err != nil {
		return nil, fmt.Errorf("%w: public area: %v", ErrBlob, err)
	}
	if _, err := tpm2.Unmarshal[tpm2.TPM2BPrivate](f[2]); err != nil {
		return nil, fmt.Errorf("%w: private area: %v", ErrBlob, err)
	}
	return &keyBlob{srkName: f[0], public: f[1], private: f[2]}, nil
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
