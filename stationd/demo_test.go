package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestDemo runs `stationd demo --json` end to end: embedded node, TPM
// simulator, simulated drive, a real burn and a refused second copy.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo burns a disc")
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"demo", "--json", "--size", "8"}, &out, &errb)
	if code != 0 {
		t.Fatalf("stationd demo --json = exit %d\nstderr:\n%s", code, errb.String())
	}
	var r DemoResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out.String())
	}
	c := r.Copy
	if c.CopyID == "" || c.Token == "" || len(c.MediaID) != 32 || c.Height <= 0 || len(c.TxHash) != 64 || len(c.ImageHash) != 64 {
		t.Errorf("receipt = %+v, want copy ID, token, 16-byte media ID, height, 32-byte tx hash and image hash", c)
	}
	if !c.PlayedBack {
		t.Errorf("receipt = %+v, want the disc played back", c)
	}
	// The forensic codeword is committed on the ledger, never published.
	if strings.Contains(strings.ToLower(out.String()+errb.String()), "codeword") {
		t.Errorf("the demo shows the forensic codeword:\n%s\n%s", out.String(), errb.String())
	}
	if r.Refusal.Code != "token_spent" || !strings.Contains(r.Refusal.Message, "already been used") {
		t.Errorf("second attempt = %+v, want code token_spent with a message a person understands", r.Refusal)
	}
	if !strings.Contains(errb.String(), "Receipt") || !strings.Contains(errb.String(), "Refused:") {
		t.Errorf("narration lacks the receipt or the refusal:\n%s", errb.String())
	}
}
