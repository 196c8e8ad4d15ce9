package embedded

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/keys"
	"copystation/ledgerclient"
	"copystation/protocol"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/keyservice"
	"copystation/validatord/ledger"
	"copystation/validatord/vault"
)

const dealtSegments = 5

// dealt is a title the issuer dealt to a running network and packaged.
type dealt struct {
	title *contract.Title
	path  string // the package
	m     *titlepkg.Manifest
}

// dealTitle packages a title under freshly dealt keys, wipes them, and
// registers it through node via; edit may tamper with the deal first.
func dealTitle(t *testing.T, ctx context.Context, nw *Network, via int, id string, edit func(*custody.Dealt)) (*dealt, error) {
	t.Helper()
	n := nw.Node(via)
	cd, err := n.Issuer.CustodyDeal(ctx)
	if err != nil {
		t.Fatalf("CustodyDeal() = %v", err)
	}
	d, err := cd.Deal(id, dealtSegments)
	if err != nil {
		t.Fatalf("Deal() = %v", err)
	}
	img := make([]byte, 100*titlepkg.SectorSize)
	rand.Read(img)
	spec := titlepkg.Spec{TitleID: id, Image: bytes.NewReader(img), ImageSize: int64(len(img)), Keys: d.Keys.PackageKeys(),
		ShareRoots: d.Roots, ChunkSize: titlepkg.MinChunkSize, Rand: rand.Reader}
	for s := range dealtSegments {
		b := make([]byte, 2*titlepkg.SectorSize)
		rand.Read(b)
		spec.Variants = append(spec.Variants, titlepkg.Variant{Start: uint64(5 + 15*s), B: b})
	}
	dir := t.TempDir()
	m, err := titlepkg.Create(dir, spec)
	spec.Keys.Wipe()
	d.Keys.Wipe()
	if err != nil {
		t.Fatal(err)
	}
	title := contract.Title{ID: id, Name: id, ContentHash: m.Root[:],
		Formats: []keys.FormatMetadata{{Profile: 0x41, Layers: 1, Finalize: true, HeaderSectors: 32}}}
	for _, s := range m.Segments {
		title.Segments = append(title.Segments, contract.Segment{StartSector: uint32(s.Start), Sectors: s.Sectors})
	}
	if edit != nil {
		edit(d)
	}
	if err := n.Issuer.RegisterDealtTitle(ctx, title, d); err != nil {
		return nil, err
	}
	got, err := n.App.Title(id)
	if err != nil {
		t.Fatalf("Title(%s) = %v", id, err)
	}
	return &dealt{title: got, path: filepath.Join(dir, titlepkg.FileName(id)), m: m}, nil
}

