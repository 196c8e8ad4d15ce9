package validatord

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"copystation/atomicfile"
	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/keys"
	"copystation/media/film"
	"copystation/validatord/contract"
	"copystation/validatord/genesis"
	"copystation/validatord/ledger"
)

// maxGenesisFile bounds the genesis file the packager reads.
const maxGenesisFile = 4 << 20

// DealExt names the file `title package` writes beside the package: the
// public part of the deal (custody.DealFile), for `title register`.
const DealExt = ".deal"

// networkCustody reads the chain ID and the custody nodes from a genesis
// file: what an issuer needs to deal a title to the network.
func networkCustody(path string) (*ledger.CustodyDeal, error) {
	p, err := genesis.ReadBounded(path, maxGenesisFile)
	if err != nil {
		return nil, err
	}
	var doc struct {
		ChainID  string           `json:"chain_id"`
		AppState contract.Genesis `json:"app_state"`
	}
	if err := json.Unmarshal(p, &doc); err != nil {
		return nil, fmt.Errorf("genesis %s: %w", path, err)
	}
	if doc.AppState.Custody == nil {
		return nil, fmt.Errorf("genesis %s names no custody nodes: a title is dealt to the nodes of a network made by the genesis ceremony", path)
	}
	return ledger.NewCustodyDeal(doc.ChainID, doc.AppState.Custody)
}

func cmdTitlePackage(e *env, args []string) error {
	e.homeFlags()
	gen := e.fs.String("genesis", "", "the network's genesis file (default: the home's "+"genesis.json)")
	image := e.fs.String("image", "", "disc image file (whole 2048-byte sectors)")
	filmDir := e.fs.String("film", "", "instead of --image and --variant: a BDMV film from DIR (video-a.h264, video-b.h264, audio.ac3)")
	out := e.fs.String("out", "", "directory for the package and its deal")
	title := e.fs.String("title", "", "title ID")
	var variants []string
	e.fs.Func("variant", "forensic segment START:FILE (B variant sectors); repeatable, at least one", func(s string) error {
		variants = append(variants, s)
		return nil
	})
	tp := traceFlags(e)
	if err := e.parse(args, "out", "title"); err != nil {
		return err
	}
	params, traced, err := tp.params()
	if err != nil {
		return err
	}
	switch {
	case *image == "" && *filmDir == "":
		return usagef("--image is required (or --film)")
	case *filmDir != "" && (*image != "" || len(variants) > 0):
		return usagef("--film replaces --image and --variant")
	case *filmDir == "" && len(variants) == 0:
		return usagef("--variant is required: a title's keys are dealt per forensic segment, so it needs at least one")
	}
	genPath := *gen
	if genPath == "" {
		if e.home == "" {
			return usagef("--genesis or --home is required")
		}
		genPath = filepath.Join(e.home, "genesis.json")
	}
	cd, err := networkCustody(genPath)
	if err != nil {
		return err
	}
	spec := titlepkg.Spec{TitleID: *title, Rand: rand.Reader, ChunkSize: 0}
	for _, v := range variants {
		start, file, ok := strings.Cut(v, ":")
		var n uint64
		if _, err := fmt.Sscan(start, &n); !ok || err != nil {
			return usagef("--variant %q: want START:FILE", v)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		spec.Variants = append(spec.Variants, titlepkg.Variant{Start: n, B: b})
	}
	var img *os.File
	var fm *film.Film
	if *filmDir != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		work, err := os.MkdirTemp(*out, ".film-*") // the image is written here, beside the package
		if err != nil {
			return err
		}
		defer os.RemoveAll(work)
		if fm, img, err = filmSpec(*filmDir, work, *title, &spec); err != nil {
			return err
		}
		defer img.Close()
	} else {
		f, err := os.Open(*image)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		spec.Image, spec.ImageSize, img = f, fi.Size(), f
	}
	var rec []byte
	if traced { // before anything is dealt or written: too few segments is refused
		if fm != nil {
			rec, err = marshalRecord(filmRecord(fm, img, spec.Variants, params))
		} else {
			rec, err = traceRecord(*title, params, img, spec.Variants)
		}
		if err != nil {
			return err
		}
	}
	// The keys are made, dealt and used to package here, then wiped: after
	// this command no one holds them whole, the issuer included.
	d, err := cd.Deal(*title, len(spec.Variants))
	if err != nil {
		return err
	}
	defer d.Keys.Wipe()
	spec.Keys, spec.ShareRoots = d.Keys.PackageKeys(), d.Roots
	defer spec.Keys.Wipe()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	m, err := titlepkg.Create(*out, spec)
	if err != nil {
		return err
	}
	pub, err := d.Public(custody.Title{ChainID: cd.ChainID, TitleID: *title, Segments: len(m.Segments)}).MarshalBinary()
	if err != nil {
		return err
	}
	dealFile := filepath.Join(*out, *title+DealExt)
	if err := atomicfile.Write(dealFile, pub); err != nil {
		return err
	}
	pkg := filepath.Join(*out, titlepkg.FileName(*title))
	res := map[string]any{"package": pkg, "deal_file": dealFile, "segments": len(m.Segments), "image_size": m.ImageSize,
		"nodes": len(cd.Keys), "threshold": cd.Threshold}
	text := fmt.Sprintf("packaged %s: %s (%d bytes of image, %d forensic segments)\n  keys dealt %d of %d to the custody nodes of %s and wiped; deal in %s; register with 'validatord title register'",
		*title, pkg, m.ImageSize, len(m.Segments), cd.Threshold, len(cd.Keys), cd.ChainID, dealFile)
	if traced {
		rf, code, err := writeTraceRecord(*out, *title, params, rec)
		if err != nil {
			return err
		}
		res["trace_record"], res["segments_needed"] = rf, code.M
		text += fmt.Sprintf("\n  tracing N=%d C=%d Eps1=%g needs %d segments, has %d; trace record %s (keep it: 'validatord trace' reads it; register with --trace)",
			params.N, params.C, params.Eps1, code.M, len(m.Segments), rf)
	} else {
		text += "\n  no tracing parameters (--copies, --coalition, --eps1): copies of this title cannot be traced"
	}
	e.print(res, text)
	return nil
}

