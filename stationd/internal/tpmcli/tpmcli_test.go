package tpmcli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"copystation/tpm"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestInitInfoEnroll(t *testing.T) {
	simDir, state := t.TempDir(), t.TempDir()
	uri := "sim:" + simDir
	code, out, errs := run(t, "tpm", "info", "--tpm", uri, "--state", state)
	if code != 1 || !strings.Contains(out, "NOT USABLE") || !strings.Contains(errs, "stationd tpm init") {
		t.Errorf("tpm info before init = %d, %q, %q, want 1 and a hint to run init", code, out, errs)
	}

	var first report
	for i, wantCreated := range []bool{true, false} { // init is idempotent
		code, out, errs = run(t, "tpm", "init", "--tpm", uri, "--state", state, "--json")
		if code != 0 {
			t.Fatalf("tpm init #%d = %d, %s", i, code, errs)
		}
		var r report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("tpm init --json output: %v\n%s", err, out)
		}
		if r.Created != wantCreated {
			t.Errorf("tpm init #%d created = %t, want %t", i, r.Created, wantCreated)
		}
		if i == 0 {
			first = r
		} else if r.StationID != first.StationID {
			t.Errorf("tpm init #%d station ID = %s, want %s", i, r.StationID, first.StationID)
		}
	}

	code, out, _ = run(t, "tpm", "info", "--tpm", uri, "--state", state)
	if code != 0 || !strings.Contains(out, first.StationID) || !strings.Contains(out, "fixedTPM|fixedParent|sensitiveDataOrigin") ||
		!strings.Contains(out, "created in this TPM: true") {
		t.Errorf("tpm info = %d, %q, want the station ID, attributes and created in this TPM", code, out)
	}

	reqFile := filepath.Join(t.TempDir(), "request.json")
	if code, _, errs = run(t, "enroll", "--tpm", uri, "--state", state, "--out", reqFile, "--nonce", "0102"); code != 0 {
		t.Fatalf("enroll = %d, %s", code, errs)
	}
	b, err := os.ReadFile(reqFile)
	if err != nil {
		t.Fatal(err)
	}
	req, err := tpm.ParseEnrollmentRequest(b)
	if err != nil {
		t.Fatalf("ParseEnrollmentRequest(enroll output) = %v", err)
	}
	v, err := tpm.VerifyEvidence(req, tpm.VerifyOptions{Nonce: []byte{1, 2}, AllowUnanchoredEK: true})
	if err != nil || v.StationID != first.StationID {
		t.Fatalf("VerifyEvidence(enroll output) = %+v, %v, want station %s", v, err, first.StationID)
	}

	ch, secret, err := tpm.NewCredentialChallenge(rand.Reader, req)
	if err != nil {
		t.Fatal(err)
	}
	chFile, ansFile := filepath.Join(t.TempDir(), "challenge.json"), filepath.Join(t.TempDir(), "answer.json")
	cb, _ := json.Marshal(ch)
	os.WriteFile(chFile, cb, 0o600)
	if code, _, errs = run(t, "enroll", "--tpm", uri, "--state", state, "--activate", chFile, "--out", ansFile); code != 0 {
		t.Fatalf("enroll --activate = %d, %s", code, errs)
	}
	ab, _ := os.ReadFile(ansFile)
	ans, err := tpm.ParseActivationAnswer(ab)
	if err != nil {
		t.Fatalf("ParseActivationAnswer(enroll --activate output) = %v", err)
	}
	if err := tpm.CheckActivation(secret, ans.Secret); err != nil {
		t.Errorf("CheckActivation(enroll --activate answer) = %v", err)
	}
}

func TestUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"no args", nil, 2},
		{"unknown", []string{"tpm", "frob"}, 2},
		{"bad uri", []string{"tpm", "info", "--tpm", "ftp:x"}, 1},
		{"enroll without out", []string{"enroll", "--tpm", "sim:" + t.TempDir(), "--state", t.TempDir()}, 2},
		{"help", []string{"tpm", "help"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if code, _, _ := run(t, c.args...); code != c.want {
				t.Errorf("Main(%q) = %d, want %d", c.args, code, c.want)
			}
		})
	}
}
