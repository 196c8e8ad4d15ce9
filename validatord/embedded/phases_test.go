package embedded

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"
)

// The consensus steps a height goes through on each node, in order, as
// CometBFT's NewRoundStep events name them. The time between two steps is
// one phase of the height:
//
//	pause:     NewHeight → Propose   (timeout_commit, then the new round)
//	propose:   Propose → Prevote     (the whole proposal received and checked)
//	prevote:   Prevote → Precommit   (+2/3 prevotes collected)
//	precommit: Precommit → Commit    (+2/3 precommits collected: decided)
//	apply:     Commit → NewHeight    (FinalizeBlock, the stores, Commit)
var heightSteps = []string{"RoundStepNewHeight", "RoundStepPropose", "RoundStepPrevote", "RoundStepPrecommit", "RoundStepCommit"}

var phaseNames = []string{"pause", "propose", "prevote", "precommit", "apply"}

// stepTimeline records, for every node, when each height first entered
// each step of heightSteps.
type stepTimeline struct {
	mu   sync.Mutex
	at   map[stepKey]time.Time
	subs []types.Subscription
	done chan struct{}
	wg   sync.WaitGroup
}

type stepKey struct {
	node   int
	height int64
	step   string
}

// watchSteps subscribes to every node's round steps. The subscriptions are
// buffered, so a slow reader never holds up consensus; a subscription that
// overflows is cancelled and its node's phases are then missing, not wrong.
func watchSteps(ctx context.Context, ns []*Node) (*stepTimeline, error) {
	st := &stepTimeline{at: map[stepKey]time.Time{}, done: make(chan struct{})}
	for i, n := range ns {
		sub, err := n.Comet.EventBus().Subscribe(ctx, fmt.Sprintf("bench-steps-%d", i), types.EventQueryNewRoundStep, 1<<14)
		if err != nil {
			st.stop(ns)
			return nil, err
		}
		st.subs = append(st.subs, sub)
		st.wg.Add(1)
		go func() {
			defer st.wg.Done()
			for {
				select {
				case msg := <-sub.Out():
					rs, ok := msg.Data().(types.EventDataRoundState)
					if !ok {
						continue
					}
					now := time.Now()
					k := stepKey{i, rs.Height, rs.Step}
					st.mu.Lock()
					if _, seen := st.at[k]; !seen {
						st.at[k] = now
					}
					st.mu.Unlock()
				case <-sub.Canceled():
					return
				case <-st.done:
					return
				}
			}
		}()
	}
	return st, nil
}

func (st *stepTimeline) stop(ns []*Node) {
	close(st.done)
	st.wg.Wait()
	for i := range st.subs {
		_ = ns[i].Comet.EventBus().UnsubscribeAll(context.Background(), fmt.Sprintf("bench-steps-%d", i))
	}
}

// phases returns, for each phase of phaseNames, its durations over every
// node and every height in (from, to], sorted. A height's apply phase ends
// at the next height's NewHeight step.
func (st *stepTimeline) phases(nodes int, from, to int64) [][]time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([][]time.Duration, len(phaseNames))
	for n := range nodes {
		for h := from + 1; h <= to; h++ {
			for p := range phaseNames {
				a, ok1 := st.at[stepKey{n, h, heightSteps[p]}]
				var b time.Time
				var ok2 bool
				if p+1 < len(heightSteps) {
					b, ok2 = st.at[stepKey{n, h, heightSteps[p+1]}]
				} else {
					b, ok2 = st.at[stepKey{n, h + 1, heightSteps[0]}]
				}
				if ok1 && ok2 && !b.Before(a) {
					out[p] = append(out[p], b.Sub(a))
				}
			}
		}
	}
	for _, d := range out {
		slices.Sort(d)
	}
	return out
}

// commitGaps are the sorted intervals between one node's consecutive
// commits after height h0: a node enters height h+1 (NewHeight) as soon as
// it has committed h.
func (st *stepTimeline) commitGaps(node int, h0 int64) []time.Duration {
	st.mu.Lock()
	defer st.mu.Unlock()
	var g []time.Duration
	for k, t := range st.at {
		if k.node != node || k.step != heightSteps[0] || k.height-2 <= h0 {
			continue
		}
		if p, ok := st.at[stepKey{node, k.height - 1, k.step}]; ok {
			g = append(g, t.Sub(p))
		}
	}
	slices.Sort(g)
	return g
}

// reportPhases prints each phase's median and 99th percentile over the
// nodes and heights of the run.
func (st *stepTimeline) reportPhases(b *testing.B, nodes int, from, to int64) {
	for p, d := range st.phases(nodes, from, to) {
		if len(d) == 0 {
			continue
		}
		b.ReportMetric(ms(d[len(d)/2]), phaseNames[p]+"-p50-ms")
		b.ReportMetric(ms(d[len(d)*99/100]), phaseNames[p]+"-p99-ms")
	}
}
