package burn

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// A tiny UDF appender for tests: it adds a directory tree to the empty
// UDF 2.50 file system mkudffs makes for a BD-R (a physical partition, a
// virtual partition mapped by a VAT, the VAT in the last block), the way a
// sequential writer does: new blocks appended, root directory rewritten,
// a new VAT last. Layout references: ECMA-167 3rd edition parts 3 and 4;
// OSTA UDF 2.50 sections 2.2 (VAT) and 2.3 (ICBs, FIDs).

const (
	udfBlock      = 2048
	tagFID        = 257
	tagEFE        = 266
	fileTypeDir   = 4
	fileTypeFile  = 5
	fileTypeVAT   = 248
	adInICB       = 3
	adLong        = 1
	physPartRef   = 0
	virtPartRef   = 1
	efeFixedSize  = 216
	vatHeaderSize = 152
)

// udfTree is the image being extended: blocks are appended to img.
type udfTree struct {
	img      []byte
	part     int      // first block of the physical partition
	vat      []uint32 // virtual block -> partition block
	stamp    []byte   // a timestamp taken from mkudffs's root
	unique   uint64
	nfiles   int
	ndirs    int
	rootVirt uint32
	// where maps a file's path to the image sector of its first byte.
	where map[string]int
}

// udfFile is one file or directory of the tree to add.
type udfFile struct {
	path string // slash-separated; directories end without a slash
	data []byte // nil for a directory
}

