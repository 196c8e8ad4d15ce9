package validatord

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelp: -h, --help and help print usage on stdout and exit 0, for
// validatord itself and for every command; a wrong flag is still a usage
// error on stderr.
func TestHelp(t *testing.T) {
	type tc struct {
		args []string
		want string
	}
	cases := []tc{
		{[]string{"--help"}, "usage: validatord COMMAND"},
		{[]string{"-h"}, "usage: validatord COMMAND"},
		{[]string{"help"}, "usage: validatord COMMAND"},
		{[]string{"token", "--help"}, "usage: validatord COMMAND"},
		{[]string{"help", "token", "mint"}, "usage: validatord token mint [flags]"},
	}
	for name := range commands {
		for _, h := range []string{"--help", "-h", "-help"} {
			cases = append(cases, tc{append(strings.Fields(name), h), "usage: validatord " + name + " [flags]"})
		}
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := Main(context.Background(), c.args, &out, &errb)
		if code != ExitOK || !strings.Contains(out.String(), c.want) || errb.Len() != 0 {
			t.Errorf("Main(%q) = %d, stdout %q, stderr %q; want %d and %q on stdout", c.args, code, out.String(), errb.String(), ExitOK, c.want)
		}
	}
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"token", "mint", "--bogus"}, &out, &errb); code != ExitUsage || !strings.Contains(errb.String(), "usage: validatord token mint") {
		t.Errorf("Main(token mint --bogus) = %d, stderr %q; want %d and the usage on stderr", code, errb.String(), ExitUsage)
	}
}
