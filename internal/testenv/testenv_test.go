package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRequire runs a test that lacks a part in a child process: without
// the CI variable it skips and passes, with COPYSTATION_CI=1 (or the older
// COPYSTATION_REQUIRE_GUEST=1) it fails and says why.
func TestRequire(t *testing.T) {
	tests := []struct {
		name string
		env  string
		fail bool
	}{
		{"developer machine", "", false},
		{"CI", Var + "=1", true},
		{"CI, older variable", legacyGuest + "=1", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMissingPart$", "-test.v")
			cmd.Env = append(clean(os.Environ()), "TESTENV_CHILD=1")
			if tc.env != "" {
				cmd.Env = append(cmd.Env, tc.env)
			}
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tc.fail {
				t.Fatalf("child with %q: failed = %v, want %v\n%s", tc.env, failed, tc.fail, out)
			}
			want := "--- SKIP"
			if tc.fail {
				want = "--- FAIL"
			}
			if !strings.Contains(string(out), want) || !strings.Contains(string(out), "frobnicator is not installed") {
				t.Errorf("child output lacks %q and the reason:\n%s", want, out)
			}
		})
	}
}

// TestMissingPart is the child: a test whose part is missing.
func TestMissingPart(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") != "1" {
		return // only as TestRequire's child
	}
	Require(t, "frobnicator is not installed (apt-get install frobnicator)")
}

// clean drops the CI variables, so the parent's own run does not leak in.
func clean(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, Var+"=") && !strings.HasPrefix(e, legacyGuest+"=") {
			out = append(out, e)
		}
	}
	return out
}
