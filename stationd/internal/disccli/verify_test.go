//go:build !nonode

package disccli

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/burn/disc"
	"copystation/custody/playertree/playertreetest"
	"copystation/drive"
	"copystation/keys"
	"copystation/protocol"
	"copystation/simulator/drivesim"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/embedded"
)

// recordCopy registers the disc's title and spends its copy on node n, as
// the station that burned it did.
func recordCopy(t *testing.T, ctx context.Context, n *embedded.Node, h *disc.Header) {
	t.Helper()
	// The title is dealt to the custody nodes; its content hash is the
	// package root the burned disc's header names.
	cd, err := n.Issuer.CustodyDeal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err := cd.Deal(h.TitleID, 1)
	if err != nil {
		t.Fatal(err)
	}
	d.Keys.Wipe()
	ti := contract.Title{ID: h.TitleID, Name: "Film", ContentHash: h.PackageRoot[:],
		Formats: []keys.FormatMetadata{{Profile: 0x41, Layers: 1, Finalize: true, HeaderSectors: 32}}, Segments: []contract.Segment{{StartSector: 64, Sectors: 32}}}
	if err := n.Issuer.RegisterDealtTitle(ctx, ti, d); err != nil {
		t.Fatal(err)
	}
	sk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spub, _ := sk.PublicKey.Bytes()
	ka, _ := ecdh.P256().GenerateKey(rand.Reader)
	if _, err := n.Operator.EnrollStation(ctx, spub, ka.PublicKey().Bytes(), []uint16{0x41}, nil); err != nil {
		t.Fatal(err)
	}
	if err := n.Issuer.MintToken(ctx, "tok-9", h.TitleID, spub); err != nil {
		t.Fatal(err)
	}
	req := &protocol.CopyRequest{ChainID: n.ChainID, HandshakeHash: []byte("hh"), ChallengeNonce: []byte("n"), NodeID: "n0",
		ChallengeExpiry: time.Now().Add(time.Hour).Unix(), JobID: h.CopyID, TokenID: "tok-9", TitleID: h.TitleID, Profile: 0x41, MediaID: h.MediaID}
	sig, _ := protocol.Sign(rand.Reader, sk, req)
	if _, err := n.Ledger.Spend(ctx, spub, req, sig); err != nil {
		t.Fatal(err)
	}
}

// TestVerify: a burned disc verifies against its copy record, proved
// against its network's validators; against another network's genesis
// (the node serving it is, to that network, a fork) and with its header
// altered, it is refused with exit status 1.
func TestVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sim, err := drivesim.New(drivesim.Options{Dir: t.TempDir(), Media: drivesim.BDR25})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	raw := burnDisc(t, sim, playertreetest.New(t, tree, "disccli"))
	h, err := disc.Parse(raw[:disc.SectorSize])
	if err != nil {
		t.Fatal(err)
	}
	n, err := embedded.Start(ctx, t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	recordCopy(t, ctx, n, h)
	other, err := embedded.Start(ctx, t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop()

	open := func(string) (drive.TransportCloser, error) { return keepOpen{sim}, nil }
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Run(ctx, args, &out, &errb, open)
		return code, out.String(), errb.String()
	}
	gen := filepath.Join(n.Home, chain.FileGenesis)
	if code, out, errs := run("verify", "--device", "sim:", "--node", n.Config.RPCListen, "--genesis", gen); code != 0 || !strings.Contains(out, "copy job-9 of film") || !strings.Contains(out, "verified") {
		t.Errorf("disc verify = %d %q %q, want the record, verified", code, out, errs)
	}
	if code, _, errs := run("verify", "--device", "sim:", "--node", n.Config.RPCListen, "--genesis", filepath.Join(other.Home, chain.FileGenesis)); code != 1 || !strings.Contains(errs, "not committed by the network's validators") {
		t.Errorf("disc verify trusting another network = %d %q, want 1 and not committed", code, errs)
	}
	if code, _, _ := run("verify", "--device", "sim:"); code != 2 {
		t.Errorf("disc verify without --node = %d, want 2", code)
	}

	// Alter the header's copy ID on a fresh blank: another copy's record,
	// or none, never this disc's.
	altered := bytes.Clone(raw)
	i := bytes.Index(altered[:disc.SectorSize], []byte("job-9"))
	copy(altered[i:], "job-8")
	old, _ := sim.Remove()
	old.Close()
	sim.Insert(drivesim.BDR25)
	d := drive.New(sim)
	d.WaitReady(ctx)
	if err := d.Write(ctx, 0, altered); err != nil {
		t.Fatal(err)
	}
	d.SynchronizeCache(ctx)
	if code, _, errs := run("verify", "--device", "sim:", "--node", n.Config.RPCListen, "--genesis", gen); code != 1 {
		t.Errorf("disc verify of an altered header = %d %q, want 1", code, errs)
	}
}
