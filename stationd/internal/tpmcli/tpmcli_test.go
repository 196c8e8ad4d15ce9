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

	"copystation/protocol"
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
		!strings.Contains(out, "created in this TPM: true") || !strings.Contains(out, "bound to PCRs [0 2 4 7]") {
		t.Errorf("tpm info = %d, %q, want the station ID, attributes, created in this TPM and the PCR binding", code, out)
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
	if err != nil || protocol.KeyID(v.SigningKey) != first.StationID {
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

// TestEnrollWritesPrivately: the files enroll writes replace the target
// atomically through a fresh temporary name, readable by the owner only;
// a planted file or link at a predictable temporary name is not followed.
func TestEnrollWritesPrivately(t *testing.T) {
	simDir, state, out := t.TempDir(), t.TempDir(), t.TempDir()
	uri := "sim:" + simDir
	if code, _, errs := run(t, "tpm", "init", "--tpm", uri, "--state", state); code != 0 {
		t.Fatalf("tpm init = %d, %s", code, errs)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("untouched"), 0o600); err != nil {
		t.Fatal(err)
	}
	reqFile := filepath.Join(out, "request.json")
	if err := os.Symlink(victim, reqFile+".tmp"); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "enroll", "--tpm", uri, "--state", state, "--out", reqFile); code != 0 {
		t.Fatalf("enroll = %d, %s", code, errs)
	}
	if b, _ := os.ReadFile(victim); string(b) != "untouched" {
		t.Errorf("enroll wrote through the link at %s.tmp: victim = %q", reqFile, b)
	}
	fi, err := os.Lstat(reqFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("request file mode = %v, want -rw------- (a regular file for the owner only)", fi.Mode())
	}
	if b, err := os.ReadFile(reqFile); err != nil {
		t.Fatal(err)
	} else if _, err := tpm.ParseEnrollmentRequest(b); err != nil {
		t.Errorf("ParseEnrollmentRequest(request file) = %v", err)
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if e.Name() != "request.json" && e.Name() != "request.json.tmp" {
			t.Errorf("enroll left %s behind", e.Name())
		}
	}
}
