package validatord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"copystation/burn/titlepkg"
	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

func (e *env) keyFlag(name, def, help string) *string {
	e.keyFlags[def] = name
	return e.fs.String(name, "", help+" (default HOME/"+def+", else beside HOME as testnet writes it)")
}

// keyPath is the key file given, else def in the home (where init writes
// it), else def beside the home (where testnet writes it, next to node0 and
// the others).
func (e *env) keyPath(v, def string) (string, error) {
	if v != "" {
		return v, nil
	}
	flag := e.keyFlags[def]
	if e.home == "" {
		return "", usagef("give --%s FILE, or --home where %s lies", flag, def)
	}
	in, beside := filepath.Join(e.home, def), filepath.Join(filepath.Dir(filepath.Clean(e.home)), def)
	for _, p := range []string{in, beside} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: not at %s (where init writes it) nor at %s (where testnet writes it): give --%s FILE",
		ErrNoKeyFile, in, beside, flag)
}

// ErrNoKeyFile is a governance key file that is not where it was looked for.
var ErrNoKeyFile = errors.New("no key file")

func (e *env) show(path string, out any, text func() string) error {
	b, err := e.backend()
	if err != nil {
		return err
	}
	if !e.prove {
		if err := b.Query(e.ctx, path, out); err != nil {
			return err
		}
		e.print(out, text())
		return nil
	}
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	p, err := b.Prove(ctx, path, out)
	if err != nil {
		return err
	}
	e.print(map[string]any{"record": out, "proof": p}, fmt.Sprintf("%s\nproved: written at height %d, verified against the app hash %X of block %d",
		text(), p.Height, p.AppHash, p.HeaderHeight))
	return nil
}

