package gateway

import (
	"fmt"
	"strings"
	"testing"

	"copystation/protocol"
	"copystation/validatord/keyservice"
)

// TestNotInEpochRefusal: a node that holds no share of the custody epoch in
// force sends the station on to another node (CodeUnavailable, the same
// job ID), saying why, not that it cannot reach consensus.
func TestNotInEpochRefusal(t *testing.T) {
	err := fmt.Errorf("ledger.ReleaseKeys: %w", fmt.Errorf("keyservice.Release: epoch 2: %w", keyservice.ErrNotInEpoch))
	r := ledgerRefusal(err, subject{station: "st-1", job: "job-1"})
	if r.Code != protocol.CodeUnavailable {
		t.Errorf("code = %v, want CodeUnavailable (the station tries another node)", r.Code)
	}
	if !strings.Contains(r.Message, "custody epoch") || strings.Contains(r.Message, "consensus") {
		t.Errorf("message %q, want the node's missing custody share named", r.Message)
	}
}
