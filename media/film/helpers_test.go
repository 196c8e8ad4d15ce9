package film

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"

	"copystation/internal/testenv"
)

// need ends the test (skip, or fail under CI) when a tool is missing.
func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Requiref(t, "%s not installed: apt-get install ffmpeg libbluray-bin udftools", tool)
		}
	}
}

// The test film is encoded and authored once per test binary.
var shared struct {
	once sync.Once
	dir  string
	enc  *Encoding
	film *Film
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// testFilm returns the shared 6-second 720p film and its encodings.
func testFilm(t testing.TB) (*Encoding, *Film) {
	t.Helper()
	need(t, "ffmpeg", "mkudffs")
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "film-*"); shared.err != nil {
			return
		}
		if shared.enc, shared.err = Encode(context.Background(), shared.dir, DefaultOptions); shared.err != nil {
			return
		}
		shared.film, shared.err = Author(shared.enc, "film-1")
	})
	if shared.err != nil {
		t.Fatalf("making the test film: %v", shared.err)
	}
	return shared.enc, shared.film
}
