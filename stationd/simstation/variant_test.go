package simstation

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"copystation/burn"
	"copystation/burn/titlepkg"
	"copystation/keys"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
)

// TestReleasedKeysOpenOneVariant burns a copy through the embedded node and
// takes the keys the node released for it: they open the title outside the
// forensic segments and, in every segment, exactly the variant the copy's
// codeword names. The other variant does not open: the station holds no
// key for it, and under the one key it holds for that segment it fails
// authentication.
func TestReleasedKeysOpenOneVariant(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, sk := enrolledStation(ctx, t, dir, 32<<20, 7)
	if err := nw.Mint(ctx, "tok", "film", sk.Signing); err != nil {
		t.Fatal(err)
	}
	st, err := Start(ctx, sk, Options{Dir: dir + "/station", Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: mustPlayers(t, nw), SpeedX: 1, TimeScale: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	var released *keys.CopyKeys
	waitFor(t, "keys released", func() bool {
		if k := st.Daemon.Keys().Get(j.ID); k != nil {
			released = cloneKeys(k) // a copy: the daemon wipes its own
		}
		return released != nil
	})
	waitFor(t, "done", func() bool {
		x, _ := st.Client.Job(ctx, j.ID)
		return x.State.Terminal()
	})
	if x, _ := st.Client.Job(ctx, j.ID); x.State != job.Done {
		t.Fatalf("job = %s (%s), want done", x.State, x.Reason)
	}

	tk, err := burn.TitleKeys(released)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "station", "titles", titlepkg.FileName("film"))
	p, err := titlepkg.Open(path, tk)
	if err != nil {
		t.Fatalf("titlepkg.Open(released keys) = %v", err)
	}
	defer p.Close()
	// Every segment's other slot holds the key the copy was given for it.
	swapped := &titlepkg.Keys{Base: tk.Base, Variants: make([][2][]byte, len(tk.Variants))}
	for s, v := range tk.Variants {
		b := titlepkg.CodewordBit(released.Codeword, s)
		swapped.Variants[s][1-b] = v[b]
	}
	q, err := titlepkg.Open(path, swapped)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	buf := make([]byte, p.ChunkBufSize())
	others := 0
	for i := range p.Manifest().ChunkCount {
		r := p.Region(i)
		_, _, err := p.ReadChunk(i, buf)
		if r == titlepkg.BaseRegion {
			if err != nil {
				t.Fatalf("chunk %d (base) = %v", i, err)
			}
			continue
		}
		s, v := r.Segment()
		if v == titlepkg.CodewordBit(released.Codeword, s) {
			if err != nil {
				t.Fatalf("chunk %d (segment %d, the codeword's variant) = %v", i, s, err)
			}
			continue
		}
		others++
		if !errors.Is(err, titlepkg.ErrNoKey) {
			t.Errorf("chunk %d (segment %d, other variant) = %v, want ErrNoKey", i, s, err)
		}
		if _, _, err := q.ReadChunk(i, buf); !errors.Is(err, titlepkg.ErrAuth) {
			t.Errorf("chunk %d (segment %d, other variant) under the released key = %v, want ErrAuth", i, s, err)
		}
	}
	if others != len(p.Manifest().Segments) || others == 0 {
		t.Errorf("%d other-variant chunks for %d segments", others, len(p.Manifest().Segments))
	}
	if bytes.Equal(released.BaseKey, make([]byte, keys.KeySize)) {
		t.Errorf("released base key is zero")
	}
}

// cloneKeys copies the keys' buffers, which the daemon wipes once the copy
// is done.
func cloneKeys(k *keys.CopyKeys) *keys.CopyKeys {
	c := *k
	c.BaseKey, c.DiscKey, c.Codeword = bytes.Clone(k.BaseKey), bytes.Clone(k.DiscKey), bytes.Clone(k.Codeword)
	c.VariantKeys = make([][]byte, len(k.VariantKeys))
	for i, v := range k.VariantKeys {
		c.VariantKeys[i] = bytes.Clone(v)
	}
	c.Revoked = slices.Clone(k.Revoked)
	return &c
}
