package digests

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"copystation/burn/titlepkg"
	"copystation/tracing/tardos"
)

// Errors, wrapped with the operation that failed.
var (
	// ErrFormat: the bytes are not a well-formed trace record.
	ErrFormat = errors.New("malformed trace record")
	// ErrSpec: the record cannot be made from what was given.
	ErrSpec = errors.New("unusable trace record input")
	// ErrRoot: the record is not the one the ledger committed to.
	ErrRoot = errors.New("trace record does not match the ledger's root")
)

// Format constants (docs/tracing.md, "The trace record").
const (
	// Version is the record version of an image title; VersionVideo that
	// of a film title, whose entries also carry the video digests.
	Version      = 1
	VersionVideo = 2
	// FileExt is the extension `validatord title package` gives the record.
	FileExt = ".trace"
	// DigestSize is one variant's digest: SHA-256.
	DigestSize = sha256.Size
	// EntrySize is one encoded entry: u64 start, u32 sectors, two digests;
	// EntrySizeVideo one of a film's: two more (the video digests).
	EntrySize      = 8 + 4 + 2*DigestSize
	EntrySizeVideo = EntrySize + 2*DigestSize
	// MaxEps1Len bounds the encoded Eps1 (strconv 'g' of a float64).
	MaxEps1Len = 32

	magic    = "CSTRACE\n"
	headSize = 8 + 2 + 1 // magic, version, title ID length
	// paramsSize: u64 N, u8 C, u8 len(Eps1) (the Eps1 text follows), then
	// u32 entry count.
	paramsSize = 8 + 1 + 1 + 4
	// MaxSize bounds an encoded record (about 570 KiB).
	MaxSize = headSize + titlepkg.MaxTitleIDLen + paramsSize + MaxEps1Len + titlepkg.MaxSegments*EntrySizeVideo
)

// Entry is one forensic segment and the digests of its two variants.
type Entry struct {
	Start   uint64 // first sector in the image
	Sectors uint32
	A, B    [DigestSize]byte // SHA-256 of variant A's and B's sectors
	// VA and VB are a film's video digests (media/h264 GOP.Digest) of the
	// variants' GOP, which survive a remux; zero unless Record.Video.
	VA, VB [DigestSize]byte
}

// Record is a title's trace record.
type Record struct {
	TitleID string
	Params  tardos.Params
	Entries []Entry // sorted by Start, disjoint
	// Video: a film title's record (version 2), whose entries carry the
	// video digests as well, so a leak is read from the video stream of
	// any container (media/film), not only from an image's sectors.
	Video bool
}

func (r *Record) version() uint16 {
	if r.Video {
		return VersionVideo
	}
	return Version
}

func (r *Record) entrySize() int {
	if r.Video {
		return EntrySizeVideo
	}
	return EntrySize
}

// FormatEps1 is Eps1's canonical text: strconv 'g' with the shortest
// digits that read back to the same float64. The ledger stores this text,
// never a float, and ParseEps1 accepts only it.
func FormatEps1(e float64) string { return strconv.FormatFloat(e, 'g', -1, 64) }

// ParseEps1 reads Eps1's canonical text, refusing any other spelling of
// the same number, so a value has one encoding (the ledger compares bytes).
func ParseEps1(s string) (float64, error) {
	e, err := strconv.ParseFloat(s, 64)
	if err != nil || len(s) > MaxEps1Len || FormatEps1(e) != s || !(e > 0 && e <= 0.5) {
		return 0, fmt.Errorf("digests.ParseEps1: %w: Eps1 %q is not a number in (0, 0.5] written as %q would be", ErrFormat, s, FormatEps1(e))
	}
	return e, nil
}

// CheckParams checks p's ranges with integer and exact comparisons only
// (no transcendental functions), so the ledger can run it in consensus.
func CheckParams(n uint64, c int, eps1 string) error {
	if _, err := ParseEps1(eps1); err != nil {
		return err
	}
	if n < 1 || n > tardos.MaxCopies || c < 1 || c > tardos.MaxColluders {
		return fmt.Errorf("digests.CheckParams: %w: N=%d (1 to %d), C=%d (1 to %d)", ErrFormat, n, uint64(tardos.MaxCopies), c, tardos.MaxColluders)
	}
	return nil
}

