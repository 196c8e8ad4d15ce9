package simstation

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"copystation/burn/titlepkg"
)

// Tracing parameters of the title below: N = 10 copies, coalitions of
// C = 3, Eps1 = 0.01 (loose: at most a 1% chance that any innocent copy
// is accused by a trace) need 614 segments; the title has 640, one sector
// each.
const (
	tracedSegments = 640
	tracedCopies   = "10"
	tracedC        = "3"
	tracedEps1     = "0.01"
)

// TestTracedCopiesFourNodes is issue 13's must-show end to end: four
// validation nodes (validatord testnet and Run, t = 2), a title packaged
// and registered with tracing parameters by the validatord commands, the
// simulated station (drive simulator, reference TPM) burning four copies
// whose codewords are Tardos codewords the nodes derive from σ_title
// without the station learning it. Three discs are read back and decrypted
// by `stationd disc check --out`, interleaved segment by segment into a
// leak; `validatord trace request`, two nodes' `trace answer` (one alone
// opens nothing), `trace combine`, `trace --openings` and `trace accuse`
// name colluders only — Tardos promises at least one, never the fourth
// copy — and the ledger records the accusation it recomputed.
func TestTracedCopiesFourNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	// Seed 1 fixes this network's group secret and job IDs, hence the four
	// codewords (newTracedNet): with it the trace accuses colluders only,
	// as it would in all but at most Eps1 of fresh networks.
	n := newTracedNet(ctx, t, dir, 1)

	// The title: one-sector variants at odd sectors of a 2.6 MB image.
	image, variants := tracedImage(t, dir)
	rec := n.register(4, append([]string{"--image", image, "--copies", tracedCopies, "--coalition", tracedC, "--eps1", tracedEps1}, variants...)...)
	discs, jobs := n.burn(4, time.Minute)
	var plain [][]byte
	for _, f := range n.readBack(discs[:3]) {
		p, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		plain = append(plain, p)
	}
	// Interleave: segment s from copy s mod 3.
	leak := bytes.Clone(plain[0])
	differ := 0
	for s := range tracedSegments {
		at := (1 + 2*s) * titlepkg.SectorSize
		copy(leak[at:at+titlepkg.SectorSize], plain[s%3][at:at+titlepkg.SectorSize])
		if !bytes.Equal(plain[0][at:at+titlepkg.SectorSize], plain[1][at:at+titlepkg.SectorSize]) {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("copies 0 and 1 hold the same variant in every segment")
	}
	leakFile := filepath.Join(dir, "leak.img")
	if err := os.WriteFile(leakFile, leak, 0o600); err != nil {
		t.Fatal(err)
	}

	openings := n.open(leakFile, rec, jobs)
	tr := n.trace(leakFile, rec, openings)
	if tr.Scored != 4 || len(tr.Accused) == 0 {
		t.Fatalf("trace --openings = %+v, want 4 scored and a colluder accused", tr)
	}
	for _, a := range tr.Accused {
		if a.Copy == jobs[3] || a.Station != n.keys.ID || a.Height == 0 {
			t.Errorf("trace accused %+v; the colluders are %v, the station %s", a, jobs[:3], n.keys.ID)
		}
	}
	acc := n.accuse(openings, jobs[3])
	t.Logf("copies %v: %d segments differ between copies 0 and 1; trace accused %+v, the ledger %d", jobs, differ, tr.Accused, len(acc.Accused))
}
