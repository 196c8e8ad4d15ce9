package gateway_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"testing"

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
	assertTPMCopy(t, st, clk, n)
}

func assertTPMCopy(t *testing.T, st *station, clk *clock, nodes ...*testNode) {
	t.Helper()
	var pins []ledgerclientNode
	for _, n := range nodes {
		pins = append(pins, n.pin)
	}
	c := st.client(t, clk.Now, pins...)
	media := []byte("tpm-media-1")
	a, err := c.Authorize(context.Background(), paramsFor("job-tpm", "tok-1", "title-1", media))
	if err != nil {
		t.Fatalf("Authorize(TPM station) = %v", err)
	}
	defer a.Keys.Wipe()
	if len(a.Keys.DiscKey) != keys.KeySize || len(a.Keys.BaseKey) != keys.KeySize {
		t.Fatalf("Authorize keys: disc %d bytes, package %d bytes; want %d each", len(a.Keys.DiscKey), len(a.Keys.BaseKey), keys.KeySize)
	}
	info := keys.Info{JobID: "job-tpm", MediaID: media, Transcript: a.KeysTranscript}
	again, err := keys.Open(st.exchanger, info, a.Sealed)
	if err != nil {
		t.Fatalf("keys.Open(TPM key) = %v", err)
	}
	again.Wipe()
	other, _ := ecdh.P256().GenerateKey(rand.Reader)
	if _, err := keys.Open(other, info, a.Sealed); !errors.Is(err, keys.ErrOpen) {
		t.Fatalf("keys.Open(another key) = %v, want %v", err, keys.ErrOpen)
	}
	info.MediaID = []byte("another-blank")
	if _, err := keys.Open(st.exchanger, info, a.Sealed); !errors.Is(err, keys.ErrOpen) {
		t.Fatalf("keys.Open(TPM key, another blank) = %v, want %v", err, keys.ErrOpen)
	}
}
