package digests

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"copystation/tracing/tardos"
)

func testRecord(n int) *Record {
	r := &Record{TitleID: "film-1", Params: tardos.Params{N: 10, C: 1, Eps1: 0.5}}
	for i := range n {
		r.Entries = append(r.Entries, Entry{Start: uint64(1 + 3*i), Sectors: 2,
			A: sha256.Sum256([]byte{byte(i), 'A'}), B: sha256.Sum256([]byte{byte(i), 'B'})})
	}
	return r
}

// videoRecord is testRecord as a film's: each entry with video digests.
func videoRecord(n int) *Record {
	r := testRecord(n)
	r.Video = true
	for i := range r.Entries {
		r.Entries[i].VA = sha256.Sum256([]byte{byte(i), 'a'})
		r.Entries[i].VB = sha256.Sum256([]byte{byte(i), 'b'})
	}
	return r
}

// TestVideoRecord: a film's record (version 2) round-trips with its video
// digests, its root binds them, and it refuses video digests that are
// zero, equal or shared between segments.
func TestVideoRecord(t *testing.T) {
	r := videoRecord(30)
	b, err := r.Marshal()
	if err != nil {
		t.Fatalf("Marshal() = %v", err)
	}
	if v := int(b[8])<<8 | int(b[9]); v != VersionVideo {
		t.Errorf("version = %d, want %d", v, VersionVideo)
	}
	got, err := Parse(b)
	if err != nil || !got.Video || got.Entries[29].VB != r.Entries[29].VB {
		t.Fatalf("Parse() = %+v, %v; want the video digests back", got, err)
	}
	if err := got.Verify("film-1", 10, 1, "0.5", r.Root()); err != nil {
		t.Errorf("Verify() = %v", err)
	}
	other := videoRecord(30)
	other.Entries[4].VA[0] ^= 1
	if err := other.Verify("film-1", 10, 1, "0.5", r.Root()); !errors.Is(err, ErrRoot) {
		t.Errorf("altered video digest: Verify() = %v, want ErrRoot", err)
	}
	if plain := testRecord(30); bytes.Equal(plain.Root(), r.Root()) {
		t.Error("a film's root equals the image record's with the same image digests")
	}
	for name, spoil := range map[string]func(*Record){
		"zero":     func(r *Record) { r.Entries[2].VA = [DigestSize]byte{} },
		"equal":    func(r *Record) { r.Entries[2].VB = r.Entries[2].VA },
		"shared":   func(r *Record) { r.Entries[2].VB = r.Entries[7].VA },
		"in image": func(r *Record) { r.Video = false },
	} {
		bad := videoRecord(30)
		spoil(bad)
		if _, err := bad.Marshal(); !errors.Is(err, ErrSpec) {
			t.Errorf("%s: Marshal() = %v, want ErrSpec", name, err)
		}
	}
}

func TestRoundTripAndRoot(t *testing.T) {
	r := testRecord(30)
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := got.Marshal()
	if !bytes.Equal(b, b2) {
		t.Fatal("re-encoding differs")
	}
	root := r.Root()
	if err := got.Verify("film-1", 10, 1, "0.5", root); err != nil {
		t.Fatal(err)
	}
	other := testRecord(30)
	other.Entries[17].B[0] ^= 1
	if err := other.Verify("film-1", 10, 1, "0.5", root); !errors.Is(err, ErrRoot) {
		t.Errorf("altered digest: %v, want ErrRoot", err)
	}
	if err := got.Verify("film-1", 10, 2, "0.5", root); !errors.Is(err, ErrRoot) {
		t.Errorf("other parameters: %v, want ErrRoot", err)
	}
	if err := got.Verify("film-2", 10, 1, "0.5", root); !errors.Is(err, ErrRoot) {
		t.Errorf("other title: %v, want ErrRoot", err)
	}
}

func TestRefuses(t *testing.T) {
	short := testRecord(29) // the parameters need 30
	if _, err := short.Marshal(); !errors.Is(err, ErrSpec) {
		t.Errorf("29 segments: %v, want ErrSpec", err)
	}
	same := testRecord(30)
	same.Entries[3].B = same.Entries[3].A
	if _, err := same.Marshal(); !errors.Is(err, ErrSpec) {
		t.Errorf("identical variants: %v, want ErrSpec", err)
	}
	for _, s := range []string{"5e-1", "0.50", "0", "-0.1", "0.6", "NaN", "Inf", " 0.5", "1e-400"} {
		if _, err := ParseEps1(s); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseEps1(%q): %v, want ErrFormat", s, err)
		}
	}
	if err := CheckParams(0, 1, "0.5"); !errors.Is(err, ErrFormat) {
		t.Errorf("N=0: %v", err)
	}
	if err := CheckParams(10, 17, "0.5"); !errors.Is(err, ErrFormat) {
		t.Errorf("C=17: %v", err)
	}
}

// FuzzParse: Parse never panics, and what it accepts re-encodes to the
// same bytes (one encoding per record).
func FuzzParse(f *testing.F) {
	b, _ := testRecord(30).Marshal()
	f.Add(b)
	f.Add(b[:len(b)-1])
	f.Add([]byte("CSTRACE\n\x00\x01"))
	v, _ := videoRecord(30).Marshal()
	f.Add(v)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			return
		}
		b2, err := r.Marshal()
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("accepted bytes re-encode differently (%v)", err)
		}
	})
}
