package disc_test

import (
	"flag"
	"testing"

	"copystation/internal/docexample"
)

// The worked examples in docs/disc-format.md are generated here from the
// real code with fixed inputs, and checked by a second, independent
// reading built only from the standard library (as a player written from
// the doc would), so the doc, the code and the construction can't drift.

var update = flag.Bool("update", false, "rewrite the examples in docs/disc-format.md")

const docPath = "../../docs/disc-format.md"

// TestDocExamples checks that the examples in docs/disc-format.md are what
// the code produces today (run with -update to rewrite them).
func TestDocExamples(t *testing.T) {
	docexample.Check(t, docPath, "go test ./burn/disc -run TestDocExamples -update", examples(t), *update)
}
