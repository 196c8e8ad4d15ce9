package daemon

import (
	"bytes"
	"context"
	"copystation/custody/playertree"
	"copystation/custody/playertree/playertreetest"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"copystation/burn"
	"copystation/burn/disc"
	"copystation/burn/titlepkg"
	"copystation/drive"
	"copystation/keys"
	"copystation/simulator/drivesim"
	"copystation/stationd/titles"
)

// installedStation is a BurnPipeline over a titles directory with install
// records, holding one package of title "film-1" whose chunk 2 has one
// byte of ciphertext altered before installation: no check without the
// package key can see it (the tags still match the root), as after a
// write to the disk below the file system.
func installedStation(t *testing.T) (*BurnPipeline, *titles.Store, *titlepkg.Keys) {
	t.Helper()
	img := make([]byte, 400*titlepkg.SectorSize)
	rand.NewChaCha8([32]byte{1}).Read(img)
	tk := &titlepkg.Keys{Base: bytes.Repeat([]byte{0x50}, titlepkg.KeySize)}
	src := t.TempDir()
	m, err := titlepkg.Create(src, titlepkg.Spec{TitleID: "film-1", Image: bytes.NewReader(img), ImageSize: int64(len(img)),
		Keys: tk, ChunkSize: titlepkg.MinChunkSize, Rand: rand.NewChaCha8([32]byte{2})})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(src, titlepkg.FileName("film-1"))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[int64(m.Size())+2*(titlepkg.MinChunkSize+titlepkg.TagSize)+5] ^= 1 // chunk 2's ciphertext
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	st := titles.ForState(state, filepath.Join(state, "titles"))
	if _, err := st.Add(context.Background(), path, titles.AddOptions{ContentHash: m.Root[:]}); err != nil {
		t.Fatalf("titles.Add() = %v", err)
	}
	players := playertreetest.New(t, playertree.Tree{ID: "daemon-test", Depth: 3}, "daemon-test").Encrypter(t)
	return &BurnPipeline{TitlesDir: st.TitlesDir, Installed: st, Players: players}, st, tk
}

// copyJob is a copy of film-1 onto the blank in sim.
func copyJob(t *testing.T, d *MMCDrive, tk *titlepkg.Keys) CopyJob {
	t.Helper()
	ctx := context.Background()
	if err := d.D.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	mi, err := d.D.MediaInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dk := bytes.Repeat([]byte{0x44}, disc.KeySize)
	k := &keys.CopyKeys{BaseKey: bytes.Clone(tk.Base), DiscKey: dk, Codeword: []byte{0},
		Format: keys.FormatMetadata{Profile: uint16(drive.ProfileBDRSRM), Layers: 1, Finalize: true}}
	return CopyJob{JobID: "j-1", CopyID: "j-1", TitleID: "film-1", Media: Media{MediaID: mi.MediaID, Profile: uint16(drive.ProfileBDRSRM)}, Keys: k}
}

// TestInstalledPackageDamagedSpoilsOneDisc: a package damaged where no
// check without its key can see passes the check before the spend, is
// burned in one pass, spoils that disc with the chunk named, and from then
// on is refused before any spend.
func TestInstalledPackageDamagedSpoilsOneDisc(t *testing.T) {
	p, st, tk := installedStation(t)
	m := Media{Profile: uint16(drive.ProfileBDRSRM), CapacitySectors: 12219392}
	if err := p.CheckPackage(context.Background(), "film-1", m); err != nil {
		t.Fatalf("CheckPackage(installed) = %v, want nil (the damage needs the key to be seen)", err)
	}
	sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), Media: drivesim.BDR25})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	d := NewMMCDrive(sim, "sim0", drive.WithBackoff(time.Millisecond, 10*time.Millisecond, 2*time.Second))
	var phases []string
	_, err = p.Copy(context.Background(), d, copyJob(t, d, tk), func(pr Progress) error {
		if len(phases) == 0 || phases[len(phases)-1] != pr.Step {
			phases = append(phases, pr.Step)
		}
		return nil
	})
	var be *burn.Error
	var ce *titlepkg.ChunkError
	if !errors.Is(err, burn.ErrPackage) || !errors.Is(err, ErrNoRetry) || !errors.As(err, &be) || !be.Spoiled || !errors.As(err, &ce) || ce.Index != 2 {
		t.Fatalf("Copy(damaged installed package) = %v, want a spoiled %v naming chunk 2, not retried", err, burn.ErrPackage)
	}
	if len(phases) == 0 || phases[0] == string(burn.PhaseAuthenticate) {
		t.Errorf("Copy() phases %v, want no whole-package authentication first (one pass)", phases)
	}
	r, err := st.Get("film-1")
	if err != nil || r.Failed == "" {
		t.Errorf("record after the spoiled copy = %+v, %v; want the failure written in it", r, err)
	}
	if err := p.CheckPackage(context.Background(), "film-1", m); !errors.Is(err, ErrTitlePackage) || !errors.Is(err, titles.ErrChanged) {
		t.Errorf("CheckPackage(after the spoiled copy) = %v, want %v and %v", err, ErrTitlePackage, titles.ErrChanged)
	}
}

// TestInstalledPackageChangedRefusedBeforeSpend: a package file replaced
// after installation is refused by the check before the spend.
func TestInstalledPackageChangedRefusedBeforeSpend(t *testing.T) {
	p, st, _ := installedStation(t)
	path := filepath.Join(st.TitlesDir, titlepkg.FileName("film-1"))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".new", b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	err = p.CheckPackage(context.Background(), "film-1", Media{Profile: uint16(drive.ProfileBDRSRM)})
	if !errors.Is(err, ErrTitlePackage) || !errors.Is(err, titles.ErrChanged) {
		t.Errorf("CheckPackage(replaced file) = %v, want %v and %v", err, ErrTitlePackage, titles.ErrChanged)
	}
}

// TestCheckPackageReservesKeyBlock: a blank with room for the copy under a
// small disc key block but not under the largest one is refused before the
// spend, since the block's size is known only after it (the revoked set at
// the spend's height); before, such a blank passed and a large revocation
// list made the copy fail with ErrNoRoom after the token was spent.
func TestCheckPackageReservesKeyBlock(t *testing.T) {
	p, _, _ := installedStation(t)
	man, err := titlepkg.Inspect(filepath.Join(p.TitlesDir, titlepkg.FileName("film-1")), "film-1")
	if err != nil {
		t.Fatal(err)
	}
	small, _ := disc.NewLayout(0, 0, man.ImageSize)
	largest, _ := disc.NewLayout(0, disc.MaxHeaderSectors, man.ImageSize)
	tight := Media{Profile: uint16(drive.ProfileBDRSRM), CapacitySectors: uint32(small.Sectors())}
	if err := p.CheckPackage(context.Background(), "film-1", tight); !errors.Is(err, ErrNoRoom) {
		t.Errorf("CheckPackage(blank of %d sectors) = %v, want %v (the largest key block needs %d)", small.Sectors(), err, ErrNoRoom, largest.Sectors())
	}
	roomy := Media{Profile: uint16(drive.ProfileBDRSRM), CapacitySectors: uint32(largest.Sectors())}
	if err := p.CheckPackage(context.Background(), "film-1", roomy); err != nil {
		t.Errorf("CheckPackage(blank of %d sectors) = %v, want nil", largest.Sectors(), err)
	}
}
