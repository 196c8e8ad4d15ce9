package embedded

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// heights is each running node's block store height.
func heights(nw *Network) []int64 {
	out := make([]int64, nw.Len())
	for i := range out {
		out[i] = nw.Node(i).Comet.BlockStore().Height()
	}
	return out
}

// blocksIn is the most blocks any node stored during the window.
func blocksIn(nw *Network, window time.Duration) int64 {
	before := heights(nw)
	time.Sleep(window)
	var most int64
	for i, h := range heights(nw) {
		most = max(most, h-before[i])
	}
	return most
}

// firstTxBlockTime is the time of node 0's first block above height from
// that holds transactions.
func firstTxBlockTime(t *testing.T, nw *Network, from int64) time.Time {
	t.Helper()
	bs := nw.Node(0).Comet.BlockStore()
	for h := from + 1; h <= bs.Height(); h++ {
		if b, _ := bs.LoadBlock(h); b != nil && len(b.Txs) > 0 {
			return b.Time
		}
	}
	t.Fatalf("no block with transactions above %d", from)
	return time.Time{}
}

// TestIdleNetworkMakesNoBlocks: an idle network, one node or four, makes
// no blocks beyond the one proof block CometBFT needs after a block that
// changed the state; a transaction costs its block and one proof block,
// then the network is idle again. The bound is a count, not a time: before
// the app hash stopped moving at every height, an idle node made a block
// every commit timeout (about 9 a second).
func TestIdleNetworkMakesNoBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts CometBFT nodes")
	}
	const window, most = 3 * time.Second, 2
	for _, n := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d nodes", n), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			nw, err := StartNetwork(ctx, t.TempDir(), n, Options{})
			if err != nil {
				t.Fatalf("StartNetwork(%d) = %v", n, err)
			}
			defer nw.Close()
			got := blocksIn(nw, window)
			t.Logf("idle after start: %d blocks in %v", got, window)
			if got > most {
				t.Errorf("idle after start: %d blocks in %v, want at most %d", got, window, most)
			}
			before, from := time.Now(), nw.Node(0).Comet.BlockStore().Height()
			setup(t, ctx, nw.Node(0), newStation(t)) // two transactions that write
			// The first block after the idle spell must carry the time it
			// was made: challenge and grant expiry are checked against
			// block time. (With BFT time it is the median of the last
			// commit's votes, as old as the idle spell.)
			if bt := firstTxBlockTime(t, nw, from); bt.Before(before.Add(-time.Second)) {
				t.Errorf("first block after %v idle has time %v, %v before its transaction was sent; want the time it was made",
					window, bt.Format(time.RFC3339Nano), before.Sub(bt))
			}
			got = blocksIn(nw, window)
			t.Logf("idle after a transaction: %d blocks in %v", got, window)
			if got > most {
				t.Errorf("idle after a transaction: %d blocks in %v, want at most %d", got, window, most)
			}
		})
	}
}

// BenchmarkIdleBlocks reports the blocks an idle network makes in 10 s
// after start, one node and four (run with -benchtime=1x).
func BenchmarkIdleBlocks(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			nw, err := StartNetwork(ctx, b.TempDir(), n, Options{})
			if err != nil {
				b.Fatalf("StartNetwork(%d) = %v", n, err)
			}
			defer nw.Close()
			b.ResetTimer()
			var blocks int64
			for range b.N {
				blocks = blocksIn(nw, 10*time.Second)
			}
			b.ReportMetric(float64(blocks), "blocks/10s")
		})
	}
}
