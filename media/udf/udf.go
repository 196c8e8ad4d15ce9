// Package udf adds a directory tree to the empty UDF 2.50 file system
// mkudffs makes for a BD-R (a physical partition, a virtual partition
// mapped by a VAT, the VAT in the last block), the way a sequential writer
// does: new blocks appended, root directory rewritten, a new VAT last.
// Layout references: ECMA-167 3rd edition parts 3 and 4; OSTA UDF 2.50
// sections 2.2 (VAT) and 2.3 (ICBs, FIDs).
package udf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// ErrImage reports an image this package cannot extend, or a tree it
// cannot write.
var ErrImage = errors.New("udf image")

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

// Tree is the image being extended: blocks are appended to img, or,
// once StreamTo is called, written to a writer (a sequential recorder
// never rewrites a block, so nothing written is read back).
type Tree struct {
	img      []byte
	w        io.Writer // nil: append to img
	blocks   int       // blocks in the image so far
	werr     error
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

// File is one file or directory of the tree to add.
type File struct {
	Path string // slash-separated; directories end without a slash
	Data []byte // nil for a directory (and for a file read from Reader)
	// Reader, if set, supplies the file's Size bytes instead of Data,
	// read once as the file is added.
	Reader io.Reader
	Size   int64
}

// Image is the image as extended so far.
func (u *Tree) Image() []byte { return u.img }

// Where is the image sector (2048 bytes) holding the first byte of the
// file at path, added by Add; ok is false for a path not added.
func (u *Tree) Where(path string) (sector int, ok bool) {
	sector, ok = u.where[path]
	return sector, ok
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
func (u *Tree) efe(ftype byte, adType uint16, size uint64, blocks uint64, ads []byte, loc uint32, links uint16) []byte {
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
func (u *Tree) appendBlock(b []byte) uint32 {
	blk := uint32(u.blocks - u.part)
	pad := make([]byte, udfBlock)
	copy(pad, b)
	u.blocks++
	if u.w == nil {
		u.img = append(u.img, pad...)
	} else if u.werr == nil {
		if _, err := u.w.Write(pad); err != nil {
			u.werr = err
		}
	}
	return blk
}

// addICB appends an ICB block and maps a virtual block to it.
func (u *Tree) addICB(virt uint32, build func(loc uint32) []byte) {
	blk := uint32(u.blocks - u.part)
	u.appendBlock(build(virt))
	for uint32(len(u.vat)) <= virt {
		u.vat = append(u.vat, 0xFFFFFFFF)
	}
	u.vat[virt] = blk
}

// Add writes files (data first, then their entries, then the
// directories bottom-up, the root last) and a new VAT.
func (u *Tree) Add(files []File) error {
	virt := map[string]uint32{"": u.rootVirt}
	next := uint32(len(u.vat))
	children := map[string][]string{}
	isDir := map[string]bool{"": true}
	for _, f := range files {
		parent := ""
		if i := strings.LastIndex(f.Path, "/"); i >= 0 {
			parent = f.Path[:i]
		}
		if !isDir[parent] {
			return fmt.Errorf("udf.Add: %w: %s added before its directory", ErrImage, f.Path)
		}
		children[parent] = append(children[parent], f.Path)
		isDir[f.Path] = f.dir()
		if f.Path != "" {
			virt[f.Path] = next
			next++
		}
	}
	for _, f := range files {
		if f.dir() {
			continue
		}
		size := f.size()
		if size < 0 || size > maxExtent {
			return fmt.Errorf("udf.Add: %w: %s is %d bytes; one extent holds at most %d", ErrImage, f.Path, size, int64(maxExtent))
		}
		start := uint32(u.blocks - u.part)
		u.where[f.Path] = u.blocks
		nblk := int((size + udfBlock - 1) / udfBlock)
		if err := u.appendData(f, nblk); err != nil {
			return fmt.Errorf("udf.Add: %s: %w", f.Path, err)
		}
		ad := make([]byte, 16)
		longAD(ad, uint32(size), start, physPartRef)
		u.addICB(virt[f.Path], func(loc uint32) []byte {
			return u.efe(fileTypeFile, adLong, uint64(size), uint64(nblk), ad, loc, 1)
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
			return fmt.Errorf("udf.Add: %w: directory %q too large for an embedded ICB", ErrImage, d)
		}
		u.addICB(virt[d], func(loc uint32) []byte {
			return u.efe(fileTypeDir, adInICB, uint64(len(ids)), 0, ids, loc, links)
		})
		if d != "" {
			u.ndirs++
		}
	}
	if err := u.writeVAT(); err != nil {
		return err
	}
	if u.werr != nil {
		return fmt.Errorf("udf.Add: %w", u.werr)
	}
	return nil
}

// writeVAT appends the VAT (UDF 2.50 2.2.11) as the last block.
func (u *Tree) writeVAT() error {
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
		return fmt.Errorf("udf.Add: %w: VAT of %d entries does not fit one block", ErrImage, len(u.vat))
	}
	loc := uint32(u.blocks - u.part)
	u.appendBlock(u.efe(fileTypeVAT, adInICB, uint64(len(data)), 0, data, loc, 0))
	return nil
}

// Open reads what Add needs from a mkudffs BD-R image: the partition
// start (partition descriptor), the VAT (last block), the root ICB's
// virtual block (file set descriptor) and a timestamp. Add appends to img.
func Open(img []byte) (*Tree, error) {
	u := &Tree{img: img, unique: 16, where: map[string]int{}, blocks: len(img) / udfBlock}
	n := len(img) / udfBlock
	for i := 32; i < 512 && i < n; i++ {
		b := img[i*udfBlock:]
		if binary.LittleEndian.Uint16(b) == 5 { // partition descriptor
			u.part = int(binary.LittleEndian.Uint32(b[188:]))
			break
		}
	}
	if u.part == 0 || u.part >= n {
		return nil, fmt.Errorf("udf.Open: %w: no partition descriptor (not a mkudffs BD-R image?)", ErrImage)
	}
	last := img[(n-1)*udfBlock:]
	if binary.LittleEndian.Uint16(last) != tagEFE || last[16+11] != fileTypeVAT {
		return nil, fmt.Errorf("udf.Open: %w: last block is not a VAT (not a mkudffs BD-R image?)", ErrImage)
	}
	lea, lad := binary.LittleEndian.Uint32(last[208:]), binary.LittleEndian.Uint32(last[212:])
	if uint64(efeFixedSize)+uint64(lea)+uint64(lad) > udfBlock || lad < 2 {
		return nil, fmt.Errorf("udf.Open: %w: VAT entry lengths out of bounds", ErrImage)
	}
	vat := last[efeFixedSize+lea : efeFixedSize+lea+lad]
	hd := binary.LittleEndian.Uint16(vat)
	for p := int(hd); p+4 <= len(vat); p += 4 {
		u.vat = append(u.vat, binary.LittleEndian.Uint32(vat[p:]))
	}
	block := func(virt uint32) ([]byte, error) {
		if int(virt) >= len(u.vat) || u.part+int(u.vat[virt]) >= n {
			return nil, fmt.Errorf("udf.Open: %w: virtual block %d outside the image", ErrImage, virt)
		}
		return img[(u.part+int(u.vat[virt]))*udfBlock:], nil
	}
	fsd, err := block(0)
	if err != nil {
		return nil, err
	}
	u.rootVirt = binary.LittleEndian.Uint32(fsd[400+4:])
	root, err := block(u.rootVirt)
	if err != nil {
		return nil, err
	}
	u.stamp = append([]byte(nil), root[80:92]...)
	return u, nil // the old VAT stays: a sequential disc never rewrites
}

// ErrTool reports that mkudffs (udftools) is missing or failed.
var ErrTool = errors.New("mkudffs")

// Blank makes the empty UDF 2.50 BD-R file system mkudffs writes, of
// blocks 2048-byte blocks, labelled label, and opens it for Add.
func Blank(label string, blocks int) (*Tree, error) {
	mk, err := exec.LookPath("mkudffs")
	if err != nil {
		return nil, fmt.Errorf("udf.Blank: %w: not installed (apt-get install udftools)", ErrTool)
	}
	dir, err := os.MkdirTemp("", "udf-*")
	if err != nil {
		return nil, fmt.Errorf("udf.Blank: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "blank.udf")
	out, err := exec.Command(mk, "--media-type=bdr", "--udfrev=2.50", "--label="+label, "--new-file", path, fmt.Sprint(blocks)).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("udf.Blank: %w: %v: %s", ErrTool, err, strings.TrimSpace(string(out)))
	}
	img, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("udf.Blank: %w", err)
	}
	return Open(img)
}
