package tcmu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// Offsets in the shared region, from <linux/target_core_user.h> (mailbox
// version 2). The mailbox sits at offset 0; cmd_tail is on its own 64-byte
// cache line because user space writes it.
const (
	mbVersion  = 0  // u16
	mbFlags    = 2  // u16
	mbCmdrOff  = 4  // u32: command ring offset from the region start
	mbCmdrSize = 8  // u32
	mbCmdHead  = 12 // u32: written by the kernel
	mbCmdTail  = 64 // u32: written by user space
	mbLen      = 68
)

// Offsets in one ring entry (struct tcmu_cmd_entry). The request and
// response share the bytes after the 8-byte header. The entry is packed
// but the request struct inside it is not, so cdb_off is 8-byte aligned
// (4 bytes of padding after iov_dif_cnt) and the iovecs start at 48.
const (
	entLenOp    = 0  // u32: length (multiple of 8) | opcode (low 3 bits)
	entCmdID    = 4  // u16
	entUflags   = 7  // u8: set by user space
	reqIovCnt   = 8  // u32
	reqCdbOff   = 24 // u64: CDB offset from the region start
	reqIov      = 48 // struct iovec[]: base (offset from region start), len
	iovecLen    = 16
	rspStatus   = 8  // u8
	rspReadLen  = 12 // u32
	rspSense    = 16 // 96 bytes
	senseMax    = 96
	minEntryLen = rspSense + senseMax
)

// Entry operations and flags.
const (
	opPad = 0
	opCmd = 1

	uflagUnknownOp = 0x1
	uflagReadLen   = 0x2

	capReadLen = 1 << 1 // mailbox flag: the kernel honours read_len
)

// maxIOV bounds the scatter list of one command (64 KiB transfers need a
// handful; the kernel's data area is a few MiB).
const maxIOV = 4096

// ErrRing means the shared region does not hold what TCMU promises.
var ErrRing = errors.New("tcmu: malformed command ring")

// Segment is one piece of a command's data buffer in the shared region.
type Segment struct{ Off, Len uint64 }

// Entry is one ring entry.
type Entry struct {
	Pos  uint32 // offset in the ring
	Len  uint32
	Op   uint8
	ID   uint16
	CDB  []byte    // aliases the shared region
	Data []Segment // the data buffer, in order
}

// Ring reads and completes commands in the shared region mem.
type Ring struct {
	mem      []byte
	cmdrOff  uint32
	cmdrSize uint32
	readLen  bool
}

// NewRing checks the mailbox of a freshly mapped region.
func NewRing(mem []byte) (*Ring, error) {
	if len(mem) < mbLen {
		return nil, fmt.Errorf("%w: region of %d bytes", ErrRing, len(mem))
	}
	if v := binary.LittleEndian.Uint16(mem[mbVersion:]); v != 2 {
		return nil, fmt.Errorf("%w: mailbox version %d, want 2", ErrRing, v)
	}
	off, size := binary.LittleEndian.Uint32(mem[mbCmdrOff:]), binary.LittleEndian.Uint32(mem[mbCmdrSize:])
	if off < mbLen || size < minEntryLen || uint64(off)+uint64(size) > uint64(len(mem)) || size%8 != 0 {
		return nil, fmt.Errorf("%w: ring at %d size %d in a region of %d", ErrRing, off, size, len(mem))
	}
	flags := binary.LittleEndian.Uint16(mem[mbFlags:])
	return &Ring{mem: mem, cmdrOff: off, cmdrSize: size, readLen: flags&capReadLen != 0}, nil
}

func (r *Ring) word(off int) *uint32 { return (*uint32)(unsafe.Pointer(&r.mem[off])) }

// Head is where the kernel will put its next entry.
func (r *Ring) Head() uint32 { return atomic.LoadUint32(r.word(mbCmdHead)) }

// Tail is the first entry user space has not completed.
func (r *Ring) Tail() uint32 { return atomic.LoadUint32(r.word(mbCmdTail)) }

// Advance moves the tail past e, handing the entry back to the kernel.
func (r *Ring) Advance(e Entry) {
	atomic.StoreUint32(r.word(mbCmdTail), (e.Pos+e.Len)%r.cmdrSize)
}

