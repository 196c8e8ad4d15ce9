package daemon

import (
	"context"
	"net"
	"testing"

	"copystation/stationd/config"
)

// TestStatusSaysWhichNodesAnswer: with one configured node listening and
// one not, the daemon is ready (it serves and takes jobs) and its status
// says, node by node, which is reachable.
func TestStatusSaysWhichNodesAnswer(t *testing.T) {
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	down, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downAddr := down.Addr().String()
	down.Close() // nothing listens here any more
	cfg := testConfig(t)
	cfg.Nodes = []config.Node{{Address: up.Addr().String()}, {Address: downAddr}}
	s := start(t, cfg, 1, nil)
	ctx := context.Background()
	waitFor(t, "both nodes checked", func() bool {
		st, err := s.client.Status(ctx)
		return err == nil && len(st.Nodes) == 2 && !st.Nodes[0].Checked.IsZero() && !st.Nodes[1].Checked.IsZero()
	})
	st, _ := s.client.Status(ctx)
	if !st.Ready || st.NodesReachable != 1 {
		t.Fatalf("status = ready %v, %d nodes reachable; want ready, 1", st.Ready, st.NodesReachable)
	}
	if !st.Nodes[0].Reachable || st.Nodes[1].Reachable || st.Nodes[1].Error == "" || st.Nodes[1].Address != downAddr {
		t.Errorf("nodes = %+v, want the first reachable, the second not, with its error", st.Nodes)
	}
	if line := s.d.statusLine(); line != "0 of 1 drives burning; 1 of 2 validation nodes reachable" {
		t.Errorf("STATUS line = %q", line)
	}
}
