// Package testenv says what a test needs from the machine it runs on: on a
// developer's machine a test whose part is missing (swtpm, udftools,
// systemd-analyze, pseudo-terminals, a guest kernel) skips and says why;
// under CI, where .ci/run installs every part, the same test fails, so no
// test is skipped there in silence.
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Var is the environment variable that marks a CI run: COPYSTATION_CI=1
// (exported by .ci/run).
const Var = "COPYSTATION_CI"

// legacyGuest is the older variable that made only the SG_IO guest test
// required; it still counts as a CI run.
const legacyGuest = "COPYSTATION_REQUIRE_GUEST"

// InCI reports whether this is a CI run, where every part must be there.
func InCI() bool { return os.Getenv(Var) == "1" || os.Getenv(legacyGuest) == "1" }

// Require ends the test because the machine lacks what it needs (why says
// what and how to install it): a skip, or under CI a failure.
func Require(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s (%s=1: CI must provide this, so the test fails instead of skipping)", why, Var)
	}
	t.Skip(why)
}

// Requiref is Require with a format.
func Requiref(t testing.TB, format string, args ...any) {
	t.Helper()
	Require(t, fmt.Sprintf(format, args...))
}
