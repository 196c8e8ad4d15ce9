package daemon

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"copystation/stationd/api"
)

// READY=1 means the daemon serves its API and takes jobs (a job waits, and
// says so, while no validation node answers). Whether a node answers is
// shown apart, in the status, the systemd STATUS= line and the metrics:
// each configured node is tried every reachInterval (reachRetry while none
// answers, so the status catches up soon after one comes back) by opening
// a TCP connection to it, the cheapest test that does not load the node's
// Noise gateway. The jobs do not wait for the probe: each held job asks
// the ledger again every Deps.Retry.
const (
	reachInterval = 15 * time.Second
	reachRetry    = 2 * time.Second
	reachTimeout  = 3 * time.Second
)

// reach keeps the last reachability of each configured node.
type reach struct {
	mu    sync.Mutex
	nodes []api.NodeStatus
}

// probeNodes tries every node until ctx ends, first at once.
func (d *Daemon) probeNodes(ctx context.Context) {
	if len(d.cfg.Nodes) == 0 {
		return
	}
	for {
		d.probeOnce(ctx)
		d.notifier.Status(d.statusLine())
		wait := reachInterval
		if _, up := d.nodeStatus(); up == 0 {
			wait = reachRetry
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// probeOnce tries every node, in parallel, and records what it saw.
func (d *Daemon) probeOnce(ctx context.Context) {
	out := make([]api.NodeStatus, len(d.cfg.Nodes))
	var wg sync.WaitGroup
	for i, n := range d.cfg.Nodes {
		wg.Go(func() {
			dctx, cancel := context.WithTimeout(ctx, reachTimeout)
			defer cancel()
			var dl net.Dialer
			c, err := dl.DialContext(dctx, "tcp", n.Address)
			out[i] = api.NodeStatus{Address: n.Address, Checked: d.now(), Reachable: err == nil}
			if err != nil {
				out[i].Error = err.Error()
				return
			}
			c.Close()
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return // stopping: a cut-short probe says nothing
	}
	d.reach.mu.Lock()
	d.reach.nodes = out
	d.reach.mu.Unlock()
	up := 0
	for _, n := range out {
		v := 0.0
		if n.Reachable {
			v, up = 1, up+1
		}
		d.metrics.NodeReachable.WithLabelValues(n.Address).Set(v)
	}
	d.metrics.NodesReachable.Set(float64(up))
}

// nodeStatus returns the configured nodes as last seen (unchecked ones
// with a zero Checked) and how many were reachable.
func (d *Daemon) nodeStatus() ([]api.NodeStatus, int) {
	d.reach.mu.Lock()
	defer d.reach.mu.Unlock()
	out := make([]api.NodeStatus, len(d.cfg.Nodes))
	up := 0
	for i, n := range d.cfg.Nodes {
		out[i] = api.NodeStatus{Address: n.Address}
		if i < len(d.reach.nodes) {
			out[i] = d.reach.nodes[i]
		}
		if out[i].Reachable {
			up++
		}
	}
	return out, up
}

// reachLine is the nodes' part of the systemd STATUS= line.
func (d *Daemon) reachLine() string {
	nodes, up := d.nodeStatus()
	if len(nodes) == 0 {
		return ""
	}
	return fmt.Sprintf("; %d of %d validation nodes reachable", up, len(nodes))
}
