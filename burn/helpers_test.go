package burn

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"copystation/burn/disc"
	"copystation/burn/titlepkg"
	"copystation/custody/playertree"
	"copystation/custody/playertree/playertreetest"
	"copystation/drive"
	"copystation/keys"
	"copystation/simulator/drivesim"
)

// Fixed test secrets: the validation node's master secret and the
// package key.
var (
	testMaster = bytes.Repeat([]byte{0x4D}, 32)
	testPkgKey = bytes.Repeat([]byte{0x50}, 32)
)

// The players: a one-node group's player tree (real keys), the station's
// encrypter for it and an enrolled player, made once.
var (
	playersOnce sync.Once
	testNet     *playertreetest.Network
	testEnc     *playertree.Encrypter
	testDevice  *playertree.DeviceKeys
)

func players(tb testing.TB) (*playertree.Encrypter, *playertree.DeviceKeys) {
	playersOnce.Do(func() {
		testNet = playertreetest.New(tb, playertree.Tree{ID: "burn-test", Depth: 4}, "burn")
		testEnc, testDevice = testNet.Encrypter(tb), testNet.Enroll(tb, 5)
	})
	return testEnc, testDevice
}

// jobSeed gives every job's key block its own randomness, as a station's
// random source does: a retried or resumed copy draws another block.
var jobSeed atomic.Uint32

// testPlayers is a job's Players: nobody revoked.
func testPlayers(tb testing.TB) *Players {
	e, _ := players(tb)
	return &Players{Encrypter: e, Rand: chacha(byte(0x70 + jobSeed.Add(1)))}
}