func cmdTitleRegister(e *env, args []string) error {
	e.nodeFlags()
	pkg := e.fs.String("package", "", "title package file")
	dealFile := e.fs.String("deal", "", "the package's deal file (default: beside the package, <title>"+DealExt+")")
	name := e.fs.String("name", "", "title name for people")
	profiles := e.fs.String("profiles", "0x41,0x43", "disc profiles the title may be written to")
	isKey := e.keyFlag("issuer-key", FileIssuerKey, "issuer key file")
	traceFile := e.fs.String("trace", "", "the title's trace record from 'title package' (records its tracing parameters and root)")
	if err := e.parse(args, "package"); err != nil {
		return err
	}
	m, err := titlepkg.ReadManifest(*pkg)
	if err != nil {
		return err
	}
	if *dealFile == "" {
		*dealFile = filepath.Join(filepath.Dir(*pkg), m.TitleID+DealExt)
	}
	raw, err := genesis.ReadBounded(*dealFile, contract.MaxTxBytes)
	if err != nil {
		return err
	}
	df, err := custody.UnmarshalDealFile(raw)
	if err != nil {
		return fmt.Errorf("deal file %s: %w", *dealFile, err)
	}
	if err := dealMatches(df, m); err != nil {
		return fmt.Errorf("deal file %s and package %s: %w", *dealFile, *pkg, err)
	}
	profs, err := parseProfiles(*profiles)
	if err != nil {
		return err
	}
	t := contract.Title{ID: m.TitleID, Name: *name, ContentHash: m.Root[:]}
	layers := uint8(1)
	if m.ImageSize > 12219392*2048 {
		layers = 2
	}
	for _, pr := range profs {
		t.Formats = append(t.Formats, keys.FormatMetadata{Profile: pr, Layers: layers, Finalize: pr != 0x43})
	}
	for _, s := range m.Segments {
		t.Segments = append(t.Segments, contract.Segment{StartSector: uint32(s.Start), Sectors: s.Sectors})
	}
	if *traceFile != "" {
		if t.Tracing, err = titleTracing(*traceFile, m); err != nil {
			return err
		}
	}
	a, err := e.adminFor(*isKey, FileIssuerKey)
	if err != nil {
		return err
	}
	if err := a.RegisterDealtTitle(e.ctx, t, &custody.Dealt{Roots: df.Roots, Blobs: df.Blobs}); err != nil {
		return err
	}
	e.print(map[string]any{"title": t.ID, "content_hash": hex.EncodeToString(t.ContentHash), "profiles": profs, "nodes": len(df.Roots)},
		fmt.Sprintf("registered title %s (content %x), profiles %v; its keys are held in shares by the %d custody nodes", t.ID, t.ContentHash, profs, len(df.Roots)))
	return nil
}

// dealMatches checks the deal is the one the package was made under: same
// title, segment count and roots.
func dealMatches(df *custody.DealFile, m *titlepkg.Manifest) error {
	if df.Title.TitleID != m.TitleID || df.Title.Segments != len(m.Segments) || len(df.Roots) != len(m.ShareRoots) {
		return fmt.Errorf("the deal is for title %q with %d segments and %d nodes, the package for %q with %d segments and %d share roots; use the deal file 'title package' wrote with this package",
			df.Title.TitleID, df.Title.Segments, len(df.Roots), m.TitleID, len(m.Segments), len(m.ShareRoots))
	}
	for i := range df.Roots {
		if df.Roots[i] != m.ShareRoots[i] {
			return fmt.Errorf("node %d's share root differs between the deal and the package; use the deal file 'title package' wrote with this package", i)
		}
	}
	return nil
}