func cmdTitlePackage(e *env, args []string) error {
	e.homeFlags()
	image := e.fs.String("image", "", "disc image file (whole 2048-byte sectors)")
	filmDir := e.fs.String("film", "", "instead of --image and --variant: a BDMV film from DIR (video-a.h264, video-b.h264, audio.ac3)")
	out := e.fs.String("out", "", "directory for the package and its sealed key")
	title := e.fs.String("title", "", "title ID")
	var variants []string
	e.fs.Func("variant", "forensic segment START:FILE (B variant sectors); repeatable", func(s string) error {
		variants = append(variants, s)
		return nil
	})
	if err := e.parse(args, "out", "title"); err != nil {
		return err
	}
	if *image == "" && *filmDir == "" {
		return usagef("--image is required (or --film)")
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	spec := titlepkg.Spec{TitleID: *title, Rand: rand.Reader}
	secret := make([]byte, keys.KeySize)
	defer keys.Zero(secret)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
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
	table := ""
	if *filmDir != "" {
		if *image != "" || len(variants) > 0 {
			return usagef("--film replaces --image and --variant")
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		if table, err = filmSpec(*filmDir, *out, *title, &spec); err != nil {
			return err
		}
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
		spec.Image, spec.ImageSize = f, fi.Size()
	}
	if spec.Keys, err = titlepkg.DeriveKeys(secret, len(spec.Variants)); err != nil {
		return err
	}
	defer spec.Keys.Wipe()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	m, err := titlepkg.Create(*out, spec)
	if err != nil {
		return err
	}
	keyFile := filepath.Join(*out, *title+".key")
	if err := vault.SealFile(keyFile, kek, vault.LabelPackageKey, secret, nil); err != nil {
		return err
	}
	pkg := filepath.Join(*out, titlepkg.FileName(*title))
	msg := fmt.Sprintf("packaged %s: %s (%d bytes of image, %d forensic segments)\n  package key sealed in %s; register with 'validatord title register'", *title, pkg, m.ImageSize, len(m.Segments), keyFile)
	if table != "" {
		msg += "\n  variant digests (for tracing) in " + table
	}
	e.print(map[string]any{"package": pkg, "key_file": keyFile, "segments": len(m.Segments), "image_size": m.ImageSize, "variant_digests": table}, msg)
	return nil
}

func cmdTitleRegister(e *env, args []string) error {
	e.nodeFlags()
	pkg := e.fs.String("package", "", "title package file")
	keyFile := e.fs.String("key", "", "the package's sealed key file")
	name := e.fs.String("name", "", "title name for people")
	profiles := e.fs.String("profiles", "0x41,0x43", "disc profiles the title may be written to")
	isKey := e.keyFlag("issuer-key", FileIssuerKey, "issuer key file")
	if err := e.parse(args, "package", "key"); err != nil {
		return err
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	pk, err := vault.OpenFile(*keyFile, kek, vault.LabelPackageKey)
	if err != nil {
		return err
	}
	defer keys.Zero(pk)
	p, err := titlepkg.OpenSecret(*pkg, pk) // proves the key opens this package
	if err != nil {
		return err
	}
	m := p.Manifest()
	p.Close()
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
	path, err := e.keyPath(*isKey, FileIssuerKey)
	if err != nil {
		return err
	}
	a, err := e.admin(path)
	if err != nil {
		return err
	}
	if err := a.RegisterTitle(e.ctx, t, pk); err != nil {
		return err
	}
	e.print(map[string]any{"title": t.ID, "content_hash": hex.EncodeToString(t.ContentHash), "profiles": profs},
		fmt.Sprintf("registered title %s (content %x), profiles %v; its package key is deposited with the network", t.ID, t.ContentHash, profs))
	return nil
}

func cmdTokenMint(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("id", "", "token ID")
	title := e.fs.String("title", "", "title ID")
	owner := e.fs.String("owner", "", "owner's public key, SEC1 hex (a station's signing key or a customer's)")
	isKey := e.keyFlag("issuer-key", FileIssuerKey, "issuer key file")
	if err := e.parse(args, "id", "title", "owner"); err != nil {
		return err
	}
	ok, err := parseKeyHex("--owner", *owner)
	if err != nil {
		return err
	}
	path, err := e.keyPath(*isKey, FileIssuerKey)
	if err != nil {
		return err
	}
	a, err := e.admin(path)
	if err != nil {
		return err
	}
	if err := a.MintToken(e.ctx, *id, *title, ok); err != nil {
		return err
	}
	e.print(map[string]string{"token": *id, "title": *title, "owner": protocol.KeyID(ok)},
		fmt.Sprintf("minted token %s for title %s, owner %s", *id, *title, protocol.KeyID(ok)))
	return nil
}

func cmdTokenTransfer(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("id", "", "token ID")
	to := e.fs.String("to", "", "new owner's public key, SEC1 hex")
	ownerKey := e.fs.String("owner-key", "", "the current owner's key file")
	if err := e.parse(args, "id", "to", "owner-key"); err != nil {
		return err
	}
	nk, err := parseKeyHex("--to", *to)
	if err != nil {
		return err
	}
	a, err := e.admin(*ownerKey)
	if err != nil {
		return err
	}
	if err := a.TransferToken(e.ctx, *id, nk); err != nil {
		return err
	}
	e.print(map[string]string{"token": *id, "owner": protocol.KeyID(nk)}, fmt.Sprintf("token %s now belongs to %s", *id, protocol.KeyID(nk)))
	return nil
}

func cmdTokenShow(e *env, args []string) error {
	e.nodeFlags()
	e.fs.BoolVar(&e.prove, "prove", false, "verify the record's inclusion proof against the block header")
	id := e.fs.String("id", "", "token ID")
	if err := e.parse(args, "id"); err != nil {
		return err
	}
	var t contract.Token
	return e.show("/token/"+*id, &t, func() string {
		s := fmt.Sprintf("token %s: title %s, owner %s, %s", t.ID, t.Title, t.OwnerID, t.State)
		if t.Job != "" {
			s += " by job " + t.Job
		}
		return s
	})
}

func cmdCopiesList(e *env, args []string) error {
	e.nodeFlags()
	tok := e.fs.String("token", "", "list a token's copies")
	st := e.fs.String("station", "", "list a station's copies")
	if err := e.parse(args); err != nil {
		return err
	}
	path := "/copies/token/" + *tok
	switch {
	case (*tok == "") == (*st == ""):
		return usagef("give exactly one of --token and --station")
	case *st != "":
		path = "/copies/station/" + *st
	}
	var list []contract.Copy
	return e.show(path, &list, func() string {
		s := fmt.Sprintf("%d copies", len(list))
		for _, c := range list {
			s += fmt.Sprintf("\n  job %s: token %s, station %s, profile %#x", c.JobID, c.Token, c.Station, c.Profile)
			for i, a := range c.Attempts {
				s += fmt.Sprintf("\n    attempt %d: media %x, %s at height %d", i, a.MediaID, a.Outcome, a.Height)
			}
		}
		return s
	})
}

func cmdKeyNew(e *env, args []string) error {
	e.homeFlags()
	out := e.fs.String("out", "", "key file to write")
	if err := e.parse(args, "out"); err != nil {
		return err
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	k, err := vault.NewSigningKey(*out, kek, nil)
	if err != nil {
		return err
	}
	pub, _ := k.PublicKey.Bytes()
	e.print(map[string]string{"key_file": *out, "public_key": hex.EncodeToString(pub), "id": protocol.KeyID(pub)},
		fmt.Sprintf("new key %s\n  public key %x\n  ID %s", *out, pub, protocol.KeyID(pub)))
	return nil
}

func cmdTitleShow(e *env, args []string) error {
	e.nodeFlags()
	e.fs.BoolVar(&e.prove, "prove", false, "verify the record's inclusion proof against the block header")
	id := e.fs.String("id", "", "title ID")
	if err := e.parse(args, "id"); err != nil {
		return err
	}
	var t contract.Title
	return e.show("/title/"+*id, &t, func() string {
		return fmt.Sprintf("title %s (%s): issuer %s, content %x, %d formats, %d forensic segments, registered at height %d",
			t.ID, t.Name, t.Issuer, t.ContentHash, len(t.Formats), len(t.Segments), t.Height)
	})
}

func cmdCopiesShow(e *env, args []string) error {
	e.nodeFlags()
	e.fs.BoolVar(&e.prove, "prove", false, "verify the record's inclusion proof against the block header")
	job := e.fs.String("job", "", "job ID")
	if err := e.parse(args, "job"); err != nil {
		return err
	}
	var c contract.Copy
	return e.show("/copy/"+*job, &c, func() string {
		s := fmt.Sprintf("job %s: token %s, title %s, station %s, profile %#x", c.JobID, c.Token, c.Title, c.Station, c.Profile)
		for i, a := range c.Attempts {
			s += fmt.Sprintf("\n  attempt %d: media %x, %s, authorised at height %d (tx %X), codeword commitment %x",
				i, a.MediaID, a.Outcome, a.Height, a.TxHash, a.CodewordCommitment)
		}
		return s
	})
}
