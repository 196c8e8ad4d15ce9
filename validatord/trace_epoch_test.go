package validatord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTraceCommandsAfterEpoch: on a node started with Run, copies of a
// traced title are spent, then a resharing commits custody epoch 1 and
// wipes the ceremony share; an opening requested then is answered with
// the node's epoch share (`trace answer`) and combines against the
// epoch's group (`trace combine`) into an openings file for every copy.
func TestTraceCommandsAfterEpoch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	dir := t.TempDir()
	c := &cli{t: t, ctx: ctx, home: filepath.Join(dir, "home"), kek: filepath.Join(dir, "kek")}
	node, kek := startNode(t, c)

	const segs = 700
	rng := mrand.New(mrand.NewChaCha8([32]byte{9}))
	image := make([]byte, (2*segs+2)*2048)
	for i := range image {
		image[i] = byte(rng.Uint32())
	}
	img := filepath.Join(dir, "film.img")
	os.WriteFile(img, image, 0o600)
	args := []string{"title", "package", "--image", img, "--out", filepath.Join(dir, "pkg"), "--title", "film-e", "--home", c.home,
		"--copies", "10", "--coalition", "3", "--eps1", "0.01"}
	for s := range segs {
		at := 1 + 2*s
		v := bytes.Clone(image[at*2048 : (at+1)*2048])
		v[7] ^= 0x10
		f := filepath.Join(dir, fmt.Sprintf("v%d.bin", s))
		os.WriteFile(f, v, 0o600)
		args = append(args, "--variant", fmt.Sprintf("%d:%s", at, f))
	}
	c.ok(args...)
	rec := filepath.Join(dir, "pkg", "film-e.trace")
	c.ok("title", "register", "--home", c.home, "--kek-file", c.kek, "--package", filepath.Join(dir, "pkg", "film-e.ctp"), "--trace", rec)
	spendCopies(t, c, "film-e", 2)

	reshareOne(t, c, node, kek)

	key := filepath.Join(dir, "opening.key")
	c.ok("trace", "request", "--home", c.home, "--kek-file", c.kek, "--id", "leak-e", "--title", "film-e", "--image", img, "--trace", rec,
		"--jobs", "job-0,job-1", "--key-out", key)
	answer := filepath.Join(dir, "answer0")
	c.ok("trace", "answer", "--home", c.home, "--kek-file", c.kek, "--opening", "leak-e", "--out", answer)
	openings := filepath.Join(dir, "open.json")
	c.ok("trace", "combine", "--home", c.home, "--kek-file", c.kek, "--opening", "leak-e", "--key", key, "--out", openings, "--answer", answer)
	var o Openings
	if err := json.Unmarshal(mustRead(t, openings), &o); err != nil || o.Title != "film-e" || len(o.Copies) != 2 || o.TitleSigma == "" {
		t.Fatalf("openings after epoch 1 = %+v, %v; want film-e's σ_title and 2 copies", o, err)
	}
}
