package initramfs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"testing"
)

func TestHeader(t *testing.T) {
	got := string(Header(1, 0o100755, 1, 5, 0, 0, 6))
	want := "070701" + "00000001" + "000081ED" + "00000000" + "00000000" + "00000001" +
		"00000000" + "00000005" + "00000000" + "00000000" + "00000000" + "00000000" +
		"00000006" + "00000000"
	if got != want {
		t.Errorf("Header(1, 0100755, 1, 5, 0, 0, 6) = %q, want %q", got, want)
	}
}

// entryOf is one decoded archive member, parsed independently of the writer
// to check the layout the kernel reads.
type entryOf struct {
	name          string
	mode          uint32
	rmajor, rmin  uint32
	data          string
	headerOffsets int
}

func parse(t *testing.T, b []byte) []entryOf {
	t.Helper()
	var out []entryOf
	off := 0
	for {
		if off%4 != 0 {
			t.Fatalf("header at offset %d is not 4-byte aligned", off)
		}
		if len(b)-off < headerLen || string(b[off:off+6]) != newcMagic {
			t.Fatalf("no newc header at offset %d", off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
			if err != nil {
				t.Fatalf("field %d at offset %d: %v", i, off, err)
			}
			return uint32(v)
		}
		size, nameSize := int(field(6)), int(field(11))
		nameEnd := off + headerLen + nameSize
		name := string(b[off+headerLen : nameEnd-1])
		if b[nameEnd-1] != 0 {
			t.Fatalf("name %q is not NUL-terminated", name)
		}
		dataOff := (nameEnd + 3) &^ 3
		e := entryOf{name: name, mode: field(1), rmajor: field(9), rmin: field(10),
			data: string(b[dataOff : dataOff+size]), headerOffsets: off}
		out = append(out, e)
		off = (dataOff + size + 3) &^ 3
		if name == trailerName {
			if off != len(b) {
				t.Fatalf("%d bytes after the trailer", len(b)-off)
			}
			return out
		}
	}
}

func TestWriterLayout(t *testing.T) {
	var buf bytes.Buffer
	a := NewWriter(&buf)
	steps := []error{
		a.File("/bin/busybox", 0o755, []byte("ELF")),
		a.Symlink("bin/sh", "busybox"),
		a.CharDevice("dev/console", 0o600, 5, 1),
		a.Dir("proc", 0o555),
		a.File("init", 0o755, []byte("#!/bin/sh\n")),
		a.Close(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	got := parse(t, buf.Bytes())
	want := []struct {
		name string
		mode uint32
		data string
	}{
		{"bin", 0o040755, ""},
		{"bin/busybox", 0o100755, "ELF"},
		{"bin/sh", 0o120777, "busybox"},
		{"dev", 0o040755, ""},
		{"dev/console", 0o020600, ""},
		{"proc", 0o040555, ""},
		{"init", 0o100755, "#!/bin/sh\n"},
		{trailerName, 0, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("archive has %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		t.Run(w.name, func(t *testing.T) {
			g := got[i]
			if g.name != w.name || g.mode != w.mode || g.data != w.data {
				t.Errorf("entry %d = (%q, %o, %q), want (%q, %o, %q)", i, g.name, g.mode, g.data, w.name, w.mode, w.data)
			}
		})
	}
	if c := got[4]; c.rmajor != 5 || c.rmin != 1 {
		t.Errorf("dev/console rdev = %d:%d, want 5:1", c.rmajor, c.rmin)
	}
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name string
		do   func(a *Writer) error
		want error
	}{
		{"empty name", func(a *Writer) error { return a.File("/", 0o644, nil) }, ErrBadName},
		{"NUL in name", func(a *Writer) error { return a.File("a\x00b", 0o644, nil) }, ErrBadName},
		{"trailer name", func(a *Writer) error { return a.File(trailerName, 0o644, nil) }, ErrBadName},
		{"after close", func(a *Writer) error { a.Close(); return a.Dir("x", 0o755) }, ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(NewWriter(new(bytes.Buffer))); !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, fmt.Errorf("disk full")
	}
	f.after--
	return len(p), nil
}

func TestWriterStickyError(t *testing.T) {
	a := NewWriter(&failWriter{after: 1})
	if err := a.File("a", 0o644, []byte("x")); err == nil {
		t.Fatal("File on a failing writer = nil, want an error")
	}
	if err := a.Close(); err == nil {
		t.Error("Close after a failed write = nil, want the first error")
	}
}
