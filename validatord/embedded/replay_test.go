package embedded

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"copystation/keys"
	"copystation/protocol"
	"copystation/validatord/contract"
)

// TestReplayedSpendAfterSpoilOnNode replays, through a real node's mempool
// and consensus, a station's first spend after its disc was reported
// spoiled: as broadcast, with its JSON body re-encoded, and with its
// signature turned to (r, n-s). None may open an attempt; the station's
// real retry on a new blank then gets its keys.
func TestReplayedSpendAfterSpoilOnNode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	n, err := Start(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	defer n.Stop()
	st := newStation(t)
	setup(t, ctx, n, st)
	if err := n.Issuer.MintToken(ctx, "tok-1", "film-1", st.signPub); err != nil {
		t.Fatal(err)
	}
	req, sig := st.request(t, "job-1", "tok-1", "m1")
	rc1, err := n.Ledger.Spend(ctx, st.signPub, req, sig)
	if err != nil {
		t.Fatalf("Spend(first) = %v", err)
	}
	first, err := contract.NewSpendTx(st.signPub, req, sig)
	if err != nil {
		t.Fatal(err)
	}
	rep, rsig := st.report(t, "job-1", "m1", protocol.OutcomeSpoiled)
	if _, err := n.Ledger.Report(ctx, st.signPub, rep, rsig); err != nil {
		t.Fatalf("Report(spoiled) = %v", err)
	}
	for name, raw := range map[string][]byte{
		"same bytes":  first,
		"re-encoded":  reencoded(t, first),
		"(r, n-s)":    highS(t, first),
		"re-enc+flip": highS(t, reencoded(t, first)),
	} {
		// The very same bytes are one transaction: the mempool answers
		// with its first result. Anything else must be refused.
		if r, err := n.Ledger.Submit(ctx, "replay", raw); err == nil && r.Height != rc1.Height {
			t.Errorf("Submit(first spend, %s) after spoil = accepted at height %d, want a refusal", name, r.Height)
		}
	}
	if c, err := n.Ledger.Copy(ctx, "job-1"); err != nil || len(c.Attempts) != 1 || c.Current().Outcome != contract.OutcomeSpoiled {
		t.Fatalf("Copy(job-1) after replays = %+v, %v, want one spoiled attempt", c, err)
	}
	st.attempt, st.prev = 1, protocol.ReportDigest(rep)
	req2, sig2 := st.request(t, "job-1", "tok-1", "m2")
	rc, err := n.Ledger.Spend(ctx, st.signPub, req2, sig2)
	if err != nil || rc.Attempt != 1 {
		t.Fatalf("Spend(retry on m2) = %+v, %v, want attempt 1", rc, err)
	}
	if _, err := n.Ledger.ReleasePartial(ctx, st.id, keys.Info{JobID: "job-1", MediaID: []byte("m2"), Transcript: []byte("t")}); err != nil {
		t.Fatalf("ReleaseKeys(retry) = %v", err)
	}
	c, err := n.Ledger.Copy(ctx, "job-1")
	if err != nil || len(c.Attempts) != 2 {
		t.Fatalf("Copy(job-1) = %+v, %v, want 2 attempts", c, err)
	}
}

func reencoded(t *testing.T, raw []byte) []byte {
	t.Helper()
	tx, err := contract.DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, tx.Body, "", "  "); err != nil {
		t.Fatal(err)
	}
	tx.Body = b.Bytes()
	return tx.Marshal()
}

func highS(t *testing.T, raw []byte) []byte {
	t.Helper()
	tx, err := contract.DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(tx.Sig, &rs); err != nil {
		t.Fatal(err)
	}
	rs.S.Sub(elliptic.P256().Params().N, rs.S)
	if tx.Sig, err = asn1.Marshal(rs); err != nil {
		t.Fatal(err)
	}
	return tx.Marshal()
}
