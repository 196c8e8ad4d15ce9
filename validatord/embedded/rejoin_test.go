package embedded

import (
	"context"
	"testing"
	"time"
)

// TestRestartedNodeRejoinsAtOnce stops and restarts one node of four in the
// same process, again and again, and wants it linked to all three peers
// within seconds each time. Its peers redial it the moment its links drop,
// while it stops; CometBFT v1.0.1's switch, once stopped, still takes a
// connection its transport accepted and leaves it open without starting it
// (p2p/switch.go, addPeer), so a peer that got one held a link to the
// stopped node and refused the restarted node as a duplicate until its
// pings timed out, a minute or more. A node in block sync with no peer
// cannot catch up; one whose transactions reach a single peer depends on
// that peer to relay them.
func TestRestartedNodeRejoinsAtOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nw, err := StartNetwork(ctx, t.TempDir(), 4, Options{})
	if err != nil {
		t.Fatalf("StartNetwork() = %v", err)
	}
	defer nw.Close()
	linked := func() bool {
		for i := range nw.Len() {
			if nw.Node(i).Comet.Switch().Peers().Size() != nw.Len()-1 {
				return false
			}
		}
		return true
	}
	for round := range 5 {
		if err := nw.Stop(3); err != nil {
			t.Fatal(err)
		}
		if err := nw.Restart(ctx, 3); err != nil {
			t.Fatalf("round %d: Restart(3) = %v", round, err)
		}
		for deadline := time.Now().Add(8 * time.Second); !linked(); {
			if time.Now().After(deadline) {
				var peers []int
				for i := range nw.Len() {
					peers = append(peers, nw.Node(i).Comet.Switch().Peers().Size())
				}
				t.Fatalf("round %d: 8 s after node 3 restarted, the nodes have %v peers, want 3 each", round, peers)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
