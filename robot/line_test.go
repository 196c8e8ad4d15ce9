package robot

import (
	"errors"
	"os"
	"strings"
	"testing"

	"copystation/internal/testenv"
)

func TestCRC16(t *testing.T) {
	if got := CRC16([]byte("123456789")); got != 0x29B1 {
		t.Errorf("CRC16(123456789) = %04X, want 29B1", got)
	}
}

func TestAppendLine(t *testing.T) {
	got := string(AppendLine(nil, 42, "LOAD", "1"))
	want := "42 LOAD 1*" + hex4(CRC16([]byte("42 LOAD 1"))) + "\n"
	if got != want {
		t.Errorf("AppendLine(42, LOAD 1) = %q, want %q", got, want)
	}
}

func hex4(v uint16) string {
	const d = "0123456789ABCDEF"
	return string([]byte{d[v>>12], d[v>>8&15], d[v>>4&15], d[v&15]})
}

func TestParseLine(t *testing.T) {
	good := AppendLine(nil, 7, "OK", "IN=3")
	tests := []struct {
		name   string
		line   string
		want   error
		seq    int
		nwords int
	}{
		{"good", string(good), nil, 7, 2},
		{"good with CR", string(good[:len(good)-1]) + "\r\n", nil, 7, 2},
		{"flipped bit", "7 OK IN=4*" + string(good[len(good)-5:]), ErrChecksum, 0, 0},
		{"no checksum", "7 OK\n", ErrMalformed, 0, 0},
		{"lower-case hex", "7 OK*abcd\n", ErrMalformed, 0, 0},
		{"double space", withSum("7  OK"), ErrMalformed, 0, 0},
		{"trailing space", withSum("7 OK "), ErrMalformed, 0, 0},
		{"negative seq", withSum("-1 OK"), ErrMalformed, 0, 0},
		{"huge seq", withSum("10000 OK"), ErrMalformed, 0, 0},
		{"control byte", withSum("7 O\x01K"), ErrMalformed, 0, 0},
		{"star in body", withSum("7 O*K"), ErrMalformed, 0, 0},
		{"too long", withSum("7 " + string(make([]byte, 300))), ErrMalformed, 0, 0},
		{"empty", "", ErrMalformed, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseLine([]byte(tt.line))
			if !errors.Is(err, tt.want) || (err == nil && (l.Seq != tt.seq || len(l.Words) != tt.nwords)) {
				t.Errorf("ParseLine(%q) = %+v, %v, want seq %d, %d words, error %v", tt.line, l, err, tt.seq, tt.nwords, tt.want)
			}
		})
	}
}

func withSum(body string) string { return body + "*" + hex4(CRC16([]byte(body))) + "\n" }

func TestParseReplyErrors(t *testing.T) {
	tests := []struct {
		line string
		want error
	}{
		{withSum("3 ERR JAM PICK"), ErrJam},
		{withSum("3 ERR JAMMED"), ErrJam},
		{withSum("3 ERR INPUT_EMPTY"), ErrInputEmpty},
		{withSum("3 ERR TRAY_CLOSED"), ErrTrayClosed},
		{withSum("3 ERR NO_DRIVE"), ErrNoDrive},
		{withSum("3 ERR SMOKE"), ErrDevice},
	}
	for _, tt := range tests {
		r, err := ParseReply([]byte(tt.line), "X")
		if err != nil || r.Err == nil || !errors.Is(r.Err, tt.want) || !errors.Is(r.Err, ErrDevice) {
			t.Errorf("ParseReply(%q) = %+v, %v, want a DeviceError matching %v", tt.line, r, err, tt.want)
		}
	}
	for _, bad := range []string{withSum("3"), withSum("3 ERR"), withSum("3 MAYBE"), withSum("3 OK NOEQUALS"), withSum("3 OK =1")} {
		if _, err := ParseReply([]byte(bad), "X"); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseReply(%q) error = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestStatusRoundTrip(t *testing.T) {
	s := Status{Input: 5, Output: 2, Rejected: 1, Gripper: true, Drives: []DriveSlot{{true, false}, {false, true}}}
	line := AppendLine(nil, 1, StatusFields(s)...)
	r, err := ParseReply(line, "STATUS")
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseStatus(r.Fields)
	if err != nil || got.Input != 5 || got.Output != 2 || got.Rejected != 1 || !got.Gripper || got.Jammed ||
		len(got.Drives) != 2 || got.Drives[0] != s.Drives[0] || got.Drives[1] != s.Drives[1] {
		t.Errorf("parseStatus(%q) = %+v, %v, want %+v", line, got, err, s)
	}
	for _, bad := range []string{"1 OK IN=1", "1 OK IN=1 OUT=0 REJ=0 GRIP=2 JAM=0 DRIVES=0",
		"1 OK IN=1 OUT=0 REJ=0 GRIP=0 JAM=0 DRIVES=1 D1=FULL", "1 OK IN=1 OUT=0 REJ=0 GRIP=0 JAM=0 DRIVES=99"} {
		r, _ := ParseReply([]byte(withSum(bad)), "STATUS")
		if _, err := parseStatus(r.Fields); !errors.Is(err, ErrMalformed) {
			t.Errorf("parseStatus(%q) error = %v, want ErrMalformed", bad, err)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	f.Add([]byte(withSum("1 OK IN=1 OUT=0 REJ=0 GRIP=0 JAM=0 DRIVES=1 D1=FULL/OPEN")))
	f.Add([]byte(withSum("9999 ERR JAM PICK")))
	f.Add([]byte("7 OK*0000\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReply(b, "STATUS")
		if err != nil {
			return
		}
		if r.OK {
			parseStatus(r.Fields)
		}
		// A line that parses re-encodes to one that parses the same way.
		l, _ := ParseLine(b)
		again, err := ParseLine(AppendLine(nil, l.Seq, l.Words...))
		if err != nil || again.Seq != l.Seq || len(again.Words) != len(l.Words) {
			t.Fatalf("re-encoding %q gives %+v, %v", b, again, err)
		}
	})
}

// TestDocumentedLines checks every example line of docs/robot-protocol.md.
func TestDocumentedLines(t *testing.T) {
	doc, err := os.ReadFile("../docs/robot-protocol.md")
	if err != nil {
		testenv.Requiref(t, "docs/robot-protocol.md not found: %v", err)
	}
	n := 0
	for _, l := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(l, "H: ") && !strings.HasPrefix(l, "R: ") {
			continue
		}
		n++
		if _, err := ParseLine([]byte(l[3:] + "\n")); err != nil {
			t.Errorf("documented line %q: %v", l, err)
		}
	}
	if n < 10 {
		t.Errorf("found %d documented lines, want at least 10", n)
	}
}
