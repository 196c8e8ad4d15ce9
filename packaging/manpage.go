package packaging

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// ErrHelp means a command's help could not be read to make its man page.
var ErrHelp = errors.New("reading command help")

// Page is a man page made from help texts.
type Page struct {
	Name    string // the command, e.g. "stationd"
	Section int    // 8: system administration
	Summary string // the NAME line after the dash
	Version string
	Usage   string    // the command's top-level usage text
	Subs    []Section // one per subcommand, in usage order
	Files   []string  // "path\tmeaning" pairs for the FILES section
	SeeAlso string
}

// Section is one subcommand's help.
type Section struct {
	Args []string // e.g. ["tpm", "init"]
	Help string
}

// usageLine matches a command line of a usage text: two spaces, a command
// word and optionally a second word or a|b|c list of subcommands.
var usageLine = regexp.MustCompile(`^  ([a-z][a-z-]*)(?: ([a-z][a-z|-]*))?(?:\s|$)`)

// Commands lists the commands a top-level usage text names, each group
// ("drive") before its subcommands ("drive info"), without repeats.
func Commands(usage string) [][]string {
	var out [][]string
	seen := map[string]bool{}
	add := func(args ...string) {
		k := strings.Join(args, " ")
		if !seen[k] {
			seen[k] = true
			out = append(out, args)
		}
	}
	for _, l := range strings.Split(usage, "\n") {
		m := usageLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if m[2] == "" {
			add(m[1])
			continue
		}
		add(m[1])
		for _, sub := range strings.Split(m[2], "|") {
			add(m[1], sub)
		}
	}
	return out
}

// Collect runs bin (built for this machine) for its usage and each
// command's --help, and returns the page's usage and sections. A command
// whose --help exits non-zero still counts when it printed text: a group
// such as "stationd drive" prints its own usage that way.
func Collect(ctx context.Context, bin string) (usage string, subs []Section, err error) {
	usage, err = run(ctx, bin, "help")
	if err != nil {
		return "", nil, err
	}
	for _, args := range Commands(usage) {
		help, err := run(ctx, bin, append(append([]string{}, args...), "--help")...)
		if err != nil {
			return "", nil, err
		}
		subs = append(subs, Section{Args: args, Help: help})
	}
	return usage, subs, nil
}

func run(ctx context.Context, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := strings.TrimRight(out.String(), "\n")
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && text != "") {
		return "", fmt.Errorf("%w: %s %s: %v (%s)", ErrHelp, bin, strings.Join(args, " "), err, text)
	}
	if text == "" {
		return "", fmt.Errorf("%w: %s %s printed nothing", ErrHelp, bin, strings.Join(args, " "))
	}
	return text, nil
}

// Roff writes the page in man(7) markup. Help texts go in no-fill blocks,
// escaped so that a backslash or a leading dot prints as itself.
func (p Page) Roff() []byte {
	var b bytes.Buffer
	up := strings.ToUpper(p.Name)
	fmt.Fprintf(&b, ".TH %s %d \"\" \"copystation %s\" \"System Administration\"\n", up, p.Section, esc(p.Version))
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", p.Name, esc(p.Summary))
	fmt.Fprintf(&b, ".SH SYNOPSIS\n.nf\n%s\n.fi\n", block(p.Usage))
	if len(p.Subs) > 0 {
		b.WriteString(".SH COMMANDS\n")
		for _, s := range p.Subs {
			fmt.Fprintf(&b, ".SS \"%s %s\"\n.nf\n%s\n.fi\n", p.Name, esc(strings.Join(s.Args, " ")), block(s.Help))
		}
	}
	if len(p.Files) > 0 {
		b.WriteString(".SH FILES\n")
		for _, f := range p.Files {
			path, what, _ := strings.Cut(f, "\t")
			fmt.Fprintf(&b, ".TP\n.I %s\n%s\n", esc(path), esc(what))
		}
	}
	if p.SeeAlso != "" {
		fmt.Fprintf(&b, ".SH SEE ALSO\n%s\n", esc(p.SeeAlso))
	}
	return b.Bytes()
}

// Gzip compresses the page as Debian installs man pages, with no name or
// time in the header so the same page gives the same bytes.
func (p Page) Gzip() ([]byte, error) {
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(p.Roff()); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func esc(s string) string { return strings.ReplaceAll(s, `\`, `\e`) }

// block escapes a help text for a .nf block: backslashes, and lines that
// would otherwise read as requests (a leading . or ').
func block(s string) string {
	lines := strings.Split(esc(s), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}
