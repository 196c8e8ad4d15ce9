package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCommandHelp: each command's --help names the command as typed, lists
// its own flags and no other command's, and exits 0.
func TestCommandHelp(t *testing.T) {
	tests := []struct {
		args      []string
		usage     string
		has, lack []string
	}{
		{[]string{"tpm", "init", "--help"}, "Usage of stationd tpm init", []string{"-tpm", "-state"}, []string{"-activate", "-nonce", "-out"}},
		{[]string{"enroll", "--help"}, "Usage of stationd enroll", []string{"-activate", "-nonce", "-out"}, nil},
		{[]string{"burn", "--help"}, "Usage of stationd burn", []string{"-title", "-token", "-authorization", "-watch"}, []string{"-active", "-code"}},
		{[]string{"jobs", "--help"}, "Usage of stationd jobs", []string{"-active"}, []string{"-title", "-code"}},
		{[]string{"tamper-clear", "--help"}, "Usage of stationd tamper-clear", []string{"-code"}, []string{"-title", "-active"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), tc.args, &out, &errb)
			text := out.String() + errb.String()
			if code != 0 || !strings.Contains(text, tc.usage) {
				t.Fatalf("Main(%q) = %d, %q; want 0 and %q", tc.args, code, text, tc.usage)
			}
			for _, f := range tc.has {
				if !strings.Contains(text, f+" ") && !strings.Contains(text, f+"\n") {
					t.Errorf("Main(%q) does not list %s", tc.args, f)
				}
			}
			for _, f := range tc.lack {
				if strings.Contains(text, f+" ") || strings.Contains(text, f+"\n") {
					t.Errorf("Main(%q) lists another command's %s", tc.args, f)
				}
			}
		})
	}
}
