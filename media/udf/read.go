package udf

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Reading: enough of ECMA-167 and UDF 2.50 to fetch a file by path from a
// BD-R image as mkudffs and Add make it (and from plain images with one
// physical partition): the partition and logical volume descriptors, the
// VAT when the volume has a virtual partition, file entries (FE or EFE)
// with embedded data, short or long allocation descriptors, and directory
// FIDs with 8- or 16-bit names. libudfread (libbluray's UDF reader) does
// not read VAT volumes, so tests and tracing read BD-R images with this.

// Tag identifiers (ECMA-167 3/7.2.1 and 4/7.2.1).
const (
	tagPD = 5
	tagLV = 6
	tagFE = 261
)

// MaxReadFile bounds a file ReadFile returns.
const MaxReadFile = 1 << 30

// volume is what reading a path needs.
type volume struct {
	img  []byte
	part int
	refs []bool   // per partition reference: virtual (mapped by the VAT)
	vat  []uint32 // nil without a virtual partition
}

func (v *volume) block(ref uint16, blk uint32) ([]byte, error) {
	if int(ref) >= len(v.refs) {
		return nil, fmt.Errorf("%w: partition reference %d", ErrImage, ref)
	}
	if v.refs[ref] {
		if int(blk) >= len(v.vat) {
			return nil, fmt.Errorf("%w: virtual block %d past the VAT", ErrImage, blk)
		}
		blk = v.vat[blk]
	}
	at := int64(v.part) + int64(blk)
	if at < 0 || (at+1)*udfBlock > int64(len(v.img)) {
		return nil, fmt.Errorf("%w: block %d outside the image", ErrImage, at)
	}
	return v.img[at*udfBlock : (at+1)*udfBlock], nil
}

// ReadFile returns the file at path (slash-separated, from the root) in
// a UDF image held in memory.
func ReadFile(img []byte, path string) ([]byte, error) {
	v, fsd, err := mount(img)
	if err != nil {
		return nil, fmt.Errorf("udf.ReadFile: %w", err)
	}
	ref, blk := binary.LittleEndian.Uint16(fsd[400+8:]), binary.LittleEndian.Uint32(fsd[400+4:])
	for _, name := range strings.Split(strings.Trim(path, "/"), "/") {
		dir, err := v.read(ref, blk)
		if err != nil {
			return nil, fmt.Errorf("udf.ReadFile: %s: %w", path, err)
		}
		if ref, blk, err = lookup(dir, name); err != nil {
			return nil, fmt.Errorf("udf.ReadFile: %s: %w", path, err)
		}
	}
	b, err := v.read(ref, blk)
	if err != nil {
		return nil, fmt.Errorf("udf.ReadFile: %s: %w", path, err)
	}
	return b, nil
}

// mount finds the partition, the partition maps, the VAT and the file set
// descriptor.
func mount(img []byte) (*volume, []byte, error) {
	v := &volume{img: img}
	n := len(img) / udfBlock
	var lvd []byte
	for i := 32; i < 512 && i < n; i++ {
		b := img[i*udfBlock : (i+1)*udfBlock]
		switch binary.LittleEndian.Uint16(b) {
		case tagPD:
			if v.part == 0 {
				v.part = int(binary.LittleEndian.Uint32(b[188:]))
			}
		case tagLV:
			if lvd == nil {
				lvd = b
			}
		}
	}
	if v.part == 0 || v.part >= n || lvd == nil {
		return nil, nil, fmt.Errorf("%w: no partition or logical volume descriptor", ErrImage)
	}
	maps, nmaps := int(binary.LittleEndian.Uint32(lvd[264:])), int(binary.LittleEndian.Uint32(lvd[268:]))
	if nmaps < 1 || nmaps > 4 || 440+maps > udfBlock {
		return nil, nil, fmt.Errorf("%w: %d partition maps", ErrImage, nmaps)
	}
	virtual := false
	for p, i := 440, 0; i < nmaps; i++ {
		if p+2 > 440+maps || lvd[p+1] < 6 || p+int(lvd[p+1]) > 440+maps {
			return nil, nil, fmt.Errorf("%w: partition map %d out of bounds", ErrImage, i)
		}
		m := lvd[p : p+int(lvd[p+1])]
		isVirt := m[0] == 2 && len(m) >= 36 && strings.HasPrefix(string(m[5:]), "*UDF Virtual Partition")
		if m[0] == 2 && !isVirt {
			return nil, nil, fmt.Errorf("%w: partition map %d is of a kind this reader does not know", ErrImage, i)
		}
		v.refs = append(v.refs, isVirt)
		virtual = virtual || isVirt
		p += len(m)
	}
	if virtual {
		t, err := Open(img)
		if err != nil {
			return nil, nil, err
		}
		v.vat = t.vat
	}
	ref, blk := binary.LittleEndian.Uint16(lvd[248+8:]), binary.LittleEndian.Uint32(lvd[248+4:])
	fsd, err := v.block(ref, blk)
	if err != nil {
		return nil, nil, err
	}
	return v, fsd, nil
}

