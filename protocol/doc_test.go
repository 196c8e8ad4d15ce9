package protocol

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/cryptotest"

	"copystation/internal/docexample"
)

var update = flag.Bool("update", false, "rewrite the examples in docs/protocol.md and the fuzz seed corpora")

const (
	docPath    = "../docs/protocol.md"
	docCmd     = "go test ./protocol -run TestDocExamples -update"
	seedPrefix = "go test fuzz v1\n"
)

func examplesSection(ex []example) string {
	var sb strings.Builder
	for _, e := range ex {
		fmt.Fprintf(&sb, "\n### %s (%d bytes)\n\n```\n%s```\n", e.name, len(e.raw), docexample.HexDump(e.raw))
	}

	return sb.String()
}

// TestDocExamples checks that every hex example in docs/protocol.md is what
// the code produces today, and that each decodes and re-encodes to itself.
func TestDocExamples(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1)
	ex := examples(t)
	for _, e := range ex {
		t.Run(e.name, func(t *testing.T) {
			if e.wire {
				return // checked by the byte comparison below
			}
			if e.name == "SignedGrant" {
				g, err := DecodeGrant(e.raw)
				if err != nil {
					t.Fatalf("DecodeGrant(example) = %v", err)
				}
				if err := g.Verify(pubBytes(t, exampleKey(t, "customer"))); err != nil {
					t.Fatalf("SignedGrant.Verify() = %v, want nil", err)
				}
				return
			}
			m, err := Unmarshal(e.raw)
			if err != nil {
				t.Fatalf("Unmarshal(example) = %v", err)
			}
			if got := Marshal(m); hex.EncodeToString(got) != hex.EncodeToString(e.raw) {
				t.Fatalf("Marshal(Unmarshal(x)) = %x, want %x", got, e.raw)
			}
		})
	}
	docexample.Check(t, docPath, docCmd, examplesSection(ex), *update)
	if *update {
		writeSeeds(t, ex)
	}
}

func seedFile(b []byte) []byte {
	return []byte(fmt.Sprintf("%s[]byte(%q)\n", seedPrefix, b))
}

// writeSeeds commits the examples, and a few damaged forms, as fuzz seeds.
func writeSeeds(t *testing.T, ex []example) {
	write := func(target, name string, b []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), seedFile(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range ex {
		if e.wire {
			if strings.HasPrefix(e.name, "IK message 1") {
				write("FuzzServerHandshake", "ik-message-1", e.raw)
			}
			continue
		}
		target := "FuzzUnmarshal"
		if e.name == "SignedGrant" {
			target = "FuzzDecodeGrant"
		}
		write(target, e.name, e.raw)
		write(target, e.name+"-truncated", e.raw[:len(e.raw)/2])
		frame := append([]byte{byte(len(e.raw) >> 8), byte(len(e.raw))}, e.raw...)
		write("FuzzReadFrame", e.name, frame)
	}
	write("FuzzReadFrame", "oversized", []byte{0xff, 0xff, 1, 2, 3})
	write("FuzzReadFrame", "empty", []byte{0, 0})
}
