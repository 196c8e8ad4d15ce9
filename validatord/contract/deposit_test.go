package contract

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
)

// TestDepositedRegistrationRefused: a title registered the way the
// removed deposit did it (its package key sealed to a network key, no
// dealt shares) is refused with a message that says how a title is
// registered now, and nothing is stored.
func TestDepositedRegistrationRefused(t *testing.T) {
	w := newDealWorld(t)
	var body map[string]any
	js, _ := json.Marshal(RegisterTitleBody{Title: testTitle("film-d")})
	if err := json.Unmarshal(js, &body); err != nil {
		t.Fatal(err)
	}
	body["title"].(map[string]any)["sealed_package_key"] = []byte("a package key sealed to the network")
	r := w.one(w.gov(w.issuer, TxRegisterTitle, body))
	if Code(r.Code) != CodeBadField || !strings.Contains(r.Log, "no dealt shares") || !strings.Contains(r.Log, "title register") {
		t.Fatalf("register(deposited) = %d %q, want %d saying the title has no dealt shares and how to register it", r.Code, r.Log, CodeBadField)
	}
	if _, err := w.app.Title("film-d"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Title(film-d) after the refusal = %v, want ErrNotFound", err)
	}
}

// TestGenesisWithDepositKeyRefused: a genesis made for nodes that held the
// network deposit key is refused (ErrDepositGenesis), not read without it.
func TestGenesisWithDepositKeyRefused(t *testing.T) {
	op := newParty(t)
	g, _ := json.Marshal(Genesis{Params: Params{MaxRetries: 2}, Operators: [][]byte{op.pub}})
	var m map[string]any
	json.Unmarshal(g, &m)
	m["params"].(map[string]any)["deposit_key"] = []byte{4, 1, 2, 3}
	old, _ := json.Marshal(m)
	for _, tc := range []struct {
		name  string
		state []byte
		want  error
	}{{"with a deposit key", old, ErrDepositGenesis}, {"without", g, nil}} {
		app, err := New(dbm.NewMemDB(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, InitialHeight: 1, AppStateBytes: tc.state})
		if !errors.Is(err, tc.want) || (tc.want != nil && !strings.Contains(err.Error(), "genesis ceremony")) {
			t.Errorf("InitChain(genesis %s) = %v, want %v", tc.name, err, tc.want)
		}
	}
}
