package validatord

import (
	"testing"
	"time"

	"copystation/validatord/chain"
	"copystation/validatord/ledger"
)

// TestGatherWindow: the gateway's ledger gathers for node.json's gather_ms,
// the default when it is absent, and not at all for 0.
func TestGatherWindow(t *testing.T) {
	ms := func(v int64) *int64 { return &v }
	for _, c := range []struct {
		nc   *chain.NodeConfig
		want time.Duration
	}{
		{&chain.NodeConfig{}, ledger.DefaultGatherWindow},
		{&chain.NodeConfig{GatherMS: ms(0)}, 0},
		{&chain.NodeConfig{GatherMS: ms(25)}, 25 * time.Millisecond},
	} {
		if got := gatherWindow(c.nc); got != c.want {
			t.Errorf("gatherWindow(gather_ms %v) = %v, want %v", c.nc.GatherMS, got, c.want)
		}
	}
}
