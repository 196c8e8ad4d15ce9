package embedded

import (
	"context"
	"testing"

	"copystation/custody"
	"copystation/keys"
)

// releaseFrom runs both release rounds against real nodes as a station
// does: round 1 at each of nodes in turn until the group's threshold of
// partials verify, combined into the copy's group signature, then round 2
// at nodes[0]. The disc key, which no node sends, is derived from sigma.
func releaseFrom(t *testing.T, ctx context.Context, nodes []*Node, st *station, info keys.Info) *keys.CopyKeys {
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
	rel, err := nodes[0].Ledger.ReleaseKeys(ctx, st.id, attempt, sig[:], info, nil)
	if err != nil {
		t.Fatalf("ReleaseKeys() via %s = %v", nodes[0].Config.Moniker, err)
	}
	k, err := keys.Open(st.ka, info, rel.Sealed)
	if err != nil {
		t.Fatalf("keys.Open() = %v", err)
	}
	dk, err := custody.DiscKey(sig, attempt, info.MediaID)
	if err != nil {
		t.Fatal(err)
	}
	k.DiscKey = dk[:]
	return k
}
