package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/keys"
	"copystation/ledgerclient"
	"copystation/validatord/contract"
	"copystation/validatord/embedded"
)

// registerDealt deals a title of segs one-sector segments to the network's
// custody nodes through node 0's issuer, packages it (only its manifest is
// kept) and registers it, with tracing parameters (N = 10, C = 3,
// Eps1 = 0.01, which need 614 segments) when traced.
func registerDealt(tb testing.TB, c *chain, id string, segs int, traced bool) *titlepkg.Manifest {
	tb.Helper()
	cd, err := c.node(0).Issuer.CustodyDeal(c.ctx())
	if err != nil {
		tb.Fatal(err)
	}
	d, err := cd.Deal(id, segs)
	if err != nil {
		tb.Fatal(err)
	}
	img := make([]byte, (2*segs+32)*titlepkg.SectorSize)
	rand.Read(img)
	spec := titlepkg.Spec{TitleID: id, Image: bytes.NewReader(img), ImageSize: int64(len(img)), Keys: d.Keys.PackageKeys(),
		ShareRoots: d.Roots, ChunkSize: titlepkg.MinChunkSize, Rand: rand.Reader}
	for s := range segs {
		b := make([]byte, titlepkg.SectorSize)
		rand.Read(b)
		spec.Variants = append(spec.Variants, titlepkg.Variant{Start: uint64(1 + 2*s), B: b})
	}
	m, err := titlepkg.Create(tb.TempDir(), spec)
	spec.Keys.Wipe()
	d.Keys.Wipe()
	if err != nil {
		tb.Fatal(err)
	}
	ti := contract.Title{ID: id, Name: id, ContentHash: m.Root[:],
		Formats: []keys.FormatMetadata{{Profile: 0x41, Layers: 1, Finalize: true, HeaderSectors: 32}}}
	for _, s := range m.Segments {
		ti.Segments = append(ti.Segments, contract.Segment{StartSector: uint32(s.Start), Sectors: s.Sectors})
	}
	if traced {
		ti.Tracing = &contract.TitleTracing{Copies: 10, Coalition: 3, Eps1: "0.01", Root: make([]byte, 32)}
	}
	if err := c.node(0).Issuer.RegisterDealtTitle(c.ctx(), ti, d); err != nil {
		tb.Fatalf("RegisterDealtTitle(%s) = %v", id, err)
	}
	return m
}

// BenchmarkSpendToKeysDealtSerial4Nodes and its Traced twin: one copy at a
// time of a 640-segment title dealt to 4 nodes (t = 2), from the first
// CopyRequest to the combined keys; the traced title's releases carry the
// title partials and derive Tardos codewords (the first copy also
// combines σ_title at each node). Run with -benchtime=Nx.
func BenchmarkSpendToKeysDealtSerial4Nodes(b *testing.B)  { benchDealtSpendToKeys(b, false) }
func BenchmarkSpendToKeysTracedSerial4Nodes(b *testing.B) { benchDealtSpendToKeys(b, true) }

func benchDealtSpendToKeys(b *testing.B, traced bool) {
	c := startChainOpts(b, 4, embedded.Options{})
	st := softStation(b)
	m := registerDealt(b, c, "title-b", 640, traced)
	c.enroll(st.signPub, st.exchanger.PublicKey())
	for i := range b.N {
		c.mint(fmt.Sprintf("bench-%d", i), "title-b", st.signPub)
	}
	var gws []ledgerclient.Node
	for i := range 4 {
		gws = append(gws, startNode(b, c.node(i).Ledger, nodeOpts{}).pin)
	}
	cl := benchStation(b, st, gws)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	lat := make([]time.Duration, b.N)
	extra := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := range b.N {
		p := paramsFor(fmt.Sprintf("job-%d", i), fmt.Sprintf("bench-%d", i), "title-b", []byte(fmt.Sprintf("m-%d", i)))
		p.Manifest = m
		t0 := time.Now()
		a, err := cl.Authorize(ctx, p)
		lat[i] = time.Since(t0)
		if err != nil {
			b.Fatalf("Authorize(%d) = %v", i, err)
		}
		extra[i] = a.ReleaseTime - a.SpendTime
		a.Keys.Wipe()
	}
	b.StopTimer()
	slices.Sort(lat)
	slices.Sort(extra)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(extra[len(extra)/2].Microseconds())/1000, "after-spend-p50-ms")
	b.ReportMetric(float64(extra[len(extra)*99/100].Microseconds())/1000, "after-spend-p99-ms")
}
