package validatord

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

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
	a, err := e.adminFor(*isKey, FileIssuerKey)
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
		s := fmt.Sprintf("title %s (%s): issuer %s, content %x, %d formats, %d forensic segments, registered at height %d",
			t.ID, t.Name, t.Issuer, t.ContentHash, len(t.Formats), len(t.Segments), t.Height)
		if tr := t.Tracing; tr != nil {
			s += fmt.Sprintf("\n  tracing: N=%d C=%d Eps1=%s, trace record root %x", tr.Copies, tr.Coalition, tr.Eps1, tr.Root)
		}
		return s
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
			s += fmt.Sprintf("\n  attempt %d: media %x, %s, authorised at height %d (tx %X)",
				i, a.MediaID, a.Outcome, a.Height, a.TxHash)
		}
		return s
	})
}
