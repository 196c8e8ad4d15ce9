package serial

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"testing"
	"time"
)

func TestAppendFrameLayout(t *testing.T) {
	// The example documented in docs/serial-link.md: a Poll for seq 0x01020304.
	got := AppendFrame(nil, Frame{Type: TypePoll, Seq: 0x01020304})
	want := "a55c0102" + "01020304" + "00000000" + hex.EncodeToString(crcBytes(got[:12])) + hex.EncodeToString(crcBytes(got[:16]))
	if hex.EncodeToString(got) != want {
		t.Fatalf("AppendFrame(Poll 0x01020304) = %x, want %s", got, want)
	}
	if len(got) != Overhead {
		t.Errorf("len(AppendFrame(empty)) = %d, want %d", len(got), Overhead)
	}
}

func crcBytes(b []byte) []byte { return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)) }

func TestDecoder(t *testing.T) {
	f1 := Frame{Type: TypeCommand, Seq: 7, Payload: []byte("hello")}
	f2 := Frame{Type: TypeResponse, Seq: 8, Payload: bytes.Repeat([]byte{Magic0}, 40)}
	e1, e2 := AppendFrame(nil, f1), AppendFrame(nil, f2)
	corruptPayload := append([]byte(nil), e1...)
	corruptPayload[HeaderSize+1] ^= 0x40
	corruptHeader := append([]byte(nil), e1...)
	corruptHeader[9] ^= 0x01 // length byte: header CRC fails, frame skipped as garbage
	huge := AppendFrame(nil, Frame{Type: TypeCommand, Seq: 9, Payload: make([]byte, 300)})
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name  string
		in    []byte
		max   int
		want  []Frame
		nerr  int // CorruptErrors expected
		final error
	}{
		{name: "two frames", in: cat(e1, e2), want: []Frame{f1, f2}, final: io.EOF},
		{name: "garbage before and between", in: cat([]byte{0, Magic0, Magic1, 1, 0xff}, e1, []byte("noise\xa5\x5c"), e2), want: []Frame{f1, f2}, final: io.EOF},
		{name: "corrupt payload reported then next frame", in: cat(corruptPayload, e2), want: []Frame{f2}, nerr: 1, final: io.EOF},
		{name: "corrupt header skipped", in: cat(corruptHeader, e2), want: []Frame{f2}, final: io.EOF},
		{name: "truncated frame", in: e1[:len(e1)-2], final: io.ErrUnexpectedEOF},
		{name: "payload over limit skipped", in: cat(huge, e1), max: 100, want: []Frame{f1}, final: io.EOF},
		{name: "frame hidden after a false magic", in: cat([]byte{Magic0, Magic1, Version}, e2), want: []Frame{f2}, final: io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(bytes.NewReader(tc.in), tc.max)
			var got []Frame
			nerr := 0
			var err error
			for {
				var f Frame
				f, err = d.Next()
				if errors.Is(err, ErrCorruptFrame) {
					nerr++
					continue
				}
				if err != nil {
					break
				}
				got = append(got, f)
			}
			if !errors.Is(err, tc.final) {
				t.Errorf("final Next() error = %v, want %v", err, tc.final)
			}
			if nerr != tc.nerr {
				t.Errorf("corrupt frames = %d, want %d", nerr, tc.nerr)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Next() frames = %d, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i].Type != tc.want[i].Type || got[i].Seq != tc.want[i].Seq || !bytes.Equal(got[i].Payload, tc.want[i].Payload) {
					t.Errorf("frame %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(AppendFrame(nil, Frame{Type: TypeCommand, Seq: 1, Payload: []byte{0, 0, 0, 10, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}))
	f.Add(append([]byte("garbage"), AppendFrame(nil, Frame{Type: TypeAck, Seq: 2})...))
	f.Add(AppendFrame(nil, Frame{Type: TypeSync, Seq: 42}))
	f.Add(append(AppendFrame(nil, Frame{Type: TypeSyncAck, Seq: 42}), AppendFrame(nil, Frame{Type: TypeSync, Seq: 7})[:9]...))
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewDecoder(bytes.NewReader(in), 1<<16)
		for i := 0; i < len(in)+1; i++ {
			fr, err := d.Next()
			if errors.Is(err, ErrCorruptFrame) {
				continue
			}
			if err != nil {
				return
			}
			if len(fr.Payload) > 1<<16 {
				t.Fatalf("Next() payload of %d bytes, over the limit", len(fr.Payload))
			}
			re := AppendFrame(nil, fr)
			again, err := NewDecoder(bytes.NewReader(re), 1<<16).Next()
			if err != nil || again.Seq != fr.Seq || !bytes.Equal(again.Payload, fr.Payload) {
				t.Fatalf("re-decoding %x = %+v, %v; want %+v", re, again, err, fr)
			}
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	f.Add((&command{timeout: 1000, dir: 2, cdb: []byte{0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0}, out: make([]byte, 8)}).append(nil))
	f.Add((&command{timeout: 1000, dir: 1, cdb: []byte{0x12, 0, 0, 0, 96, 0}, inLen: 96}).append(nil))
	f.Fuzz(func(t *testing.T, p []byte) {
		c, err := parseCommand(p, 1<<16)
		if err != nil {
			return
		}
		if len(c.cdb) == 0 || len(c.cdb) > MaxCDB || c.inLen+responseFixed+maxSense > 1<<16 {
			t.Fatalf("parseCommand(%x) accepted %+v", p, c)
		}
		if !bytes.Equal(c.append(nil)[4:], p[4:]) {
			t.Fatalf("parseCommand(%x) does not round-trip", p)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	f.Add((&response{status: 2, sense: []byte{0x70, 0, 2, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x3a, 0}}).append(nil))
	f.Add((&response{transferred: 4, in: []byte{1, 2, 3, 4}}).append(nil))
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := parseResponse(p)
		if err != nil {
			return
		}
		if len(r.sense) > maxSense || uint64(len(r.in)) > uint64(r.transferred) {
			t.Fatalf("parseResponse(%x) accepted %+v", p, r)
		}
	})
}

func TestDocumentedFrames(t *testing.T) {
	sense := []byte{0x70, 0, 2, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x3a, 0, 0, 0, 0, 0}
	tests := []struct {
		name string
		f    Frame
		want string
	}{
		{name: "command", f: Frame{Type: TypeCommand, Seq: 1, Payload: (&command{timeout: 10 * time.Second, cdb: make([]byte, 6)}).append(nil)},
			want: "a55c01010000000100000010314a0c2d000027100006000000000000000000002e526930"},
		{name: "ack", f: Frame{Type: TypeAck, Seq: 1}, want: "a55c0181000000010000000" + "04aa81c06cd120852"},
		{name: "sync", f: Frame{Type: TypeSync, Seq: 42}, want: "a55c01030000002a00000000b41a2adaab9ac010"},
		{name: "sync ack", f: Frame{Type: TypeSyncAck, Seq: 42}, want: "a55c01850000002a00000000a155531fa2e7a30a"},
		{name: "response", f: Frame{Type: TypeResponse, Seq: 1, Payload: (&response{status: 2, sense: sense}).append(nil)},
			want: "a55c01820000000100000018604" + "9b89502120000000070000200000000" + "0a000000003a000000000065237749"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := hex.EncodeToString(AppendFrame(nil, tc.f)); got != tc.want {
				t.Errorf("AppendFrame(%v) = %s, want %s", tc.f.Type, got, tc.want)
			}
		})
	}
}
