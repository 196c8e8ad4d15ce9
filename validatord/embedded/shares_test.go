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

// release is node i's round-2 answer, from its own ledger and custodian.
func nodeRelease(nw *Network, i int, d *dealt, label []byte, sigma custody.Signature, st *ecdh.PrivateKey, info keys.Info) ([]byte, error) {
	n := nw.Node(i)
	cust, err := n.App.Custody()
	if err != nil {
		return nil, err
	}
	blob, err := n.App.TitleShares(d.title.ID, i)
	if err != nil {
		return nil, err
	}
	return n.Custodian.ReleaseShares(n.ChainID, cust, d.title, blob, label, sigma, st.PublicKey(), info)
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
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
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
	st, _ := ecdh.P256().GenerateKey(rand.Reader)
	chainID := nw.Node(0).ChainID
	rec := custody.CopyRecord{ChainID: chainID, TitleID: "film-d", JobID: "job-1", TokenID: "tok-1", StationKeyID: "station-1"}
	label, _ := rec.Label()
	sigma := copySigma(t, nw, label, 1, 3)
	cw, _ := custody.DeriveCodeword(sigma, dealtSegments)
	info := keys.Info{JobID: "job-1", MediaID: []byte("media-1"), Transcript: []byte("hh")}

	t.Run("t nodes' releases open the selected variants only", func(t *testing.T) {
		var sealed []ledgerclient.SealedRelease
		for _, i := range []int{2, 0} {
			b, err := nodeRelease(nw, i, d, label, sigma, st, info)
			if err != nil {
				t.Fatalf("node %d ReleaseShares() = %v", i, err)
			}
			sealed = append(sealed, ledgerclient.SealedRelease{Node: i, Sealed: b})
		}
		k, rejected, err := ledgerclient.CombineReleases(st, info, chainID, d.m, 2, cw, sealed)
		if err != nil || len(rejected) != 0 {
			t.Fatalf("CombineReleases() = %v, rejected %v", err, rejected)
		}
		defer k.Wipe()
		checkSelected(t, d, k, cw)
	})

	t.Run("a node's wrong share is named and another node used", func(t *testing.T) {
		var sealed []ledgerclient.SealedRelease
		for _, i := range []int{1, 2, 3} {
			b, err := nodeRelease(nw, i, d, label, sigma, st, info)
			if err != nil {
				t.Fatal(err)
			}
			if i == 1 {
				b = wrongShare(t, b, st, info)
			}
			sealed = append(sealed, ledgerclient.SealedRelease{Node: i, Sealed: b})
		}
		k, rejected, err := ledgerclient.CombineReleases(st, info, chainID, d.m, 2, cw, sealed)
		if err != nil {
			t.Fatalf("CombineReleases(node 1 wrong) = %v", err)
		}
		defer k.Wipe()
		if len(rejected) != 1 || rejected[0].Node != 1 || !errors.Is(rejected[0], custody.ErrBadShare) {
			t.Errorf("rejected = %v, want node 1 with ErrBadShare", rejected)
		}
		checkSelected(t, d, k, cw)
	})

	t.Run("a sigma for another label releases nothing", func(t *testing.T) {
		other := rec
		other.JobID = "job-2"
		ol, _ := other.Label()
		if _, err := nodeRelease(nw, 0, d, label, copySigma(t, nw, ol, 0, 2), st, info); !errors.Is(err, custody.ErrBadSignature) {
			t.Errorf("ReleaseShares(σ of another copy) = %v, want ErrBadSignature", err)
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
		_, err = nodeRelease(nw, 2, bad, label, sigma, st, info)
		if !errors.Is(err, custody.ErrBadDeal) || !strings.Contains(err.Error(), "issuer "+bad.title.Issuer) {
			t.Errorf("node 2 ReleaseShares(its garbled blob) = %v, want ErrBadDeal naming issuer %s", err, bad.title.Issuer)
		}
		if _, err := nodeRelease(nw, 3, bad, label, sigma, st, info); err != nil {
			t.Errorf("node 3 ReleaseShares(sound blob) = %v, want a release", err)
		}
	})

	t.Run("the largest title registers through the nodes", func(t *testing.T) {
		cd, err := nw.Node(1).Issuer.CustodyDeal(ctx)
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
		if err := nw.Node(1).Issuer.RegisterDealtTitle(ctx, ti, big); err != nil {
			t.Fatalf("RegisterDealtTitle(%d segments, 4 nodes) = %v", contract.MaxSegments, err)
		}
		waitShares(ctx, nw, 3, "film-big")
		if _, err := nodeRelease(nw, 3, &dealt{title: mustTitle(t, nw.Node(3).App, "film-big")}, label, sigma, st, info); err != nil {
			t.Errorf("node 3 ReleaseShares(film-big) = %v", err)
		}
	})

	t.Run("one node's home, KEK and ledger open nothing", func(t *testing.T) {
		oneNodeRefused(t, nw, d, label, sigma, st, info, cw)
	})
}

// oneNodeRefused: with exactly what node 0 has (its vault opened with its
// KEK, and its whole ledger), the project's own code refuses every path to
// the title's keys: no other node's shares open with its custody key, its
// own release alone is below threshold, and the deposit path has nothing
// for a dealt title.
func oneNodeRefused(t *testing.T, nw *Network, d *dealt, label []byte, sigma custody.Signature, st *ecdh.PrivateKey, info keys.Info, cw custody.Codeword) {
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
	own, err := cu.ReleaseShares(n.ChainID, cust, d.title, mustShares(t, n.App, d.title.ID, 0), label, sigma, st.PublicKey(), info)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ledgerclient.CombineReleases(st, info, n.ChainID, d.m, 2, cw, []ledgerclient.SealedRelease{{Node: 0, Sealed: own}})
	if !errors.Is(err, custody.ErrNotEnoughShares) {
		t.Errorf("CombineReleases(node 0's release only) = %v, want ErrNotEnoughShares", err)
	}
	// Claiming the threshold is 1 does not help: the shares interpolate to
	// a key under which the manifest does not authenticate.
	if k, _, err := ledgerclient.CombineReleases(st, info, n.ChainID, d.m, 1, cw, []ledgerclient.SealedRelease{{Node: 0, Sealed: own}}); err == nil {
		_, err := titlepkg.Open(d.path, k)
		k.Wipe()
		if !errors.Is(err, titlepkg.ErrAuth) {
			t.Errorf("Open(keys from node 0's share alone) = %v, want ErrAuth", err)
		}
	} else if !errors.Is(err, custody.ErrThreshold) {
		t.Errorf("CombineReleases(t = 1 of 4) = %v, want ErrThreshold or keys that do not open", err)
	}
	c := &contract.Copy{JobID: "job-1", Title: d.title.ID, Profile: 0x41,
		Attempts: []contract.Attempt{{MediaID: info.MediaID, Outcome: contract.OutcomePending}}}
	if _, err := n.Keys.CopyKeys(d.title, c, info.MediaID); !errors.Is(err, keyservice.ErrPackageKey) {
		t.Errorf("deposit path CopyKeys(dealt title) = %v, want ErrPackageKey", err)
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