// copySigma is σ_copy for a copy label, made the way round 1 makes it: t
// nodes' partial signatures from their own vault shares, combined.
func copySigma(t *testing.T, nw *Network, label []byte, nodes ...int) custody.Signature {
	t.Helper()
	g := groupOf(t, nw.Node(0).App)
	var parts []custody.Partial
	for _, i := range nodes {
		sec, err := vault.Load(filepath.Join(nw.Homes[i], chain.FileVault), nw.opts.KEK)
		if err != nil {
			t.Fatal(err)
		}
		ks, err := custody.UnmarshalKeyShare(sec.CustodyShare)
		sec.Wipe()
		if err != nil {
			t.Fatal(err)
		}
		p, err := custody.PartialSign(ks, label)
		ks.Wipe()
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	sig, _, err := custody.Combine(g, label, parts)
	if err != nil {
		t.Fatalf("Combine() = %v", err)
	}
	return sig
}

func groupOf(t *testing.T, app *contract.App) *custody.Group {
	t.Helper()
	c, err := app.Custody()
	if err != nil {
		t.Fatal(err)
	}
	g, err := custody.UnmarshalGroup(c.Group)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// aCopy is a copy of a dealt title spent on the ledger: its label, its
// group signature (made as round 1 makes it) and its envelope info.
type aCopy struct {
	label []byte
	sigma custody.Signature
	info  keys.Info
	cw    custody.Codeword
}

// spendCopy mints a token of title to the station itself (no customer grant
// needed) and spends it for job on media through node 0.
func spendCopy(t *testing.T, ctx context.Context, nw *Network, st *station, title, token, job string) *aCopy {
	t.Helper()
	n := nw.Node(0)
	if err := n.Issuer.MintToken(ctx, token, title, st.signPub); err != nil {
		t.Fatalf("MintToken(%s) = %v", token, err)
	}
	req := &protocol.CopyRequest{ChainID: testChainID, HandshakeHash: []byte("hh"), ChallengeNonce: []byte("n"), NodeID: "n0",
		ChallengeExpiry: time.Now().Add(time.Minute).Unix(), JobID: job, TokenID: token, TitleID: title,
		Profile: 0x41, MediaID: []byte("media-" + job)}
	sig, err := protocol.Sign(rand.Reader, st.sign, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Ledger.Spend(ctx, st.signPub, req, sig); err != nil {
		t.Fatalf("Spend(%s) = %v", job, err)
	}
	for i := range nw.Len() { // every node has the spend final before it is asked
		for ctx.Err() == nil {
			if _, err := nw.Node(i).App.Copy(job); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	label, _ := custody.CopyRecord{ChainID: testChainID, TitleID: title, JobID: job, TokenID: token, StationKeyID: st.id}.Label()
	a := &aCopy{label: label, sigma: copySigma(t, nw, label, 1, 3), info: keys.Info{JobID: job, MediaID: req.MediaID, Transcript: []byte("hh")}}
	ti, _ := n.App.Title(title)
	a.cw, _ = custody.DeriveCodeword(a.sigma, len(ti.Segments))
	return a
}

// nodeRelease is node i's round-2 answer (ledger.Local.ReleaseKeys, what the
// gateway calls) for the copy, with sigma.
func nodeRelease(ctx context.Context, nw *Network, i int, st *station, a *aCopy, sigma custody.Signature) ([]byte, error) {
	r, err := nw.Node(i).Ledger.ReleaseKeys(ctx, st.id, 0, sigma[:], a.info, nil)
	if err != nil {
		return nil, err
	}
	return r.Sealed, nil
}

// TestDealtTitleRelease runs four nodes on loopback (t = 2) and the issuer's
// deal through them: each node's release for a copy, checked by the station
// against the manifest's roots and combined, opens exactly the variants the
// codeword selects; a node that returns a wrong share is named and the copy
// still gets its keys from the others; a deal that is bad for one node is
// refused by that node's CheckTx, and when it commits through another node
// that node cannot release (the issuer named) while the others can; and one
// node's complete home, its KEK and the whole ledger open nothing.
func TestDealtTitleRelease(t *testing.T) {
	// A bound against a hang, not a timing: the 1.5 MB registration of the
	// largest title took 115 s under the race detector at load 20 on 2 cores
	// (7 s without).
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	nw, err := StartNetwork(ctx, t.TempDir(), 4, Options{})
	if err != nil {
		t.Fatalf("StartNetwork(4) = %v", err)
	}
	defer nw.Close()
	d, err := dealTitle(t, ctx, nw, 0, "film-d", nil)
	if err != nil {
		t.Fatalf("RegisterDealtTitle() = %v", err)
	}
	for i := range 4 { // every node has it committed before it is asked
		waitShares(ctx, nw, i, "film-d")
	}
	st := newStation(t)
	if _, err := nw.Node(0).Operator.EnrollStation(ctx, st.signPub, st.ka.PublicKey().Bytes(), []uint16{0x41}, nil); err != nil {
		t.Fatalf("EnrollStation() = %v", err)
	}
	chainID := nw.Node(0).ChainID
	cp := spendCopy(t, ctx, nw, st, "film-d", "tok-1", "job-1")

	t.Run("t nodes' releases open the selected variants only", func(t *testing.T) {
		var sealed []ledgerclient.SealedRelease
		for _, i := range []int{2, 0} {
			b, err := nodeRelease(ctx, nw, i, st, cp, cp.sigma)
			if err != nil {
				t.Fatalf("node %d ReleaseKeys(dealt title) = %v", i, err)
			}
			sealed = append(sealed, ledgerclient.SealedRelease{Node: i, Info: cp.info, Sealed: b})
		}
		k, rejected, err := ledgerclient.CombineReleases(st.ka, chainID, d.m, 2, cp.cw, sealed)
		if err != nil || len(rejected) != 0 {
			t.Fatalf("CombineReleases() = %v, rejected %v", err, rejected)
		}
		defer k.Wipe()
		checkSelected(t, d, k, cp.cw)
	})

	t.Run("a node's wrong share is named and another node used", func(t *testing.T) {
		var sealed []ledgerclient.SealedRelease
		for _, i := range []int{1, 2, 3} {
			b, err := nodeRelease(ctx, nw, i, st, cp, cp.sigma)
			if err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				b = wrongShare(t, b, st.ka, cp.info)
			}
			sealed = append(sealed, ledgerclient.SealedRelease{Node: i, Info: cp.info, Sealed: b})
		}
		k, rejected, err := ledgerclient.CombineReleases(st.ka, chainID, d.m, 2, cp.cw, sealed)
		if err != nil {
			t.Fatalf("CombineReleases(node 1 wrong) = %v", err)
		}
		defer k.Wipe()
		if len(rejected) != 1 || rejected[0].Node != 1 || !errors.Is(rejected[0], custody.ErrBadShare) {
			t.Errorf("rejected = %v, want node 1 with ErrBadShare", rejected)
		}
		checkSelected(t, d, k, cp.cw)
	})

	t.Run("a sigma for another copy releases nothing", func(t *testing.T) {
		ol, _ := custody.CopyRecord{ChainID: chainID, TitleID: "film-d", JobID: "job-9", TokenID: "tok-1", StationKeyID: st.id}.Label()
		if _, err := nodeRelease(ctx, nw, 0, st, cp, copySigma(t, nw, ol, 0, 2)); !errors.Is(err, keyservice.ErrBadSigma) {
			t.Errorf("ReleaseKeys(σ of another copy) = %v, want ErrBadSigma", err)
		}
	})

	t.Run("a bad deal for one node", func(t *testing.T) {
		garble := func(d *custody.Dealt) { rand.Read(d.Blobs[2]) }
		_, err := dealTitle(t, ctx, nw, 2, "film-bad", garble)
		var ref *ledger.RefusalError
		if !errors.As(err, &ref) || ref.Code != contract.CodeBadDeal || !strings.Contains(ref.Log, "dealt badly to node 2") {
			t.Fatalf("register through node 2 with its blob garbled = %v, want bad-deal naming the issuer's deal to node 2", err)
		}
		bad, err := dealTitle(t, ctx, nw, 0, "film-bad", garble)
		if err != nil {
			t.Fatalf("register through node 0 = %v, want it committed (node 0's own blob is sound)", err)
		}
		waitShares(ctx, nw, 2, "film-bad")
		waitShares(ctx, nw, 3, "film-bad")
		bc := spendCopy(t, ctx, nw, st, "film-bad", "tok-bad", "job-bad")
		_, err = nodeRelease(ctx, nw, 2, st, bc, bc.sigma)
		if !errors.Is(err, custody.ErrBadDeal) || !strings.Contains(err.Error(), "issuer "+bad.title.Issuer) {
			t.Errorf("node 2 ReleaseKeys(its garbled blob) = %v, want ErrBadDeal naming issuer %s", err, bad.title.Issuer)
		}
		if _, err := nodeRelease(ctx, nw, 3, st, bc, bc.sigma); err != nil {
			t.Errorf("node 3 ReleaseKeys(sound blob) = %v, want a release", err)
		}
	})

	t.Run("the largest title registers and releases through the nodes", func(t *testing.T) {
		cd, err := nw.Node(0).Issuer.CustodyDeal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		big, err := cd.Deal("film-big", contract.MaxSegments)
		if err != nil {
			t.Fatal(err)
		}
		big.Keys.Wipe()
		ti := contract.Title{ID: "film-big", Name: "big", ContentHash: make([]byte, 32),
			Formats: []keys.FormatMetadata{{Profile: 0x41, Layers: 1, Finalize: true, HeaderSectors: 32}}}
		for s := range contract.MaxSegments {
			ti.Segments = append(ti.Segments, contract.Segment{StartSector: uint32(10 * s), Sectors: 1})
		}
		if err := nw.Node(0).Issuer.RegisterDealtTitle(ctx, ti, big); err != nil {
			t.Fatalf("RegisterDealtTitle(%d segments, 4 nodes) = %v", contract.MaxSegments, err)
		}
		waitShares(ctx, nw, 3, "film-big")
		bc := spendCopy(t, ctx, nw, st, "film-big", "tok-big", "job-big")
		b, err := nodeRelease(ctx, nw, 3, st, bc, bc.sigma)
		if err != nil {
			t.Fatalf("node 3 ReleaseKeys(film-big) = %v", err)
		}
		if want := 1 + 65 + custody.ReleaseLen(contract.MaxSegments) + 16; len(b) != want {
			t.Errorf("sealed release of %d segments = %d bytes, want %d", contract.MaxSegments, len(b), want)
		}
	})

	t.Run("one node's home, KEK and ledger open nothing", func(t *testing.T) {
		oneNodeRefused(t, nw, d, st, cp)
	})
}

// oneNodeRefused: with exactly what node 0 has (its vault opened with its
// KEK, and its whole ledger), the project's own code refuses every path to
// the title's keys and the copy's disc key: no other node's shares open
// with its custody key, its own release alone is below threshold (and a
// false threshold of 1 gives keys the package refuses), its own partial
// makes no group signature and does not pass for one, and its key service
// releases nothing but its shares (no title without a deal is released at
// all).
func oneNodeRefused(t *testing.T, nw *Network, d *dealt, st *station, cp *aCopy) {
	label, sigma, info, cw := cp.label, cp.sigma, cp.info, cp.cw
	n := nw.Node(0)
	sec, err := vault.Load(filepath.Join(nw.Homes[0], chain.FileVault), nw.opts.KEK)
	if err != nil {
		t.Fatal(err)
	}
	defer sec.Wipe()
	cu, err := keyservice.NewCustodian(sec.CustodyKey)
	if err != nil {
		t.Fatal(err)
	}
	cust, _ := n.App.Custody()
	for i := range 4 {
		blob, err := n.App.TitleShares(d.title.ID, i) // the whole ledger: every node's blob
		if err != nil {
			t.Fatal(err)
		}
		pretend := &contract.Custody{Group: cust.Group, Threshold: cust.Threshold, Nodes: append([]contract.CustodyNode(nil), cust.Nodes...)}
		pretend.Nodes[i].CustodyKey, pretend.Nodes[0].CustodyKey = cust.Nodes[0].CustodyKey, cust.Nodes[i].CustodyKey
		ts, err := cu.OpenTitle(n.ChainID, pretend, d.title, blob) // as if node 0 were node i
		if i == 0 {
			if err != nil {
				t.Fatalf("node 0 OpenTitle(own blob) = %v", err)
			}
			ts.Wipe()
			continue
		}
		if !errors.Is(err, custody.ErrBadDeal) {
			t.Errorf("node 0 OpenTitle(node %d's blob) = %v, want ErrBadDeal (it does not open)", i, err)
		}
	}
	own, err := cu.ReleaseShares(n.ChainID, cust, d.title, mustShares(t, n.App, d.title.ID, 0), label, sigma, st.ka.PublicKey(), info)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ledgerclient.CombineReleases(st.ka, n.ChainID, d.m, 2, cw, []ledgerclient.SealedRelease{{Node: 0, Info: info, Sealed: own}})
	if !errors.Is(err, custody.ErrNotEnoughShares) {
		t.Errorf("CombineReleases(node 0's release only) = %v, want ErrNotEnoughShares", err)
	}
	// Claiming the threshold is 1 does not help: the shares interpolate to
	// a key under which the manifest does not authenticate.
	if k, _, err := ledgerclient.CombineReleases(st.ka, n.ChainID, d.m, 1, cw, []ledgerclient.SealedRelease{{Node: 0, Info: info, Sealed: own}}); err == nil {
		_, err := titlepkg.Open(d.path, k)
		k.Wipe()
		if !errors.Is(err, titlepkg.ErrAuth) {
			t.Errorf("Open(keys from node 0's share alone) = %v, want ErrAuth", err)
		}
	} else if !errors.Is(err, custody.ErrThreshold) {
		t.Errorf("CombineReleases(t = 1 of 4) = %v, want ErrThreshold or keys that do not open", err)
	}
	// The copy's disc key is custody.DiscKey(σ_copy, attempt, media ID), and
	// σ_copy takes t partials: node 0's own, from its vault's share, is one
	// and combines to nothing, nor does it pass for σ at round 2.
	ks, err := custody.UnmarshalKeyShare(sec.CustodyShare)
	if err != nil {
		t.Fatal(err)
	}
	p0, err := custody.PartialSign(ks, label)
	ks.Wipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := custody.Combine(groupOf(t, n.App), label, []custody.Partial{p0}); !errors.Is(err, custody.ErrNotEnoughShares) {
		t.Errorf("Combine(node 0's partial only) = %v, want ErrNotEnoughShares: no σ_copy, so no disc key", err)
	}
	c, _ := n.App.Copy(info.JobID)
	if _, err := n.Keys.CheckSigma(c, p0.Sig[:]); !errors.Is(err, keyservice.ErrBadSigma) {
		t.Errorf("CheckSigma(node 0's partial as σ) = %v, want ErrBadSigma", err)
	}
	// The ledger holds every title record and copy record: a title's roots
	// and sealed shares, a copy's label fields. No title on it lacks a deal
	// (the contract refuses one), and none is released as keys: the node's
	// own round 2 for the copy, with the true σ, is its shares only, which
	// alone are below threshold (above).
	sta, _ := n.App.Station(st.id)
	rel, _, err := n.Keys.ReleaseShares(n.Custodian, n.App, d.title, sta, c, info, sigma, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := keys.OpenRelease(st.ka, info, rel)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) != custody.ReleaseLen(len(d.title.Segments)) {
		t.Errorf("node 0's round 2 = %d bytes, want its share release only (%d)", len(body), custody.ReleaseLen(len(d.title.Segments)))
	}
	undealt := *d.title
	undealt.ShareRoots = nil
	if _, _, err := n.Keys.ReleaseShares(n.Custodian, n.App, &undealt, sta, c, info, sigma, nil); !errors.Is(err, keyservice.ErrNotDealt) {
		t.Errorf("ReleaseShares(a title record without a deal) = %v, want ErrNotDealt", err)
	}
}

func mustTitle(t *testing.T, app *contract.App, id string) *contract.Title {
	t.Helper()
	ti, err := app.Title(id)
	if err != nil {
		t.Fatal(err)
	}
	return ti
}

func mustShares(t *testing.T, app *contract.App, id string, i int) []byte {
	t.Helper()
	b, err := app.TitleShares(id, i)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wrongShare is a misbehaving node: its release with one share altered,
// sealed again to the station.
func wrongShare(t *testing.T, sealed []byte, st *ecdh.PrivateKey, info keys.Info) []byte {
	t.Helper()
	body, err := keys.OpenRelease(st, info, sealed)
	if err != nil {
		t.Fatal(err)
	}
	r, err := custody.UnmarshalRelease(body)
	if err != nil {
		t.Fatal(err)
	}
	r.Selected[1][31] ^= 1
	body, _ = r.MarshalBinary()
	out, err := keys.SealRelease(st.PublicKey(), info, body)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkSelected opens the package with the combined keys: the base image
// and the selected variant of every segment read; the other variant is
// ErrNoKey.
func checkSelected(t *testing.T, d *dealt, k *titlepkg.Keys, cw custody.Codeword) {
	t.Helper()
	p, err := titlepkg.Open(d.path, k)
	if err != nil {
		t.Fatalf("titlepkg.Open(combined keys) = %v", err)
	}
	defer p.Close()
	buf := make([]byte, p.ChunkBufSize())
	for i := range d.m.ChunkCount {
		_, _, err := p.ReadChunk(i, buf)
		r := p.Region(i)
		selected := r == titlepkg.BaseRegion
		if !selected {
			s, v := r.Segment()
			selected = v == cw.Bit(s)
		}
		if selected && err != nil {
			t.Errorf("ReadChunk(%d) = %v, want it to open", i, err)
		}
		if !selected && !errors.Is(err, titlepkg.ErrNoKey) {
			t.Errorf("ReadChunk(%d, unselected variant) = %v, want ErrNoKey", i, err)
		}
	}
}

// waitShares waits until node i has committed its shares of a title.
func waitShares(ctx context.Context, nw *Network, i int, id string) {
	for ctx.Err() == nil {
		if _, err := nw.Node(i).App.TitleShares(id, i); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
