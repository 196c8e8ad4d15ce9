package simstation

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
	"copystation/validatord/contract"
)

// TestBadPackageSpendsNothing: a job whose title package is missing or
// damaged fails before the spend, with a code and a message that say so;
// the token stays unspent on the ledger and the blank stays in the drive,
// untouched (nothing in the reject bin). Then, with the package put back,
// the same token makes its copy.
func TestBadPackageSpendsNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, keys := enrolledStation(ctx, t, dir, 4<<20, 7)
	path := filepath.Join(dir, "station", "titles", titlepkg.FileName("film"))
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := titlepkg.ManifestLen(good[:16])
	if err != nil {
		t.Fatal(err)
	}
	m, err := titlepkg.ParseManifest(good[:n])
	if err != nil {
		t.Fatal(err)
	}
	tagAt := int64(m.Size()) + int64(m.ChunkSize) // chunk 0's tag
	tests := []struct {
		name   string
		damage func() error
	}{
		{"missing", func() error { return os.Remove(path) }},
		{"truncated", func() error { return os.WriteFile(path, good[:len(good)-4096], 0o600) }},
		{"chunk tag altered", func() error {
			b := append([]byte(nil), good...)
			b[tagAt] ^= 0x01
			return os.WriteFile(path, b, 0o600)
		}},
		{"manifest garbled", func() error {
			b := append([]byte(nil), good...)
			b[9] ^= 0xFF
			return os.WriteFile(path, b, 0o600)
		}},
	}
	st, err := Start(ctx, keys, Options{Dir: filepath.Join(dir, "station"), Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: mustPlayers(t, nw)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := "tok-" + strings.ReplaceAll(tc.name, " ", "-")
			if err := nw.Mint(ctx, token, "film", keys.Signing); err != nil {
				t.Fatal(err)
			}
			if err := tc.damage(); err != nil {
				t.Fatal(err)
			}
			j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: token})
			if err != nil {
				t.Fatal(err)
			}
			var got *api.Job
			waitFor(t, "the job to end", func() bool {
				got, _ = st.Client.Job(ctx, j.ID)
				return got.State.Terminal()
			})
			if got.State != job.Failed || got.Code != "title_package" || !strings.Contains(got.Reason, "title package is missing or damaged") {
				t.Errorf("job = %s, code %q, reason %q; want failed, title_package, saying the package is missing or damaged", got.State, got.Code, got.Reason)
			}
			if tok, err := nw.Token(token); err != nil || tok.State != contract.TokenUnspent {
				t.Errorf("token %s = %+v, %v; want unspent", token, tok, err)
			}
			if _, _, rejected, err := st.Robot.Bins(ctx); err != nil || rejected != 0 {
				t.Errorf("reject bin = %d (%v), want 0: the blank was never touched", rejected, err)
			}
			if in, _, _, _ := st.Robot.Bins(ctx); in != 9 {
				t.Errorf("input bin = %d, want 9 (the first job's blank stays in the drive for the next, case %d)", in, i)
			}
			if err := os.WriteFile(path, good, 0o600); err != nil {
				t.Fatal(err)
			}
		})
	}
	j, err := st.Client.Burn(ctx, api.BurnRequest{TitleID: "film", TokenID: "tok-missing"})
	if err != nil {
		t.Fatal(err)
	}
	var done *api.Job
	waitFor(t, "the copy with the package back", func() bool {
		done, _ = st.Client.Job(ctx, j.ID)
		return done.State.Terminal()
	})
	if done.State != job.Done || done.Attempt != 1 {
		t.Errorf("job with the package back = %s after %d attempt(s) (%s), want done on the first blank", done.State, done.Attempt, done.Reason)
	}
}
