package gateway_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"

	"copystation/custody"
	"copystation/keys"
	"copystation/tpm"
)

// tpmStation opens the in-process reference TPM and the station's keys in
// it. Only one runs per process, so tests using it are not parallel.
func tpmStation(t testing.TB) *station {
	t.Helper()
	dir := t.TempDir()
	tr, err := tpm.OpenSimulator(dir)
	if err != nil {
		t.Fatalf("tpm.OpenSimulator = %v", err)
	}
	t.Cleanup(func() { tr.Close() })
	s, err := tpm.LoadOrCreate(tr, dir)
	if err != nil {
		t.Fatalf("tpm.LoadOrCreate = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	pub := s.SigningPublicSEC1()
	return &station{signer: s.Signer(), signPub: pub, id: stationID(pub), exchanger: s.KeyExchanger()}
}

// TestTPMStationGetsKeysOnlyItsTPMOpens: a station whose keys live in the
// TPM gets copy keys that open with its TPM key and with no other.
func TestTPMStationGetsKeysOnlyItsTPMOpens(t *testing.T) {
	clk := newClock()
	l := startChain(t, 1)
	st := tpmStation(t)
	l.registerTitle("title-1")
	l.enroll(st.signPub, st.exchanger.PublicKey())
	l.mint("tok-1", "title-1", st.signPub)
	n := startNode(t, l.node(0).Ledger, nodeOpts{now: clk.Now})
	assertTPMCopy(t, l, st, clk, n)
}

func assertTPMCopy(t *testing.T, l *chain, st *station, clk *clock, nodes ...*testNode) {
	t.Helper()
	var pins []ledgerclientNode
	for _, n := range nodes {
		pins = append(pins, n.pin)
	}
	c := st.client(t, clk.Now, pins...)
	media := []byte("tpm-media-1")
	a, err := c.Authorize(context.Background(), l.paramsFor("job-tpm", "tok-1", "title-1", media))
	if err != nil {
		t.Fatalf("Authorize(TPM station) = %v", err)
	}
	defer a.Keys.Wipe()
	if len(a.Keys.DiscKey) != keys.KeySize || len(a.Keys.BaseKey) != keys.KeySize {
		t.Fatalf("Authorize keys: disc %d bytes, package %d bytes; want %d each", len(a.Keys.DiscKey), len(a.Keys.BaseKey), keys.KeySize)
	}
	// The node's envelopes for this copy, both rounds asked again of node
	// 0, open with the TPM key on this blank, and with no other key or
	// blank.
	ctx, n0 := l.ctx(), l.node(0)
	info := keys.Info{JobID: "job-tpm", MediaID: media, Transcript: []byte("t")}
	r1, err := n0.Ledger.ReleasePartial(ctx, st.id, info)
	if err != nil {
		t.Fatalf("ReleasePartial(job-tpm) = %v", err)
	}
	pb, _, err := keys.OpenPartial(st.exchanger, info, r1.Sealed)
	if err != nil {
		t.Fatalf("keys.OpenPartial(TPM key) = %v", err)
	}
	p, err := custody.UnmarshalPartial(pb)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := n0.Ledger.Copy(ctx, "job-tpm")
	if err != nil {
		t.Fatal(err)
	}
	label, _ := n0.Keys.Label(cp)
	cust, _ := n0.App.Custody()
	g, _ := custody.UnmarshalGroup(cust.Group)
	sigma, _, err := custody.Combine(g, label, []custody.Partial{p})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := n0.Ledger.ReleaseKeys(ctx, st.id, 0, sigma[:], info, nil)
	if err != nil {
		t.Fatalf("ReleaseKeys(job-tpm) = %v", err)
	}
	if _, err := keys.OpenRelease(st.exchanger, info, r2.Sealed); err != nil {
		t.Fatalf("keys.OpenRelease(TPM key) = %v", err)
	}
	other, _ := ecdh.P256().GenerateKey(rand.Reader)
	blank := info
	blank.MediaID = []byte("another-blank")
	for _, tc := range []struct {
		name string
		kex  ecdh.KeyExchanger
		info keys.Info
	}{{"another key", other, info}, {"TPM key, another blank", st.exchanger, blank}} {
		if _, _, err := keys.OpenPartial(tc.kex, tc.info, r1.Sealed); !errors.Is(err, keys.ErrOpen) {
			t.Errorf("keys.OpenPartial(%s) = %v, want %v", tc.name, err, keys.ErrOpen)
		}
		if _, err := keys.OpenRelease(tc.kex, tc.info, r2.Sealed); !errors.Is(err, keys.ErrOpen) {
			t.Errorf("keys.OpenRelease(%s) = %v, want %v", tc.name, err, keys.ErrOpen)
		}
	}
}