// Entry parses the entry at ring offset pos, checking every offset against
// the region so a bad ring yields an error, never a fault.
func (r *Ring) Entry(pos uint32) (Entry, error) {
	if pos%8 != 0 || pos+8 > r.cmdrSize {
		return Entry{}, fmt.Errorf("%w: entry at %d", ErrRing, pos)
	}
	base := r.cmdrOff + pos
	lenOp := binary.LittleEndian.Uint32(r.mem[base+entLenOp:])
	e := Entry{Pos: pos, Len: lenOp &^ 7, Op: uint8(lenOp & 7), ID: binary.LittleEndian.Uint16(r.mem[base+entCmdID:])}
	if e.Len < 8 || e.Len%8 != 0 || uint64(pos)+uint64(e.Len) > uint64(r.cmdrSize) {
		return Entry{}, fmt.Errorf("%w: entry at %d has length %d", ErrRing, pos, e.Len)
	}
	if e.Op != opCmd {
		return e, nil
	}
	if e.Len < minEntryLen {
		return Entry{}, fmt.Errorf("%w: command entry of %d bytes", ErrRing, e.Len)
	}
	ent := r.mem[base : base+e.Len]
	n := binary.LittleEndian.Uint32(ent[reqIovCnt:])
	if n > maxIOV || reqIov+uint64(n)*iovecLen > uint64(e.Len) {
		return Entry{}, fmt.Errorf("%w: %d iovecs in an entry of %d bytes", ErrRing, n, e.Len)
	}
	for i := range uint64(n) {
		s := Segment{Off: binary.LittleEndian.Uint64(ent[reqIov+i*iovecLen:]), Len: binary.LittleEndian.Uint64(ent[reqIov+i*iovecLen+8:])}
		if s.Off > uint64(len(r.mem)) || s.Len > uint64(len(r.mem))-s.Off {
			return Entry{}, fmt.Errorf("%w: data segment %d+%d outside the region", ErrRing, s.Off, s.Len)
		}
		e.Data = append(e.Data, s)
	}
	cdbOff := binary.LittleEndian.Uint64(ent[reqCdbOff:])
	if cdbOff >= uint64(len(r.mem)) {
		return Entry{}, fmt.Errorf("%w: CDB at %d outside the region", ErrRing, cdbOff)
	}
	l := CDBLen(r.mem[cdbOff])
	if cdbOff+uint64(l) > uint64(len(r.mem)) {
		return Entry{}, fmt.Errorf("%w: CDB at %d outside the region", ErrRing, cdbOff)
	}
	e.CDB = r.mem[cdbOff : cdbOff+uint64(l)]
	return e, nil
}

// DataLen is the total length of the command's data buffer.
func (e Entry) DataLen() int {
	n := 0
	for _, s := range e.Data {
		n += int(s.Len)
	}
	return n
}

// Gather copies the data-out buffer into p.
func (r *Ring) Gather(e Entry, p []byte) {
	for _, s := range e.Data {
		p = p[copy(p, r.mem[s.Off:s.Off+s.Len]):]
	}
}

// Scatter copies p into the data-in buffer.
func (r *Ring) Scatter(e Entry, p []byte) {
	for _, s := range e.Data {
		if len(p) == 0 {
			return
		}
		p = p[copy(r.mem[s.Off:s.Off+s.Len], p):]
	}
}

// Complete writes a command's response into its entry: SCSI status, sense
// (at most 96 bytes) and, when the kernel supports it, how many bytes of a
// data-in buffer are valid.
func (r *Ring) Complete(e Entry, status uint8, sense []byte, readLen int) {
	ent := r.mem[r.cmdrOff+e.Pos : r.cmdrOff+e.Pos+e.Len]
	ent[rspStatus] = status
	clear(ent[rspSense : rspSense+senseMax])
	copy(ent[rspSense:rspSense+senseMax], sense)
	if r.readLen && readLen >= 0 {
		ent[entUflags] |= uflagReadLen
		binary.LittleEndian.PutUint32(ent[rspReadLen:], uint32(readLen))
	}
}

// Unknown marks a command the handler does not implement; the kernel
// answers it with INVALID COMMAND OPERATION CODE itself.
func (r *Ring) Unknown(e Entry) {
	r.mem[r.cmdrOff+e.Pos+entUflags] |= uflagUnknownOp
}

// CDBLen is the command block length implied by the opcode's group code,
// as the kernel's COMMAND_SIZE table has it (SPC-4 4.2.5.1): groups 0 to 7
// are 6, 10, 10, 12, 16, 12, 10 and 10 bytes long.
func CDBLen(op byte) int {
	return [8]int{6, 10, 10, 12, 16, 12, 10, 10}[op>>5]
}
