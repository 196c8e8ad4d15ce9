package spoilwatch

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"copystation/protocol"
	"copystation/validatord/contract"
	"copystation/validatord/embedded"
	"copystation/validatord/ledger/ledgertest"
)

func TestRule(t *testing.T) {
	const p = 100 // the current period
	tests := []struct {
		name string
		sc   contract.SpoilCount
		want bool
	}{
		{"no reports", contract.SpoilCount{}, false},
		{"new station, all spoiled, small sample", contract.SpoilCount{Period: p, Count: 3, Total: 3}, false},
		{"new station, 4 of 5 spoiled", contract.SpoilCount{Period: p, Count: 4, PeriodMade: 1, Total: 4, Made: 1}, true},
		{"new station, 1 of 10 spoiled", contract.SpoilCount{Period: p, Count: 1, PeriodMade: 9, Total: 1, Made: 9}, false},
		{"history 10%, period 20%", contract.SpoilCount{Period: p, Count: 2, PeriodMade: 8, Total: 12, Made: 98}, false},
		{"history 10%, period 50%", contract.SpoilCount{Period: p, Count: 5, PeriodMade: 5, Total: 15, Made: 95}, true},
		{"history 40%, period 50%", contract.SpoilCount{Period: p, Count: 5, PeriodMade: 5, Total: 45, Made: 65}, false},
		{"high counts from a past period", contract.SpoilCount{Period: p - 1, Count: 9, PeriodMade: 1, Total: 9, Made: 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultRule.Alert(tc.sc, p); got != tc.want {
				now, hist, n := DefaultRule.Rates(tc.sc, p)
				t.Errorf("Alert(%+v) = %v, want %v (rate %.2f over %d, history %.2f)", tc.sc, got, tc.want, now, n, hist)
			}
		})
	}
}

// TestCollectorOnNode runs spends and reports through a real node and
// scrapes the collector over its committed state: a station that reports
// four of five discs spoiled raises the alert, with its tally and limit.
func TestCollectorOnNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	n, err := embedded.Start(ctx, t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatalf("embedded.Start() = %v", err)
	}
	defer n.Stop()
	if _, err := ledgertest.DealTitle(ctx, n.Issuer, t.TempDir(), "film-1", 1); err != nil {
		t.Fatal(err)
	}
	st, err := ledgertest.EnrollStation(ctx, n.Operator)
	if err != nil {
		t.Fatal(err)
	}
	key, pub, id := st.Key, st.Pub, st.ID
	if _, err := n.Operator.Do(ctx, "set spoil limit", contract.TxSetSpoilLimit, contract.SetSpoilLimitBody{Station: id, Limit: 2}); err != nil {
		t.Fatal(err)
	}
	chainID, _ := n.Ledger.ChainID(ctx)
	for i := range 5 {
		tok, job, media := fmt.Sprintf("tok-%d", i), fmt.Sprintf("job-%d", i), []byte(fmt.Sprintf("m-%d", i))
		if err := n.Issuer.MintToken(ctx, tok, "film-1", pub); err != nil {
			t.Fatal(err)
		}
		req := &protocol.CopyRequest{ChainID: chainID, HandshakeHash: []byte("hh"), ChallengeNonce: []byte("n"), NodeID: "n0",
			ChallengeExpiry: time.Now().Add(time.Minute).Unix(), JobID: job, TokenID: tok, TitleID: "film-1", Profile: 0x41, MediaID: media}
		sig, _ := protocol.Sign(rand.Reader, key, req)
		if _, err := n.Ledger.Spend(ctx, pub, req, sig); err != nil {
			t.Fatalf("Spend(%s) = %v", job, err)
		}
		rep := &protocol.CopyReport{ChainID: chainID, HandshakeHash: []byte("hh"), JobID: job, MediaID: media, Outcome: protocol.OutcomeSpoiled}
		if i == 4 {
			rep.Outcome, rep.DiscDigest = protocol.OutcomeMade, make([]byte, 32)
		}
		rsig, _ := protocol.Sign(rand.Reader, key, rep)
		if _, err := n.Ledger.Report(ctx, pub, rep, rsig); err != nil {
			t.Fatalf("Report(%s) = %v", job, err)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(New(n.Ledger.Node().App, nil, DefaultRule))
	got := gather(t, reg, id)
	want := map[string]float64{
		"copystation_station_spoiled_total":  4,
		"copystation_station_made_total":     1,
		"copystation_station_spoiled_period": 4,
		"copystation_station_spoil_limit":    2,
		"copystation_station_spoil_alert":    1,
		"copystation_spoilwatch_error":       0,
	}
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("%s{station=%s} = %v (present %v), want %v", name, id, g, ok, v)
		}
	}
}

// gather scrapes reg and returns each metric's value for the station (or
// with no station label).
func gather(t *testing.T, reg *prometheus.Registry, station string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather() = %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			ok := len(m.GetLabel()) == 0
			for _, l := range m.GetLabel() {
				ok = ok || (l.GetName() == "station" && l.GetValue() == station && len(m.GetLabel()) == 1)
			}
			if !ok {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				out[mf.GetName()] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[mf.GetName()] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}
