package disccli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/burn"
	"copystation/burn/titlepkg"
	"copystation/custody/playertree"
	"copystation/custody/playertree/playertreetest"
	"copystation/drive"
	"copystation/keys"
	"copystation/simulator/drivesim"
	"copystation/validatord/vault"
)

var (
	pkgKey = bytes.Repeat([]byte{1}, 32)
	master = bytes.Repeat([]byte{3}, 32)
	kek    = bytes.Repeat([]byte{4}, 32)
	tree   = playertree.Tree{ID: "disccli", Depth: 3}
)

// revokedLeaf is revoked when the test disc is written; leaf 2 is not.
const revokedLeaf = 6

// keepOpen lets several commands share one simulated drive.
type keepOpen struct{ drive.Transport }

func (keepOpen) Close() error { return nil }

// burnDisc makes a copy on the blank in sim, with revokedLeaf revoked,
// and returns its image.
func burnDisc(t *testing.T, sim *drivesim.Drive, nw *playertreetest.Network) []byte {
	t.Helper()
	dir := t.TempDir()
	img := bytes.Repeat([]byte("copy station disc check "), 300*2048/24)
	img = img[:len(img)/2048*2048]
	if _, err := titlepkg.Create(dir, titlepkg.Spec{TitleID: "film", Image: bytes.NewReader(img), ImageSize: int64(len(img)), Keys: &titlepkg.Keys{Base: pkgKey}, Rand: bytes.NewReader(make([]byte, 64))}); err != nil {
		t.Fatal(err)
	}
	p, err := titlepkg.Open(filepath.Join(dir, titlepkg.FileName("film")), &titlepkg.Keys{Base: pkgKey})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	d := drive.New(sim)
	ctx := context.Background()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	mi, err := d.MediaInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dk, _ := keys.DeriveDiscKey(master, "job-9", 0, mi.MediaID)
	k := &keys.CopyKeys{BaseKey: pkgKey, DiscKey: dk, Codeword: []byte{0xAB}, Format: keys.FormatMetadata{Profile: 0x41, Layers: 1, Finalize: true}}
	players := &burn.Players{Encrypter: nw.Encrypter(t), Revoked: []uint32{revokedLeaf}, Rand: rand.Reader}
	res, err := burn.Copy(ctx, d, burn.Job{Package: p, Keys: k, CopyID: "job-9", MediaID: mi.MediaID, Players: players})
	if err != nil {
		t.Fatalf("burn.Copy() = %v", err)
	}
	raw := make([]byte, int(res.Layout.Sectors())*2048)
	if err := d.Read(ctx, 0, raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestCheck(t *testing.T) {
	sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), Media: drivesim.BDR25})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	nw := playertreetest.New(t, tree, "disccli")
	raw := burnDisc(t, sim, nw)
	dir := t.TempDir()
	kekFile := filepath.Join(dir, "kek")
	os.WriteFile(kekFile, []byte(hex.EncodeToString(kek)+"\n"), 0o600)
	seal := func(name string, k *playertree.DeviceKeys) string {
		b, err := k.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := vault.SealFile(path, kek, vault.LabelDeviceKeys, b, nil); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := seal("good.keys", nw.Enroll(t, 2))
	revoked := seal("revoked.keys", nw.Enroll(t, revokedLeaf))
	other := seal("other.keys", playertreetest.New(t, tree, "another network").Enroll(t, 2))
	otherKEK := filepath.Join(dir, "other-kek")
	os.WriteFile(otherKEK, bytes.Repeat([]byte{5}, 32), 0o600)
	open := func(string) (drive.TransportCloser, error) { return keepOpen{sim}, nil }
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(context.Background(), args, &out, &errb, open)
		return code, out.String(), errb.String()
	}
	tests := []struct {
		name   string
		args   []string
		before func()
		code   int
		want   string
	}{
		{"plays", []string{"check", "--device", "sim:", "--device-keys", good, "--kek-file", kekFile}, nil, 0, "codeword:   ab"},
		{"revoked player", []string{"disc", "check", "--device", "sim:", "--device-keys", revoked, "--kek-file", kekFile}, nil, 1, "revoked"},
		{"another network's player", []string{"check", "--device", "sim:", "--device-keys", other, "--kek-file", kekFile}, nil, 1, "does not open"},
		{"device keys under another KEK", []string{"check", "--device", "sim:", "--device-keys", good, "--kek-file", otherKEK}, nil, 2, "device key file"},
		{"no KEK", []string{"check", "--device", "sim:", "--device-keys", good}, nil, 2, "usage"},
		{"no device", []string{"check", "--device-keys", good, "--kek-file", kekFile}, nil, 2, "usage"},
		{"unknown subcommand", []string{"burn"}, nil, 2, "usage"},
		{"clone on another blank", []string{"check", "--device", "sim:", "--device-keys", good, "--kek-file", kekFile}, func() {
			old, _ := sim.Remove()
			old.Close()
			sim.Insert(drivesim.BDR25)
			d := drive.New(sim)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			d.WaitReady(ctx)
			if err := d.Write(ctx, 0, raw); err != nil {
				t.Fatalf("writing the clone: %v", err)
			}
			d.SynchronizeCache(ctx)
		}, 1, "copy of another disc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			code, out, errs := run(tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.want) {
				t.Errorf("Run(%q) = %d, stdout %q, stderr %q; want %d and %q", tc.args, code, out, errs, tc.code, tc.want)
			}
		})
	}
}