func crcITU(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// setTag fills in a descriptor tag over d (ECMA-167 3/7.2).
func setTag(d []byte, id uint16, loc uint32) {
	binary.LittleEndian.PutUint16(d[0:], id)
	binary.LittleEndian.PutUint16(d[2:], 3)
	binary.LittleEndian.PutUint16(d[6:], 1) // serial
	binary.LittleEndian.PutUint16(d[8:], crcITU(d[16:]))
	binary.LittleEndian.PutUint16(d[10:], uint16(len(d)-16))
	binary.LittleEndian.PutUint32(d[12:], loc)
	var sum byte
	for i := range 16 {
		if i != 4 {
			sum += d[i]
		}
	}
	d[4] = sum
}

func longAD(b []byte, length, loc uint32, part uint16) {
	binary.LittleEndian.PutUint32(b[0:], length)
	binary.LittleEndian.PutUint32(b[4:], loc)
	binary.LittleEndian.PutUint16(b[8:], part)
}

// fid encodes a file identifier descriptor (ECMA-167 4/14.4).
func fid(name string, chars byte, icbVirt uint32, loc uint32) []byte {
	lfi := 0
	if name != "" {
		lfi = 1 + len(name)
	}
	n := (38 + lfi + 3) &^ 3
	d := make([]byte, n)
	binary.LittleEndian.PutUint16(d[16:], 1)
	d[18], d[19] = chars, byte(lfi)
	longAD(d[20:], udfBlock, icbVirt, virtPartRef)
	if lfi > 0 {
		d[38] = 8 // OSTA compressed unicode, 8 bits per character
		copy(d[39:], name)
	}
	setTag(d, tagFID, loc)
	return d
}

// efe encodes an extended file entry (ECMA-167 4/14.17) with the given
// allocation descriptors (or embedded data).
func (u *udfTree) efe(ftype byte, adType uint16, size uint64, blocks uint64, ads []byte, loc uint32, links uint16) []byte {
	d := make([]byte, udfBlock)
	icb := d[16:36]
	binary.LittleEndian.PutUint16(icb[4:], 4) // strategy 4
	binary.LittleEndian.PutUint16(icb[8:], 1) // max entries
	icb[11] = ftype
	binary.LittleEndian.PutUint16(icb[18:], adType)
	binary.LittleEndian.PutUint32(d[36:], 0xFFFFFFFF) // uid: not set
	binary.LittleEndian.PutUint32(d[40:], 0xFFFFFFFF) // gid: not set
	binary.LittleEndian.PutUint32(d[44:], 0x14A5)     // r-x for all, as a pressed disc
	binary.LittleEndian.PutUint16(d[48:], links)
	binary.LittleEndian.PutUint64(d[56:], size)
	binary.LittleEndian.PutUint64(d[64:], size)
	binary.LittleEndian.PutUint64(d[72:], blocks)
	for _, off := range []int{80, 92, 104, 116} {
		copy(d[off:off+12], u.stamp)
	}
	binary.LittleEndian.PutUint32(d[128:], 1) // checkpoint
	copy(d[168:], "\x00*copystation test")
	binary.LittleEndian.PutUint64(d[200:], u.unique)
	u.unique++
	binary.LittleEndian.PutUint32(d[212:], uint32(len(ads)))
	copy(d[efeFixedSize:], ads)
	setTag(d[:efeFixedSize+len(ads)], tagEFE, loc)
	return d
}

// appendBlock adds one block at the end of the image and returns its
// partition block number.
func (u *udfTree) appendBlock(b []byte) uint32 {
	blk := uint32(len(u.img)/udfBlock - u.part)
	pad := make([]byte, udfBlock)
	copy(pad, b)
	u.img = append(u.img, pad...)
	return blk
}

// addICB appends an ICB block and maps a virtual block to it.
func (u *udfTree) addICB(virt uint32, build func(loc uint32) []byte) {
	blk := uint32(len(u.img)/udfBlock - u.part)
	u.appendBlock(build(virt))
	for uint32(len(u.vat)) <= virt {
		u.vat = append(u.vat, 0xFFFFFFFF)
	}
	u.vat[virt] = blk
}

// addTree writes files (data first, then their entries, then the
// directories bottom-up, the root last) and a new VAT.
func (u *udfTree) addTree(files []udfFile) error {
	virt := map[string]uint32{"": u.rootVirt}
	next := uint32(len(u.vat))
	children := map[string][]string{}
	isDir := map[string]bool{"": true}
	for _, f := range files {
		parent := ""
		if i := strings.LastIndex(f.path, "/"); i >= 0 {
			parent = f.path[:i]
		}
		if !isDir[parent] {
			return fmt.Errorf("udf: %s added before its directory", f.path)
		}
		children[parent] = append(children[parent], f.path)
		isDir[f.path] = f.data == nil
		if f.path != "" {
			virt[f.path] = next
			next++
		}
	}
	for _, f := range files {
		if f.data == nil {
			continue
		}
		start := uint32(len(u.img)/udfBlock - u.part)
		u.where[f.path] = len(u.img) / udfBlock
		nblk := (len(f.data) + udfBlock - 1) / udfBlock
		for i := range nblk {
			u.appendBlock(f.data[i*udfBlock : min(len(f.data), (i+1)*udfBlock)])
		}
		ad := make([]byte, 16)
		longAD(ad, uint32(len(f.data)), start, physPartRef)
		u.addICB(virt[f.path], func(loc uint32) []byte {
			return u.efe(fileTypeFile, adLong, uint64(len(f.data)), uint64(nblk), ad, loc, 1)
		})
		u.nfiles++
	}
	var dirs []string
	for d, ok := range isDir {
		if ok {
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs) // virtual addresses are fixed: any order will do
	for _, d := range dirs {
		parent := ""
		if i := strings.LastIndex(d, "/"); i >= 0 {
			parent = d[:i]
		}
		ids := fid("", 0x0A, virt[parent], virt[d])
		links := uint16(1)
		for _, c := range children[d] {
			var chars byte
			if isDir[c] {
				chars, links = 0x02, links+1
			}
			ids = append(ids, fid(c[strings.LastIndex(c, "/")+1:], chars, virt[c], virt[d])...)
		}
		if len(ids) > udfBlock-efeFixedSize {
			return fmt.Errorf("udf: directory %q too large for an embedded ICB", d)
		}
		u.addICB(virt[d], func(loc uint32) []byte {
			return u.efe(fileTypeDir, adInICB, uint64(len(ids)), 0, ids, loc, links)
		})
		if d != "" {
			u.ndirs++
		}
	}
	return u.writeVAT()
}

// writeVAT appends the VAT (UDF 2.50 2.2.11) as the last block.
func (u *udfTree) writeVAT() error {
	data := make([]byte, vatHeaderSize, vatHeaderSize+4*len(u.vat))
	binary.LittleEndian.PutUint16(data[0:], vatHeaderSize)
	data[4] = 8
	copy(data[5:], "FILM")
	data[4+127] = 5 // dstring length byte
	binary.LittleEndian.PutUint32(data[132:], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(data[136:], uint32(u.nfiles))
	binary.LittleEndian.PutUint32(data[140:], uint32(u.ndirs+1))
	binary.LittleEndian.PutUint16(data[144:], 0x250)
	binary.LittleEndian.PutUint16(data[146:], 0x250)
	binary.LittleEndian.PutUint16(data[148:], 0x250)
	for _, v := range u.vat {
		data = binary.LittleEndian.AppendUint32(data, v)
	}
	if len(data) > udfBlock-efeFixedSize {
		return fmt.Errorf("udf: VAT of %d entries does not fit one block", len(u.vat))
	}
	loc := uint32(len(u.img)/udfBlock - u.part)
	u.appendBlock(u.efe(fileTypeVAT, adInICB, uint64(len(data)), 0, data, loc, 0))
	return nil
}

// openUDF reads what addTree needs from a mkudffs BD-R image: the
// partition start (partition descriptor), the VAT (last block), the root
// ICB's virtual block (file set descriptor) and a timestamp.
func openUDF(img []byte) (*udfTree, error) {
	u := &udfTree{img: img, unique: 16, where: map[string]int{}}
	n := len(img) / udfBlock
	for i := 32; i < 512 && i < n; i++ {
		b := img[i*udfBlock:]
		if binary.LittleEndian.Uint16(b) == 5 { // partition descriptor
			u.part = int(binary.LittleEndian.Uint32(b[188:]))
			break
		}
	}
	if u.part == 0 {
		return nil, fmt.Errorf("udf: no partition descriptor")
	}
	last := img[(n-1)*udfBlock:]
	if binary.LittleEndian.Uint16(last) != tagEFE || last[16+11] != fileTypeVAT {
		return nil, fmt.Errorf("udf: last block is not a VAT")
	}
	lea, lad := binary.LittleEndian.Uint32(last[208:]), binary.LittleEndian.Uint32(last[212:])
	vat := last[efeFixedSize+lea : efeFixedSize+lea+lad]
	hd := binary.LittleEndian.Uint16(vat)
	for p := int(hd); p+4 <= len(vat); p += 4 {
		u.vat = append(u.vat, binary.LittleEndian.Uint32(vat[p:]))
	}
	fsd := img[(u.part+int(u.vat[0]))*udfBlock:]
	u.rootVirt = binary.LittleEndian.Uint32(fsd[400+4:])
	root := img[(u.part+int(u.vat[u.rootVirt]))*udfBlock:]
	u.stamp = append([]byte(nil), root[80:92]...)
	return u, nil // the old VAT stays: a sequential disc never rewrites
}
