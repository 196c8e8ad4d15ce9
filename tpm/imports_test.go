package tpm

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestKnowsNoWireFormat: the TPM layer imports neither the wire protocol
// nor anything built on it; callers name keys (protocol.KeyID) themselves.
func TestKnowsNoWireFormat(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"copystation/atomicfile": true}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range ast.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); strings.HasPrefix(p, "copystation/") && !allowed[p] {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
