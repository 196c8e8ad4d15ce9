package protocol

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestStandsAlone: the wire format imports no other package of the project,
// so a station or node implementer reads it, and it changes, on its own.
// tpm has the same test (the TPM layer knows no wire format).
func TestStandsAlone(t *testing.T) {
	assertNoProjectImports(t, ".")
}

func assertNoProjectImports(t *testing.T, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range ast.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); strings.HasPrefix(p, "copystation/") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