// Check validates the record: parameters in range, the code they need no
// longer than the entries, entries sorted, disjoint, and each segment's
// variants different (identical ones carry no mark).
func (r *Record) Check() error {
	if !titlepkg.ValidTitleID(r.TitleID) {
		return fmt.Errorf("%w: title ID %q", ErrFormat, r.TitleID)
	}
	if math.IsNaN(r.Params.Eps1) {
		return fmt.Errorf("%w: Eps1 is NaN", ErrFormat)
	}
	if err := CheckParams(r.Params.N, r.Params.C, FormatEps1(r.Params.Eps1)); err != nil {
		return err
	}
	code, err := r.Params.Code()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if len(r.Entries) < code.M || len(r.Entries) > titlepkg.MaxSegments {
		return fmt.Errorf("%w: %d segments, the parameters (N=%d, C=%d, Eps1=%g) need %d (at most %d fit a package)",
			ErrSpec, len(r.Entries), r.Params.N, r.Params.C, r.Params.Eps1, code.M, titlepkg.MaxSegments)
	}
	var next uint64
	seen := map[[DigestSize]byte]bool{}
	for i, e := range r.Entries {
		if e.Sectors == 0 || e.Sectors > titlepkg.MaxSegmentSectors || e.Start < next || e.Start > titlepkg.MaxImageSize/titlepkg.SectorSize {
			return fmt.Errorf("%w: segment %d (sector %d, %d sectors) is empty, too long, out of order or overlapping", ErrFormat, i, e.Start, e.Sectors)
		}
		if e.A == e.B {
			return fmt.Errorf("%w: segment %d's two variants are identical: it carries no mark", ErrSpec, i)
		}
		if r.Video {
			// A GOP digest is looked up wherever it appears in a leak, so
			// it must name one variant of one segment.
			if e.VA == e.VB || seen[e.VA] || seen[e.VB] || e.VA == ([DigestSize]byte{}) || e.VB == ([DigestSize]byte{}) {
				return fmt.Errorf("%w: segment %d's video digests are zero, identical or used by another segment (two GOPs coded the same)", ErrSpec, i)
			}
			seen[e.VA], seen[e.VB] = true, true
		} else if e.VA != ([DigestSize]byte{}) || e.VB != ([DigestSize]byte{}) {
			return fmt.Errorf("%w: segment %d has video digests in a record that is not a film's", ErrSpec, i)
		}
		next = e.Start + uint64(e.Sectors)
	}
	return nil
}

// Marshal encodes the record (docs/tracing.md, "The trace record").
func (r *Record) Marshal() ([]byte, error) {
	if err := r.Check(); err != nil {
		return nil, fmt.Errorf("digests.Record.Marshal: %w", err)
	}
	eps := FormatEps1(r.Params.Eps1)
	b := make([]byte, 0, headSize+len(r.TitleID)+paramsSize+len(eps)+len(r.Entries)*r.entrySize())
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, r.version())
	b = append(b, byte(len(r.TitleID)))
	b = append(b, r.TitleID...)
	b = binary.BigEndian.AppendUint64(b, r.Params.N)
	b = append(b, byte(r.Params.C), byte(len(eps)))
	b = append(b, eps...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Entries)))
	for _, e := range r.Entries {
		b = e.append(b, r.Video)
	}
	return b, nil
}

func (e Entry) append(b []byte, video bool) []byte {
	b = binary.BigEndian.AppendUint64(b, e.Start)
	b = binary.BigEndian.AppendUint32(b, e.Sectors)
	b = append(b, e.A[:]...)
	b = append(b, e.B[:]...)
	if video {
		b = append(append(b, e.VA[:]...), e.VB[:]...)
	}
	return b
}

// Parse decodes and checks an encoded record, refusing anything Marshal
// would not write.
func Parse(b []byte) (*Record, error) {
	fail := func(why string, a ...any) (*Record, error) {
		return nil, fmt.Errorf("digests.Parse: %w: %s", ErrFormat, fmt.Sprintf(why, a...))
	}
	if len(b) > MaxSize {
		return fail("%d bytes, at most %d", len(b), MaxSize)
	}
	if len(b) < headSize || string(b[:8]) != magic {
		return fail("no trace record magic")
	}
	v := binary.BigEndian.Uint16(b[8:])
	if v != Version && v != VersionVideo {
		return fail("version %d, this code reads %d and %d", v, Version, VersionVideo)
	}
	r := &Record{Video: v == VersionVideo}
	p := b[headSize:]
	idLen := int(b[headSize-1])
	if len(p) < idLen+paramsSize {
		return fail("too short for the title ID and parameters")
	}
	r.TitleID, p = string(p[:idLen]), p[idLen:]
	r.Params.N, r.Params.C = binary.BigEndian.Uint64(p), int(p[8])
	epsLen := int(p[9])
	p = p[10:]
	if len(p) < epsLen+4 {
		return fail("too short for Eps1")
	}
	eps, err := ParseEps1(string(p[:epsLen]))
	if err != nil {
		return nil, fmt.Errorf("digests.Parse: %w", err)
	}
	r.Params.Eps1 = eps
	n := binary.BigEndian.Uint32(p[epsLen:])
	p = p[epsLen+4:]
	size := r.entrySize()
	if n > titlepkg.MaxSegments || uint64(len(p)) != uint64(n)*uint64(size) {
		return fail("%d entries in %d bytes", n, len(p))
	}
	r.Entries = make([]Entry, n)
	for i := range r.Entries {
		e := &r.Entries[i]
		e.Start, e.Sectors = binary.BigEndian.Uint64(p), binary.BigEndian.Uint32(p[8:])
		copy(e.A[:], p[12:])
		copy(e.B[:], p[12+DigestSize:])
		if r.Video {
			copy(e.VA[:], p[EntrySize:])
			copy(e.VB[:], p[EntrySize+DigestSize:])
		}
		p = p[size:]
	}
	if err := r.Check(); err != nil {
		return nil, fmt.Errorf("digests.Parse: %w", err)
	}
	return r, nil
}
