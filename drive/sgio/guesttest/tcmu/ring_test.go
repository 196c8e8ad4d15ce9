package tcmu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"copystation/drive"
)

const (
	testRingOff  = 128
	testRingSize = 1024
	testDataOff  = testRingOff + testRingSize
	testRegion   = testDataOff + 8192
)

// region builds a shared region laid out as the kernel lays it out.
func region(flags uint16) []byte {
	mem := make([]byte, testRegion)
	binary.LittleEndian.PutUint16(mem[mbVersion:], 2)
	binary.LittleEndian.PutUint16(mem[mbFlags:], flags)
	binary.LittleEndian.PutUint32(mem[mbCmdrOff:], testRingOff)
	binary.LittleEndian.PutUint32(mem[mbCmdrSize:], testRingSize)
	return mem
}

// putCmd writes a command entry at ring offset pos with the CDB at cdbOff
// and the given data segments; it returns the entry length.
func putCmd(mem []byte, pos uint32, id uint16, cdbOff uint64, cdb []byte, segs []Segment) uint32 {
	n := uint32(reqIov + len(segs)*iovecLen)
	if n < minEntryLen {
		n = minEntryLen
	}
	n = (n + 7) &^ 7
	ent := mem[testRingOff+pos:]
	binary.LittleEndian.PutUint32(ent[entLenOp:], n|opCmd)
	binary.LittleEndian.PutUint16(ent[entCmdID:], id)
	binary.LittleEndian.PutUint32(ent[reqIovCnt:], uint32(len(segs)))
	binary.LittleEndian.PutUint64(ent[reqCdbOff:], cdbOff)
	for i, s := range segs {
		binary.LittleEndian.PutUint64(ent[reqIov+i*iovecLen:], s.Off)
		binary.LittleEndian.PutUint64(ent[reqIov+i*iovecLen+8:], s.Len)
	}
	copy(mem[cdbOff:], cdb)
	return n
}

func TestRingCommand(t *testing.T) {
	mem := region(capReadLen)
	read10 := []byte{0x28, 0, 0, 0, 0, 5, 0, 0, 2, 0}
	segs := []Segment{{testDataOff, 3000}, {testDataOff + 3072, 1096}}
	n := putCmd(mem, 0, 7, testDataOff-16, read10, segs)
	binary.LittleEndian.PutUint32(mem[mbCmdHead:], n)

	r, err := NewRing(mem)
	if err != nil {
		t.Fatalf("NewRing = %v", err)
	}
	if r.Head() != n || r.Tail() != 0 {
		t.Fatalf("Head, Tail = %d, %d; want %d, 0", r.Head(), r.Tail(), n)
	}
	e, err := r.Entry(0)
	if err != nil {
		t.Fatalf("Entry(0) = %v", err)
	}
	if e.ID != 7 || e.Op != opCmd || !bytes.Equal(e.CDB, read10) || e.DataLen() != 4096 {
		t.Errorf("Entry(0) = id %d op %d cdb %x len %d, want 7 1 %x 4096", e.ID, e.Op, e.CDB, e.DataLen(), read10)
	}
	if got := Direction(e.CDB, e.DataLen()); got != drive.DirIn {
		t.Errorf("Direction(READ(10)) = %v, want DirIn", got)
	}

	data := bytes.Repeat([]byte{0xAB}, 4096)
	r.Scatter(e, data)
	if mem[testDataOff+2999] != 0xAB || mem[testDataOff+3000] != 0 || mem[testDataOff+3072+1095] != 0xAB {
		t.Error("Scatter did not fill exactly the two segments")
	}
	got := make([]byte, 4096)
	r.Gather(e, got)
	if !bytes.Equal(got, data) {
		t.Error("Gather(Scatter(data)) != data")
	}

	sense := []byte{0x70, 0, 0x02, 0, 0, 0, 0, 0x0A, 0, 0, 0, 0, 0x3A, 0}
	r.Complete(e, 2, sense, 4000)
	ent := mem[testRingOff:]
	if ent[rspStatus] != 2 || !bytes.Equal(ent[rspSense:rspSense+len(sense)], sense) ||
		binary.LittleEndian.Uint32(ent[rspReadLen:]) != 4000 || ent[entUflags]&uflagReadLen == 0 {
		t.Errorf("Complete wrote status %d sense %x read_len %d uflags %x", ent[rspStatus], ent[rspSense:rspSense+14],
			binary.LittleEndian.Uint32(ent[rspReadLen:]), ent[entUflags])
	}
	r.Advance(e)
	if r.Tail() != n {
		t.Errorf("Tail after Advance = %d, want %d", r.Tail(), n)
	}
}

func TestRingErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(mem []byte)
	}{
		{"zero length", func(mem []byte) { binary.LittleEndian.PutUint32(mem[testRingOff:], opCmd) }},
		{"entry past the ring", func(mem []byte) { binary.LittleEndian.PutUint32(mem[testRingOff:], (testRingSize+8)|opCmd) }},
		{"short command entry", func(mem []byte) { binary.LittleEndian.PutUint32(mem[testRingOff:], 16|opCmd) }},
		{"too many iovecs", func(mem []byte) { binary.LittleEndian.PutUint32(mem[testRingOff+reqIovCnt:], 1000) }},
		{"segment outside", func(mem []byte) { binary.LittleEndian.PutUint64(mem[testRingOff+reqIov:], testRegion-10) }},
		{"CDB outside", func(mem []byte) { binary.LittleEndian.PutUint64(mem[testRingOff+reqCdbOff:], testRegion) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := region(0)
			putCmd(mem, 0, 1, testDataOff, []byte{0, 0, 0, 0, 0, 0}, []Segment{{testDataOff, 512}})
			tt.edit(mem)
			r, err := NewRing(mem)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Entry(0); !errors.Is(err, ErrRing) {
				t.Errorf("Entry(0) = %v, want %v", err, ErrRing)
			}
		})
	}
}

func TestNewRingErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(mem []byte)
	}{
		{"version 1", func(mem []byte) { mem[mbVersion] = 1 }},
		{"ring past region", func(mem []byte) { binary.LittleEndian.PutUint32(mem[mbCmdrSize:], testRegion) }},
		{"ring over mailbox", func(mem []byte) { binary.LittleEndian.PutUint32(mem[mbCmdrOff:], 8) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mem := region(0)
			tt.edit(mem)
			if _, err := NewRing(mem); !errors.Is(err, ErrRing) {
				t.Errorf("NewRing = %v, want %v", err, ErrRing)
			}
		})
	}
}

func TestDirection(t *testing.T) {
	for _, tt := range []struct {
		cdb  []byte
		n    int
		want drive.Direction
	}{
		{[]byte{byte(drive.OpTestUnitReady), 0, 0, 0, 0, 0}, 0, drive.DirNone},
		{[]byte{byte(drive.OpInquiry), 0, 0, 0, 96, 0}, 96, drive.DirIn},
		{[]byte{byte(drive.OpWrite12)}, 65536, drive.DirOut},
		{[]byte{byte(drive.OpWrite10)}, 2048, drive.DirOut},
		{[]byte{byte(drive.OpRead12)}, 2048, drive.DirIn},
		{[]byte{byte(drive.OpFormatUnit)}, 12, drive.DirOut},
		{[]byte{byte(drive.OpCloseTrackSession)}, 0, drive.DirNone},
	} {
		if got := Direction(tt.cdb, tt.n); got != tt.want {
			t.Errorf("Direction(%x, %d) = %v, want %v", tt.cdb, tt.n, got, tt.want)
		}
	}
}

func TestCDBLen(t *testing.T) {
	for op, want := range map[byte]int{0x00: 6, 0x12: 6, 0x28: 10, 0x5B: 10, 0x88: 16, 0xA8: 12, 0xAD: 12, 0xB6: 12} {
		if got := CDBLen(op); got != want {
			t.Errorf("CDBLen(%#x) = %d, want %d", op, got, want)
		}
	}
}

// FuzzEntry feeds arbitrary ring contents: parsing must fail cleanly,
// never index outside the region.
func FuzzEntry(f *testing.F) {
	mem := region(capReadLen)
	putCmd(mem, 0, 1, testDataOff, []byte{0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0}, []Segment{{testDataOff, 2048}})
	f.Add(mem[testRingOff:testRingOff+256], uint64(testDataOff))
	f.Add(make([]byte, 8), uint64(0))
	f.Fuzz(func(t *testing.T, ent []byte, cdbOff uint64) {
		mem := region(capReadLen)
		copy(mem[testRingOff:testRingOff+testRingSize], ent)
		r, err := NewRing(mem)
		if err != nil {
			t.Fatal(err)
		}
		e, err := r.Entry(0)
		if err != nil {
			return
		}
		if e.Op == opCmd {
			buf := make([]byte, e.DataLen())
			r.Gather(e, buf)
			r.Scatter(e, buf)
			r.Complete(e, 0, make([]byte, 200), len(buf))
		}
		r.Advance(e)
	})
}