// read returns the data of the file whose entry is at (ref, blk).
func (v *volume) read(ref uint16, blk uint32) ([]byte, error) {
	e, err := v.block(ref, blk)
	if err != nil {
		return nil, err
	}
	var fixed int
	switch binary.LittleEndian.Uint16(e) {
	case tagEFE:
		fixed = efeFixedSize
	case tagFE:
		fixed = 176
	default:
		return nil, fmt.Errorf("%w: block %d is not a file entry", ErrImage, blk)
	}
	size := binary.LittleEndian.Uint64(e[56:])
	lea, lad := binary.LittleEndian.Uint32(e[fixed-8:]), binary.LittleEndian.Uint32(e[fixed-4:])
	if size > MaxReadFile || size > uint64(len(v.img)) || uint64(fixed)+uint64(lea)+uint64(lad) > udfBlock {
		return nil, fmt.Errorf("%w: file entry at block %d out of bounds", ErrImage, blk)
	}
	ads := e[fixed+int(lea) : fixed+int(lea)+int(lad)]
	var out []byte
	switch binary.LittleEndian.Uint16(e[16+18:]) & 7 {
	case adInICB:
		out = append(out, ads...)
	case 0, adLong: // short: 8 bytes, in the entry's own partition; long: 16
		step := 8
		if binary.LittleEndian.Uint16(e[16+18:])&7 == adLong {
			step = 16
		}
		for p := 0; p+step <= len(ads) && uint64(len(out)) < size; p += step {
			l := binary.LittleEndian.Uint32(ads[p:]) & 0x3FFFFFFF
			loc, r := binary.LittleEndian.Uint32(ads[p+4:]), ref
			if step == 16 {
				r = binary.LittleEndian.Uint16(ads[p+8:])
			}
			if l == 0 {
				break
			}
			for off := uint32(0); off < l && uint64(len(out)) < size; off += udfBlock {
				b, err := v.block(r, loc+off/udfBlock)
				if err != nil {
					return nil, err
				}
				out = append(out, b[:min(udfBlock, l-off)]...)
			}
		}
	default:
		return nil, fmt.Errorf("%w: file entry at block %d uses an allocation this reader does not know", ErrImage, blk)
	}
	if uint64(len(out)) < size {
		return nil, fmt.Errorf("%w: file at block %d has %d of its %d bytes", ErrImage, blk, len(out), size)
	}
	return out[:size], nil
}

// ErrNotFound reports a path with no file.
var ErrNotFound = fmt.Errorf("%w: no such file", ErrImage)

// lookup finds name among a directory's FIDs (ECMA-167 4/14.4).
func lookup(dir []byte, name string) (uint16, uint32, error) {
	for p := 0; p+38 <= len(dir); {
		if binary.LittleEndian.Uint16(dir[p:]) != tagFID {
			return 0, 0, fmt.Errorf("%w: directory entry without a FID tag", ErrImage)
		}
		lfi, liu := int(dir[p+19]), int(binary.LittleEndian.Uint16(dir[p+36:]))
		end := p + 38 + liu + lfi
		if end > len(dir) {
			return 0, 0, fmt.Errorf("%w: FID past the directory's end", ErrImage)
		}
		if lfi > 0 && dir[p+18]&0x04 == 0 && osta(dir[p+38+liu:end]) == name {
			return binary.LittleEndian.Uint16(dir[p+20+8:]), binary.LittleEndian.Uint32(dir[p+20+4:]), nil
		}
		p = (end + 3) &^ 3
	}
	return 0, 0, fmt.Errorf("%w: %q", ErrNotFound, name)
}

// osta decodes an OSTA compressed unicode name (UDF 2.1.1): 8 or 16 bits
// per character.
func osta(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	switch b[0] {
	case 8:
		return string(b[1:])
	case 16:
		var s []rune
		for i := 1; i+1 < len(b); i += 2 {
			s = append(s, rune(b[i])<<8|rune(b[i+1]))
		}
		return string(s)
	}
	return ""
}
