package validatord

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitKEK: init never creates a plaintext KEK unless told to, and says
// where it wrote one, louder when it is inside the home.
func TestInitKEK(t *testing.T) {
	cases := []struct {
		name       string
		kek        func(dir string) string // the --kek-file path
		existing   bool
		makeKEK    bool
		wantCode   int
		wantStderr []string
		notStderr  []string
	}{
		{"absent, no flag", func(d string) string { return filepath.Join(d, "kek") }, false, false, ExitUsage, []string{"--make-kek"}, nil},
		{"absent, --make-kek", func(d string) string { return filepath.Join(d, "kek") }, false, true, ExitOK, []string{"IN PLAINTEXT", "kek"}, []string{"inside the home"}},
		{"absent, --make-kek inside the home", func(d string) string { return filepath.Join(d, "home", "kek") }, false, true, ExitOK, []string{"IN PLAINTEXT", "inside the home"}, nil},
		{"existing", func(d string) string { return filepath.Join(d, "kek") }, true, false, ExitOK, nil, []string{"warning"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			kek := tc.kek(dir)
			if tc.existing {
				if err := os.WriteFile(kek, []byte(strings.Repeat("cd", 32)), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			c := &cli{t: t, ctx: context.Background(), home: filepath.Join(dir, "home"), kek: kek}
			args := []string{"init", "--home", c.home, "--kek-file", kek, "--p2p", freeAddr(t), "--rpc", "tcp://" + freeAddr(t), "--gateway", freeAddr(t)}
			if tc.makeKEK {
				args = append(args, "--make-kek")
			}
			code, _, errs := c.run(args...)
			if code != tc.wantCode {
				t.Fatalf("Main(%q) = %d, stderr %q; want %d", args, code, errs, tc.wantCode)
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(errs, w) {
					t.Errorf("init stderr = %q, want it to say %q", errs, w)
				}
			}
			for _, w := range tc.notStderr {
				if strings.Contains(errs, w) {
					t.Errorf("init stderr = %q, want no %q", errs, w)
				}
			}
			_, err := os.Stat(kek)
			if exists := err == nil; exists != (tc.existing || tc.makeKEK) {
				t.Errorf("KEK file exists after init = %v, want %v", exists, tc.existing || tc.makeKEK)
			}
		})
	}
}
