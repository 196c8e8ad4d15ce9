package disc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Parse decodes the cleartext fields of a header sector. It does not
// authenticate them: Open does, once the disc key is unwrapped.
func Parse(sector []byte) (*Header, error) {
	if len(sector) < fixedSize || string(sector[:8]) != magic {
		return nil, fmt.Errorf("disc.Parse: %w: no header magic", ErrNotCopy)
	}
	if v := binary.BigEndian.Uint16(sector[8:]); v != Version {
		return nil, fmt.Errorf("disc.Parse: %w: version %d, this reader knows %d", ErrVersion, v, Version)
	}
	n := int(binary.BigEndian.Uint32(sector[12:]))
	flags := binary.BigEndian.Uint16(sector[10:])
	if n < fixedSize || n > SectorSize || n > len(sector) || flags&^flagFinalized != 0 || sector[19] != 0 {
		return nil, fmt.Errorf("disc.Parse: %w: length %d or flags %#x out of range", ErrHeader, n, flags)
	}
	b := sector[:n]
	h := &Header{
		Version:   Version,
		Finalized: flags&flagFinalized != 0,
		Profile:   binary.BigEndian.Uint16(b[16:]),
		Layers:    b[18],
		Layout: Layout{
			StartLBA:      binary.BigEndian.Uint32(b[20:]),
			HeaderSectors: binary.BigEndian.Uint32(b[24:]),
			ImageSectors:  binary.BigEndian.Uint32(b[28:]),
			TableSectors:  binary.BigEndian.Uint32(b[32:]),
		},
		ImageSize: int64(binary.BigEndian.Uint64(b[36:])),
	}
	copy(h.PackageRoot[:], b[44:])
	r := fields{b: b[fixedSize:]}
	h.TitleID = string(r.take(int(r.u8())))
	h.CopyID = string(r.take(int(r.u16())))
	h.MediaID = r.take(int(r.u8()))
	h.keyBlockLen = int(r.u32())
	copy(h.keyBlockSum[:], r.take(32))
	aadLen := n - len(r.b) + 2
	h.sealed = r.take(int(r.u16()))
	if r.bad || len(r.b) != 0 || len(h.sealed) < 16 || len(h.sealed) > MaxCodeword+16 {
		return nil, fmt.Errorf("disc.Parse: %w: fields do not fill the header length %d", ErrHeader, n)
	}
	h.aad = b[:aadLen]
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("disc.Parse: %w", err)
	}
	return h, nil
}

// SetKeyBlock takes the key block from the sectors that follow the header
// sector (at least KeyBlockSectors of them): the header names its length
// and SHA-256, so once Open has authenticated the header, a block that
// passes here is the one the station wrote. The rest of its last sector
// must be zero.
func (h *Header) SetKeyBlock(sectors []byte) error {
	n := int(h.KeyBlockSectors()) * SectorSize
	if len(sectors) < n {
		return fmt.Errorf("disc.Header.SetKeyBlock: %w: %d bytes read, the block takes %d sectors", ErrKeyBlock, len(sectors), h.KeyBlockSectors())
	}
	b := sectors[:h.keyBlockLen]
	if sha256.Sum256(b) != h.keyBlockSum || !allZero(sectors[h.keyBlockLen:n]) {
		return fmt.Errorf("disc.Header.SetKeyBlock: %w: SHA-256 or padding differs", ErrKeyBlock)
	}
	h.KeyBlock = bytes.Clone(b)
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Open authenticates every header byte with the disc key and fills in the
// codeword.
func (h *Header) Open(discKey []byte) error {
	aead, err := headerAEAD(discKey)
	if err != nil {
		return fmt.Errorf("disc.Header.Open: %w", err)
	}
	var nonce [12]byte
	cw, err := aead.Open(nil, nonce[:], h.sealed, h.aad)
	if err != nil {
		return fmt.Errorf("disc.Header.Open: %w: header fails authentication (altered, or not this disc key)", ErrHeader)
	}
	h.Codeword = cw
	return nil
}

// fields reads length-prefixed fields, remembering the first overrun.
type fields struct {
	b   []byte
	bad bool
}

func (f *fields) take(n int) []byte {
	if f.bad || n > len(f.b) {
		f.bad = true
		return nil
	}
	p := f.b[:n:n]
	f.b = f.b[n:]
	return p
}

func (f *fields) u8() uint8 {
	p := f.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

func (f *fields) u32() uint32 {
	p := f.take(4)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (f *fields) u16() uint16 {
	p := f.take(2)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint16(p)
}