func chacha(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func randBytes(seed byte, n int) []byte {
	b := make([]byte, n)
	chacha(seed).Read(b)
	return b
}

// fixture is a title: its image, its variants and its package.
type fixture struct {
	img  []byte
	vars []titlepkg.Variant
	pkg  *titlepkg.Package
	path string
}

// newFixture packages an image of n sectors with variants at the given
// (start, sectors) pairs, every B variant differing from A in every sector.
func newFixture(t *testing.T, n int, segs ...[2]int) *fixture {
	t.Helper()
	f := &fixture{img: randBytes(1, n*disc.SectorSize)}
	for i, s := range segs {
		f.vars = append(f.vars, titlepkg.Variant{Start: uint64(s[0]), B: randBytes(byte(10+i), s[1]*disc.SectorSize)})
	}
	dir := t.TempDir()
	_, err := titlepkg.Create(dir, titlepkg.Spec{TitleID: "film-1", Image: bytes.NewReader(f.img), ImageSize: int64(len(f.img)),
		Variants: f.vars, Keys: titleKeys(t, len(f.vars)), ChunkSize: titlepkg.MinChunkSize, Rand: chacha(2)})
	if err != nil {
		t.Fatalf("titlepkg.Create() = %v", err)
	}
	f.path = filepath.Join(dir, titlepkg.FileName("film-1"))
	f.pkg, err = titlepkg.Open(f.path, titleKeys(t, len(f.vars)))
	if err != nil {
		t.Fatalf("titlepkg.Open() = %v", err)
	}
	t.Cleanup(func() { f.pkg.Close() })
	return f
}

// want is the image a copy with codeword cw must carry.
func (f *fixture) want(cw []byte) []byte {
	out := bytes.Clone(f.img)
	for i, v := range f.vars {
		if titlepkg.CodewordBit(cw, i) == 1 {
			copy(out[int(v.Start)*disc.SectorSize:], v.B)
		}
	}
	return out
}

// newSim starts a simulated burner holding a blank BD-R and waits for it
// to be ready.
func newSim(t *testing.T, faults ...drivesim.Fault) *drivesim.Drive {
	t.Helper()
	return newSimIn(t, t.TempDir(), faults...)
}

// newSimIn is newSim with the discs' files in dir.
func newSimIn(t *testing.T, dir string, faults ...drivesim.Fault) *drivesim.Drive {
	t.Helper()
	return newSimWith(t, drivesim.Options{Dir: dir, Media: drivesim.BDR25, Faults: faults, Seed: uint64(len(t.Name()))})
}

// newSimWith makes a drive with these options, closed when the test ends,
// and waits for it to be ready.
func newSimWith(t *testing.T, opts drivesim.Options) *drivesim.Drive {
	t.Helper()
	sim, err := drivesim.New(opts)
	if err != nil {
		t.Fatalf("drivesim.New() = %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	waitReady(t, sim)
	return sim
}

func waitReady(t *testing.T, tr drive.Transport) {
	t.Helper()
	if err := newDrive(tr).WaitReady(context.Background()); err != nil {
		t.Fatalf("WaitReady() = %v", err)
	}
}

// mediaID asks the drive for the disc's media ID.
func mediaID(t *testing.T, tr drive.Transport) []byte {
	t.Helper()
	m, err := newDrive(tr).MediaInfo(context.Background())
	if err != nil {
		t.Fatalf("MediaInfo() = %v", err)
	}
	return m.MediaID
}

// titleKeys are every key of a test title with n forensic segments: what
// the issuer holds.
func titleKeys(t testing.TB, n int) *titlepkg.Keys {
	t.Helper()
	k := &titlepkg.Keys{Base: bytes.Clone(testPkgKey), Variants: make([][2][]byte, n)}
	for s := range n { // variant v of segment s: 0x60+v ... u32(s), each distinct
		for v := range 2 {
			k.Variants[s][v] = binary.BigEndian.AppendUint32(bytes.Repeat([]byte{byte(0x60 + v)}, titlepkg.KeySize-4), uint32(s))
		}
	}
	return k
}

// copyKeys are the keys a validation node releases for one copy of a title
// with nseg forensic segments: the base key and the codeword's variants.
func copyKeys(t testing.TB, media []byte, copyID string, cw []byte, nseg int) *keys.CopyKeys {
	t.Helper()
	sel, err := titleKeys(t, nseg).Select(cw)
	if err != nil {
		t.Fatalf("Select() = %v", err)
	}
	var vk [][]byte
	for s, v := range sel.Variants {
		vk = append(vk, v[titlepkg.CodewordBit(cw, s)])
	}
	dk, err := keys.DeriveDiscKey(testMaster, copyID, 0, media)
	if err != nil {
		t.Fatalf("DeriveDiscKey() = %v", err)
	}
	return &keys.CopyKeys{BaseKey: sel.Base, VariantKeys: vk, DiscKey: dk, Codeword: cw,
		Format: keys.FormatMetadata{Profile: uint16(drive.ProfileBDRSRM), Layers: 1, Finalize: true}}
}

// job is a copy of f onto the blank in sim.
func (f *fixture) job(t *testing.T, sim drive.Transport, copyID string, cw []byte) Job {
	media := mediaID(t, sim)
	k := copyKeys(t, media, copyID, cw, len(f.vars))
	return Job{Package: openAs(t, f.path, k), Keys: k, CopyID: copyID, MediaID: media, Players: testPlayers(t)}
}

// openAs opens a package as a station does, with only the keys a copy
// was given.
func openAs(t testing.TB, path string, k *keys.CopyKeys) *titlepkg.Package {
	t.Helper()
	tk, err := TitleKeys(k)
	if err != nil {
		t.Fatalf("TitleKeys() = %v", err)
	}
	defer tk.Wipe()
	p, err := titlepkg.Open(path, tk)
	if err != nil {
		t.Fatalf("titlepkg.Open(copy keys) = %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// play reads the disc in sim back as a player.
func play(t *testing.T, sim drive.Transport) ([]byte, *disc.Header, error) {
	t.Helper()
	var out bytes.Buffer
	_, player := players(t)
	h, err := ReadDisc(context.Background(), newDrive(sim), player, &out, ReadOptions{})
	return out.Bytes(), h, err
}

// newDrive is the drive API over tr, retrying quickly.
func newDrive(tr drive.Transport) *drive.Drive {
	return drive.New(tr, drive.WithBackoff(time.Millisecond, 10*time.Millisecond, 2*time.Second))
}

// fakeClock advances one second every time it is read.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { c.t = c.t.Add(time.Second); return c.t }

// tamperedPackage copies f's package with one bit flipped in chunk i
// (-1: the last chunk) and opens it: the manifest still authenticates.
func tamperedPackage(t *testing.T, f *fixture, i int) *titlepkg.Package {
	t.Helper()
	b, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	m := f.pkg.Manifest()
	if i < 0 {
		i = int(m.ChunkCount) - 1
	}
	b[f.pkg.ChunkOffset(uint64(i))+7] ^= 0x10
	path := filepath.Join(t.TempDir(), "tampered.ctp")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := titlepkg.Open(path, titleKeys(t, len(f.vars)))
	if err != nil {
		t.Fatalf("titlepkg.Open(tampered) = %v, want nil (only a chunk is altered)", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func testPlayer(tb testing.TB) *playertree.DeviceKeys {
	_, p := players(tb)
	return p
}
