package validatord

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/burn/disc"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

// packageTitle packages and registers a small title (one segment) on c's
// node and returns its ledger record.
func packageTitle(t *testing.T, c *cli, dir string) contract.Title {
	t.Helper()
	img := filepath.Join(dir, "film.img")
	os.WriteFile(img, bytes.Repeat([]byte{0x42}, 64*2048), 0o600)
	variant := filepath.Join(dir, "b.bin")
	os.WriteFile(variant, bytes.Repeat([]byte{0x43}, 4*2048), 0o600)
	pkg := filepath.Join(dir, "pkg")
	c.ok("title", "package", "--image", img, "--out", pkg, "--title", "film-1", "--variant", "8:"+variant, "--home", c.home)
	c.ok("title", "register", "--home", c.home, "--kek-file", c.kek, "--package", filepath.Join(pkg, "film-1.ctp"), "--name", "Film")
	var ti contract.Title
	json.Unmarshal([]byte(c.ok("title", "show", "--home", c.home, "--id", "film-1", "--json")), &ti)
	return ti
}

// discImage writes a copy's header sector as a station would burn it.
func discImage(t *testing.T, path string, ti contract.Title, job, media string) {
	t.Helper()
	l, err := disc.NewLayout(0, 32, 64*2048)
	if err != nil {
		t.Fatal(err)
	}
	h := &disc.Header{Version: disc.Version, Profile: 0x41, Layers: 1, Finalized: true, Layout: l, ImageSize: 64 * 2048,
		TitleID: ti.ID, CopyID: job, MediaID: []byte(media), KeyBlock: make([]byte, 165)}
	copy(h.PackageRoot[:], ti.ContentHash)
	key := make([]byte, 32)
	rand.Read(key)
	sector, err := h.Seal(key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, sector, 0o600)
}

// TestCopiesVerify: a burned copy's header verifies against its record,
// proved against the genesis validators' signatures; a header altered to
// name another blank, and a record served by a node of another network
// (a fork: same title, same job, other validators), are refused with a
// non-zero exit.
func TestCopiesVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	c := &cli{t: t, ctx: ctx, home: filepath.Join(dir, "home"), kek: filepath.Join(dir, "kek")}
	startNode(t, c)
	ti := packageTitle(t, c, dir)
	spendCopies(t, c, "film-1", 1)

	good := filepath.Join(dir, "copy.img")
	discImage(t, good, ti, "job-0", "mjob-0")
	var v ledger.VerifiedCopy
	json.Unmarshal([]byte(c.ok("copies", "verify", "--home", c.home, "--image", good, "--json")), &v)
	if v.Copy != "job-0" || v.Title != "film-1" || v.Outcome != contract.OutcomePending || v.ProvedHeight <= v.Height || v.Registered == 0 {
		t.Errorf("copies verify = %+v, want job-0 of film-1, proved", v)
	}

	altered := filepath.Join(dir, "altered.img")
	discImage(t, altered, ti, "job-0", "mjob-9")
	if code, _, errs := c.run("copies", "verify", "--home", c.home, "--image", altered); code != ExitFailed || !strings.Contains(errs, "does not match its ledger record") {
		t.Errorf("altered header: %d %q, want %d and a mismatch", code, errs, ExitFailed)
	}

	// A fork: another network with its own validators records the same
	// title and job. Asked through its node, with the first network's
	// genesis trusted, the record is refused.
	fdir := filepath.Join(dir, "fork")
	os.MkdirAll(fdir, 0o700)
	f := &cli{t: t, ctx: ctx, home: filepath.Join(fdir, "home"), kek: filepath.Join(fdir, "kek")}
	startNode(t, f)
	fti := packageTitle(t, f, fdir)
	spendCopies(t, f, "film-1", 1)
	forked := filepath.Join(dir, "forked.img")
	discImage(t, forked, fti, "job-0", "mjob-0")
	var fv ledger.VerifiedCopy
	json.Unmarshal([]byte(f.ok("copies", "verify", "--home", f.home, "--image", forked, "--json")), &fv)
	if fv.Copy != "job-0" {
		t.Fatalf("the fork's own genesis refuses its record: %+v", fv) // the fork is self-consistent
	}
	code, _, errs := c.run("copies", "verify", "--home", f.home, "--genesis", filepath.Join(c.home, "genesis.json"), "--image", forked)
	if code != ExitFailed || !strings.Contains(errs, "not committed by the network's validators") {
		t.Errorf("a fork's record: %d %q, want %d and not committed", code, errs, ExitFailed)
	}
}
