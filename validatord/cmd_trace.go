package validatord

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"copystation/atomicfile"
	"copystation/burn/titlepkg"
	"copystation/tracing/digests"
	"copystation/tracing/leak"
	"copystation/tracing/tardos"
	"copystation/validatord/contract"
	"copystation/validatord/genesis"
)

// tracingFlags are the Tardos parameters `title package` takes.
type tracingFlags struct {
	copies    *uint64
	coalition *int
	eps1      *string
}

func traceFlags(e *env) tracingFlags {
	return tracingFlags{
		copies:    e.fs.Uint64("copies", 0, "tracing: copies expected (N); with --coalition and --eps1"),
		coalition: e.fs.Int("coalition", 0, "tracing: largest coalition of leakers to catch (C)"),
		eps1:      e.fs.String("eps1", "", "tracing: probability that a trace accuses any innocent copy, e.g. 1e-6"),
	}
}

// params returns the parameters, and whether any were given: all three or
// none.
func (f tracingFlags) params() (tardos.Params, bool, error) {
	switch n := btoi(*f.copies != 0) + btoi(*f.coalition != 0) + btoi(*f.eps1 != ""); n {
	case 0:
		return tardos.Params{}, false, nil
	case 3:
	default:
		return tardos.Params{}, false, usagef("give all of --copies, --coalition and --eps1, or none")
	}
	var eps float64
	if _, err := fmt.Sscan(*f.eps1, &eps); err != nil {
		return tardos.Params{}, false, usagef("--eps1 %q: want a number such as 1e-6", *f.eps1)
	}
	p := tardos.Params{N: *f.copies, C: *f.coalition, Eps1: eps}
	if _, err := p.Code(); err != nil {
		return p, false, err
	}
	return p, true, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// traceRecord hashes both variants of every segment into the encoded trace
// record; leak.Build refuses fewer segments than the parameters need.
func traceRecord(title string, p tardos.Params, img *os.File, variants []titlepkg.Variant) ([]byte, error) {
	fi, err := img.Stat()
	if err != nil {
		return nil, err
	}
	return marshalRecord(leak.Build(title, p, io.NewSectionReader(img, 0, fi.Size()), variants))
}

func marshalRecord(rec *digests.Record, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return rec.Marshal()
}

func writeTraceRecord(dir, title string, p tardos.Params, rec []byte) (string, tardos.Code, error) {
	code, err := p.Code()
	if err != nil {
		return "", code, err
	}
	path := filepath.Join(dir, title+digests.FileExt)
	return path, code, atomicfile.Write(path, rec)
}

// readTraceRecord reads and parses a trace record file.
func readTraceRecord(path string) (*digests.Record, error) {
	b, err := genesis.ReadBounded(path, digests.MaxSize)
	if err != nil {
		return nil, err
	}
	return digests.Parse(b)
}

// titleTracing is what registration records from a trace record, after
// checking that the record describes this package's segments.
func titleTracing(path string, m *titlepkg.Manifest) (*contract.TitleTracing, error) {
	rec, err := readTraceRecord(path)
	if err != nil {
		return nil, err
	}
	if err := sameSegments(rec, m.TitleID, len(m.Segments), func(i int) (uint64, uint32) {
		return m.Segments[i].Start, m.Segments[i].Sectors
	}); err != nil {
		return nil, err
	}
	return &contract.TitleTracing{Copies: rec.Params.N, Coalition: rec.Params.C,
		Eps1: digests.FormatEps1(rec.Params.Eps1), Root: rec.Root()}, nil
}

// sameSegments checks that a trace record lists exactly a title's segments.
func sameSegments(rec *digests.Record, title string, n int, seg func(int) (uint64, uint32)) error {
	if rec.TitleID != title || len(rec.Entries) != n {
		return fmt.Errorf("%w: the trace record is for title %q with %d segments, not %q with %d", digests.ErrRoot, rec.TitleID, len(rec.Entries), title, n)
	}
	for i, e := range rec.Entries {
		if s, k := seg(i); s != e.Start || k != e.Sectors {
			return fmt.Errorf("%w: segment %d is sector %d (%d sectors) in the trace record, %d (%d) in the title", digests.ErrRoot, i, e.Start, e.Sectors, s, k)
		}
	}
	return nil
}

// ledgerRecord fetches the title and checks the trace record against it.
func (e *env) ledgerRecord(title, path string) (*digests.Record, *contract.Title, error) {
	rec, err := readTraceRecord(path)
	if err != nil {
		return nil, nil, err
	}
	b, err := e.backend()
	if err != nil {
		return nil, nil, err
	}
	var t contract.Title
	if err := b.Query(e.ctx, "/title/"+title, &t); err != nil {
		return nil, nil, err
	}
	tr := t.Tracing
	if tr == nil {
		return nil, nil, fmt.Errorf("%w: title %s was registered without tracing parameters: its copies cannot be traced", digests.ErrRoot, title)
	}
	if err := rec.Verify(t.ID, tr.Copies, tr.Coalition, tr.Eps1, tr.Root); err != nil {
		return nil, nil, err
	}
	err = sameSegments(rec, t.ID, len(t.Segments), func(i int) (uint64, uint32) {
		return uint64(t.Segments[i].StartSector), t.Segments[i].Sectors
	})
	return rec, &t, err
}

// traceOut is `validatord trace --json`.
type traceOut struct {
	Title     string `json:"title"`
	Segments  int    `json:"segments"`
	A         int    `json:"a"`
	B         int    `json:"b"`
	Erased    int    `json:"erased"`
	Missing   int    `json:"missing"`
	Decisions string `json:"decisions"` // tardos.Decisions encoding, hex
	// Scored and Accused are present with --openings.
	Scored  int          `json:"scored,omitempty"`
	Accused []accusedOut `json:"accused,omitempty"`
}

func cmdTrace(e *env, args []string) error {
	e.nodeFlags()
	title := e.fs.String("title", "", "title ID")
	image := e.fs.String("image", "", "the leak: a plain image (a decrypted copy or a rip, whole or partial); for a film also an m2ts, MKV or MP4")
	recFile := e.fs.String("trace", "", "the title's trace record (from 'title package')")
	openings := e.fs.String("openings", "", "opened signatures of the title and the copies to score (JSON); without it, only the decisions")
	if err := e.parse(args, "title", "image", "trace"); err != nil {
		return err
	}
	rec, t, err := e.ledgerRecord(*title, *recFile)
	if err != nil {
		return err
	}
	d, rep, err := decideLeak(e.ctx, *image, rec)
	if err != nil {
		return err
	}
	enc, err := d.MarshalBinary()
	if err != nil {
		return err
	}
	out := traceOut{Title: *title, Segments: len(d), A: rep.A, B: rep.B, Erased: rep.Erased, Missing: rep.Missing, Decisions: hex.EncodeToString(enc)}
	var text bytes.Buffer
	fmt.Fprintf(&text, "title %s: %d forensic segments read from %s: %d A, %d B, %d erased (%d beyond the end of the image)\n",
		*title, len(d), *image, rep.A, rep.B, rep.Erased, rep.Missing)
	fmt.Fprintf(&text, "  decisions %x", enc)
	if *openings != "" {
		if out.Accused, out.Scored, err = e.score(*openings, rec, t, d); err != nil {
			return err
		}
		text.WriteString(accusedText(out.Scored, out.Accused))
	}
	e.print(out, text.String())
	return nil
}
