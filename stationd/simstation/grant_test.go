package simstation

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"copystation/protocol"
	"copystation/stationd/api"
	"copystation/stationd/config"
	"copystation/stationd/job"
)

// TestKioskCustomerGrant burns a token a customer owns, authorised by the
// customer's signed grant (what a kiosk scans), and checks the refusals a
// person sees without it or with a grant for another station.
func TestKioskCustomerGrant(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	nw, keys := enrolledStation(ctx, t, dir, 1<<20, 7)
	customer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cpub, _ := customer.PublicKey.Bytes()
	for _, tok := range []string{"cust-1", "cust-2", "cust-3"} {
		if err := nw.Mint(ctx, tok, "film", cpub); err != nil {
			t.Fatal(err)
		}
	}
	grant := func(token, station string) []byte {
		g := &protocol.SignedGrant{Grant: protocol.CustomerGrant{ChainID: "copystation-local", TokenID: token, StationID: station, TitleID: "film",
			Expiry: time.Now().Add(10 * time.Minute).Unix()}}
		var err error
		g.Signature, err = protocol.Sign(rand.Reader, customer, &g.Grant)
		if err != nil {
			t.Fatal(err)
		}
		return g.Encode()
	}
	st, err := Start(ctx, keys, Options{Dir: dir + "/station", Nodes: []config.Node{nw.Pin()}, Group: nw.Group(), Players: mustPlayers(t, nw)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Stop()
	tests := []struct {
		name     string
		req      api.BurnRequest
		want     job.State
		wantCode string
	}{
		{"customer's grant", api.BurnRequest{TitleID: "film", TokenID: "cust-1", Grant: grant("cust-1", keys.ID)}, job.Done, ""},
		{"no grant", api.BurnRequest{TitleID: "film", TokenID: "cust-2"}, job.Failed, "not_owner"},
		{"grant for another station", api.BurnRequest{TitleID: "film", TokenID: "cust-3", Grant: grant("cust-3", "0123456789abcdef0123456789abcdef")}, job.Failed, "grant_mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := st.Client.Burn(ctx, tt.req)
			if err != nil {
				t.Fatalf("Burn = %v", err)
			}
			got := waitJob(t, st.Client, j.ID, time.Minute)
			if got.State != tt.want || (tt.wantCode != "" && got.Code != tt.wantCode) {
				t.Errorf("job = %s code %q (%s), want %s %q", got.State, got.Code, got.Reason, tt.want, tt.wantCode)
			}
		})
	}
}
