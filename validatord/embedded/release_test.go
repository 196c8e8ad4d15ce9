package embedded

import (
	"context"
	"testing"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/keys"
	"copystation/ledgerclient"
)

// releaseFrom runs both release rounds against real nodes as a station
// does: round 1 at each of nodes in turn until the group's threshold of
// partials verify, combined into the copy's group signature, then round 2
// at nodes in turn until the threshold of share releases, combined against
// the title's manifest m. The disc key, which no node sends, is derived
// from sigma.
func releaseFrom(t *testing.T, ctx context.Context, nodes []*Node, st *station, info keys.Info, m *titlepkg.Manifest) *keys.CopyKeys {
	t.Helper()
	cust, err := nodes[0].App.Custody()
	if err != nil {
		t.Fatal(err)
	}
	g, err := custody.UnmarshalGroup(cust.Group)
	if err != nil {
		t.Fatal(err)
	}
	c, err := nodes[0].Ledger.Copy(ctx, info.JobID)
	if err != nil {
		t.Fatal(err)
	}
	label, err := nodes[0].Keys.Label(c)
	if err != nil {
		t.Fatal(err)
	}
	var ps []custody.Partial
	for _, n := range nodes {
		rel, err := n.Ledger.ReleasePartial(ctx, st.id, info)
		if err != nil {
			t.Fatalf("ReleasePartial() via %s = %v", n.Config.Moniker, err)
		}
		pb, _, err := keys.OpenPartial(st.ka, info, rel.Sealed)
		if err != nil {
			t.Fatalf("keys.OpenPartial() = %v", err)
		}
		p, err := custody.UnmarshalPartial(pb)
		if err != nil {
			t.Fatal(err)
		}
		if ps = append(ps, p); len(ps) == g.T() {
			break
		}
	}
	sig, _, err := custody.Combine(g, label, ps)
	if err != nil {
		t.Fatalf("custody.Combine() = %v", err)
	}
	attempt := uint32(c.Retries())
	cw, err := custody.DeriveCodeword(sig, len(m.Segments))
	if err != nil {
		t.Fatal(err)
	}
	var (
		sealed []ledgerclient.SealedRelease
		format keys.FormatMetadata
	)
	for _, n := range nodes {
		rel, err := n.Ledger.ReleaseKeys(ctx, st.id, attempt, sig[:], info, nil)
		if err != nil {
			t.Fatalf("ReleaseKeys() via %s = %v", n.Config.Moniker, err)
		}
		i, err := n.Custodian.Index(cust)
		if err != nil {
			t.Fatal(err)
		}
		sealed, format = append(sealed, ledgerclient.SealedRelease{Node: i, Info: info, Sealed: rel.Sealed}), rel.Format
		if len(sealed) == g.T() {
			break
		}
	}
	tk, rejected, err := ledgerclient.CombineReleases(st.ka, nodes[0].ChainID, m, g.T(), cw, sealed)
	if err != nil || len(rejected) != 0 {
		t.Fatalf("CombineReleases() = %v, rejected %v", err, rejected)
	}
	k := &keys.CopyKeys{BaseKey: tk.Base, Codeword: cw.Bytes(), Format: format}
	for s, v := range tk.Variants {
		k.VariantKeys = append(k.VariantKeys, v[cw.Bit(s)])
	}
	dk, err := custody.DiscKey(sig, attempt, info.MediaID)
	if err != nil {
		t.Fatal(err)
	}
	k.DiscKey = dk[:]
	return k
}
