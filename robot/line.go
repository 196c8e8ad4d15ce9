package robot

import (
	"errors"
	"fmt"
	"strconv"
)

// MaxLine bounds a protocol line, newline included.
const MaxLine = 256

// MaxSeq is the largest sequence number; numbering wraps to 1 after it.
const MaxSeq = 9999

// Line errors.
var (
	// ErrMalformed: a line does not follow the grammar.
	ErrMalformed = errors.New("robot: malformed line")
	// ErrChecksum: a line's checksum does not match its contents.
	ErrChecksum = errors.New("robot: line checksum mismatch")
)

// Line is one decoded protocol line.
type Line struct {
	Seq   int
	Words []string
}

// CRC16 is CRC-16/CCITT-FALSE: polynomial 1021h, initial value FFFFh, no
// reflection, no final XOR ("123456789" gives 29B1h).
func CRC16(b []byte) uint16 {
	crc := uint16(0xFFFF)
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

// AppendLine encodes a line: the sequence number, the words separated by
// single spaces, '*', the checksum and a newline.
func AppendLine(dst []byte, seq int, words ...string) []byte {
	start := len(dst)
	dst = strconv.AppendInt(dst, int64(seq), 10)
	for _, w := range words {
		dst = append(dst, ' ')
		dst = append(dst, w...)
	}
	sum := CRC16(dst[start:])
	dst = append(dst, '*')
	dst = append(dst, fmt.Sprintf("%04X", sum)...)
	return append(dst, '\n')
}

// ParseLine decodes one line, with or without its trailing newline (and an
// optional carriage return before it).
func ParseLine(b []byte) (Line, error) {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	if len(b) > MaxLine {
		return Line{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(b), MaxLine)
	}
	if len(b) < 6 || b[len(b)-5] != '*' {
		return Line{}, fmt.Errorf("%w: no \"*CCCC\" checksum at the end", ErrMalformed)
	}
	body, sumText := b[:len(b)-5], b[len(b)-4:]
	for _, c := range sumText {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return Line{}, fmt.Errorf("%w: checksum %q is not four upper-case hex digits", ErrMalformed, sumText)
		}
	}
	sum, _ := strconv.ParseUint(string(sumText), 16, 16)
	if got := CRC16(body); uint16(sum) != got {
		return Line{}, fmt.Errorf("%w: line says %04X, contents give %04X", ErrChecksum, sum, got)
	}
	for _, c := range body {
		if c < 0x20 || c > 0x7E || c == '*' {
			return Line{}, fmt.Errorf("%w: byte %#02x not allowed", ErrMalformed, c)
		}
	}
	words := splitSpaces(string(body))
	if len(words) == 0 || len(words[0]) > 4 {
		return Line{}, fmt.Errorf("%w: no sequence number", ErrMalformed)
	}
	seq, err := strconv.Atoi(words[0])
	if err != nil || seq < 0 || seq > MaxSeq || words[0][0] == '+' || words[0][0] == '-' {
		return Line{}, fmt.Errorf("%w: sequence number %q", ErrMalformed, words[0])
	}
	return Line{Seq: seq, Words: words[1:]}, nil
}

// splitSpaces splits on single spaces; an empty word (two spaces in a row,
// or a leading or trailing space) makes the line malformed, reported as no
// words at all.
func splitSpaces(s string) []string {
	var words []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if i == start {
				return nil
			}
			words = append(words, s[start:i])
			start = i + 1
		}
	}
	return words
}
