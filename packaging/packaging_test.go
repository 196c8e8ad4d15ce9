package packaging

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"copystation/internal/testenv"
)

func TestCommands(t *testing.T) {
	tests := []struct {
		name  string
		usage string
		want  [][]string
	}{
		{"plain", "usage: x\n  run     --config FILE    run it\n  status  [--json]\n", [][]string{{"run"}, {"status"}}},
		{"group with alternatives", "  drive info|write|read ...   the drive\n", [][]string{{"drive"}, {"drive", "info"}, {"drive", "write"}, {"drive", "read"}}},
		{"repeated and continuation lines", "  station enroll --request F\n                 step 1\n  station enroll --answer A\n", [][]string{{"station"}, {"station", "enroll"}}},
		{"placeholders are not commands", "  watch   JOB [--json]\n  copies list (--token ID)\n", [][]string{{"watch"}, {"copies"}, {"copies", "list"}}},
		{"prose is not a command", "Every command takes --json.\nClient (talks to the daemon):\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Commands(tc.usage); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Commands(%q) = %q, want %q", tc.usage, got, tc.want)
			}
		})
	}
}

// TestRoffEscapes: help text that looks like roff prints as itself.
func TestRoffEscapes(t *testing.T) {
	p := Page{Name: "x", Section: 8, Summary: "s", Version: "1", Usage: ".TH EVIL\n'br\nC:\\path"}
	roff := string(p.Roff())
	for _, want := range []string{"\\&.TH EVIL\n", "\\&'br\n", `C:\epath`} {
		if !strings.Contains(roff, want) {
			t.Errorf("Roff() lacks %q:\n%s", want, roff)
		}
	}
}

// hostBinaries builds the real commands for this machine.
func hostBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+"/", "copystation/stationd", "copystation/validatord/cmd/validatord")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// TestManualFromHelp makes both man pages from the real binaries' help and
// renders them with man(1): every command the usage names has its section,
// and groff has nothing to warn about.
func TestManualFromHelp(t *testing.T) {
	if _, err := exec.LookPath("man"); err != nil {
		testenv.Require(t, "man not installed (apt-get install man-db); .ci/run installs it")
	}
	bins := hostBinaries(t)
	for _, name := range []string{"stationd", "validatord"} {
		t.Run(name, func(t *testing.T) {
			usage, subs, err := Collect(context.Background(), filepath.Join(bins, name))
			if err != nil {
				t.Fatal(err)
			}
			if len(subs) < 8 {
				t.Fatalf("Collect(%s) found %d commands, want the usage's commands (at least 8)", name, len(subs))
			}
			for _, s := range subs {
				if !strings.Contains(s.Help, "-") {
					t.Errorf("%s %s --help = %q, want its flags or subcommands", name, strings.Join(s.Args, " "), s.Help)
				}
			}
			page := Page{Name: name, Section: 8, Summary: "test", Version: "1", Usage: usage, Subs: subs}
			f := filepath.Join(t.TempDir(), name+".8")
			if err := os.WriteFile(f, page.Roff(), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("man", "--warnings", "-l", f)
			cmd.Env = append(os.Environ(), "MANWIDTH=100", "MANPAGER=cat", "PAGER=cat")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil || stderr.Len() > 0 {
				t.Fatalf("man -l %s: %v\n%s", f, err, stderr.String())
			}
			for _, s := range subs {
				if head := name + " " + strings.Join(s.Args, " "); !strings.Contains(stdout.String(), head) {
					t.Errorf("rendered page lacks the section %q", head)
				}
			}
		})
	}
}

// TestBuild builds both packages around a real ELF (this test binary) and
// reads them back with dpkg-deb: fields, files, owners, modes, scripts.
func TestBuild(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		testenv.Require(t, "dpkg-deb not installed (apt-get install dpkg)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	man, _ := Page{Name: "x", Section: 8, Summary: "s", Version: "1", Usage: "u"}.Gzip()
	in := Inputs{
		Version: "1.2.3", Arch: "arm64", SystemdDir: "../systemd",
		ExampleConfig: "../stationd/config/testdata/station.toml",
		Binary:        map[string][]byte{"stationd": bin, "validatord": bin},
		Manual:        map[string][]byte{"stationd": man, "validatord": man},
	}
	want := map[string][]string{
		"stationd": {"/usr/bin/stationd", "/usr/share/man/man8/stationd.8.gz", "/usr/lib/systemd/system/stationd.service",
			"/usr/lib/sysusers.d/stationd.conf", "/usr/lib/tmpfiles.d/stationd.conf", "/usr/lib/udev/rules.d/60-stationd.rules",
			"/usr/share/doc/stationd/examples/station.toml"},
		"validatord": {"/usr/bin/validatord", "/usr/share/man/man8/validatord.8.gz", "/usr/lib/systemd/system/validatord.service",
			"/usr/lib/sysusers.d/validatord.conf", "/usr/lib/tmpfiles.d/validatord.conf"},
	}
	out := t.TempDir()
	for name, make := range map[string]func(Inputs) (Spec, error){"stationd": Stationd, "validatord": Validatord} {
		t.Run(name, func(t *testing.T) {
			spec, err := make(in)
			if err != nil {
				t.Fatal(err)
			}
			deb, err := Build(context.Background(), spec, out)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Base(deb) != name+"_1.2.3_arm64.deb" {
				t.Errorf("Build() = %s, want %s_1.2.3_arm64.deb", deb, name)
			}
			field, _ := exec.Command("dpkg-deb", "--field", deb, "Package", "Architecture", "Depends").Output()
			if !strings.Contains(string(field), "Package: "+name) || !strings.Contains(string(field), "Architecture: arm64") || !strings.Contains(string(field), "systemd") {
				t.Errorf("dpkg-deb --field %s = %q", deb, field)
			}
			contents, err := exec.Command("dpkg-deb", "--contents", deb).Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(strings.TrimSpace(string(contents)), "\n") {
				if f := strings.Fields(l); len(f) < 6 || f[1] != "root/root" {
					t.Errorf("dpkg-deb --contents: %q, want owner root/root", l)
				}
				if strings.HasSuffix(l, " ./") && !strings.HasPrefix(l, "drwxr-xr-x") {
					t.Errorf("root entry: %q, want drwxr-xr-x (it is the target's /)", l)
				}
				if strings.Contains(l, "./usr/bin/"+name) && !strings.HasPrefix(l, "-rwxr-xr-x") {
					t.Errorf("binary mode: %q, want -rwxr-xr-x", l)
				}
			}
			for _, p := range want[name] {
				if !strings.Contains(string(contents), "."+p+"\n") {
					t.Errorf("%s lacks %s:\n%s", deb, p, contents)
				}
			}
			ctl := t.TempDir()
			if msg, err := exec.Command("dpkg-deb", "--control", deb, ctl).CombinedOutput(); err != nil {
				t.Fatalf("dpkg-deb --control: %v\n%s", err, msg)
			}
			scripts := []string{"postinst", "prerm", "postrm"}
			if name == "stationd" {
				scripts = append(scripts, "preinst")
			}
			for _, s := range scripts {
				p := filepath.Join(ctl, s)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(b, []byte("#IDLE#")) || bytes.Contains(b, []byte("#SYSUSERS#")) {
					t.Errorf("%s %s still holds a placeholder", name, s)
				}
				if msg, err := exec.Command("sh", "-n", p).CombinedOutput(); err != nil {
					t.Errorf("sh -n %s %s: %v\n%s", name, s, err, msg)
				}
				for _, l := range strings.Split(string(b), "\n") {
					l = strings.TrimSpace(l)
					if strings.HasPrefix(l, "rm ") && (strings.Contains(l, "/var/lib/") || strings.Contains(l, "/etc/"+name)) {
						t.Errorf("%s %s deletes state: %q", name, s, l)
					}
				}
			}
		})
	}
}

func TestSpecRefusesBadInput(t *testing.T) {
	good := Spec{Name: "p", Version: "1", Arch: "amd64", Description: "d", Files: []File{{Path: "/usr/bin/p"}}}
	tests := []struct {
		name string
		edit func(*Spec)
	}{
		{"no version", func(s *Spec) { s.Version = "" }},
		{"version without a digit first", func(s *Spec) { s.Version = "v1" }},
		{"relative path", func(s *Spec) { s.Files = []File{{Path: "usr/bin/p"}} }},
		{"path escaping the root", func(s *Spec) { s.Files = []File{{Path: "/usr/../../etc/passwd"}} }},
		{"file twice", func(s *Spec) { s.Files = append(s.Files, File{Path: "/usr/bin/p"}) }},
		{"unknown script", func(s *Spec) { s.Scripts = map[string][]byte{"config": nil} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.edit(&s)
			if _, err := Build(context.Background(), s, t.TempDir()); !errors.Is(err, ErrSpec) {
				t.Errorf("Build(%s) = %v, want ErrSpec", tc.name, err)
			}
		})
	}
}

// TestDependsFromBinaries: the packages depend on the libraries the real
// binaries link (libcrypto from the reference TPM's cgo, libc), found in
// the ELF files rather than written by hand.
func TestDependsFromBinaries(t *testing.T) {
	bins := hostBinaries(t)
	man, _ := Page{Name: "x", Section: 8, Summary: "s", Version: "1", Usage: "u"}.Gzip()
	in := Inputs{Version: "1", Arch: "amd64", SystemdDir: "../systemd",
		ExampleConfig: "../stationd/config/testdata/station.toml",
		Binary:        map[string][]byte{}, Manual: map[string][]byte{"stationd": man, "validatord": man}}
	for _, name := range []string{"stationd", "validatord"} {
		b, err := os.ReadFile(filepath.Join(bins, name))
		if err != nil {
			t.Fatal(err)
		}
		in.Binary[name] = b
	}
	for name, make := range map[string]func(Inputs) (Spec, error){"stationd": Stationd, "validatord": Validatord} {
		spec, err := make(in)
		if err != nil {
			t.Fatal(err)
		}
		deps := strings.Join(spec.Depends, ", ")
		for _, want := range []string{"libc6", "libssl3"} {
			if !strings.Contains(deps, want) {
				t.Errorf("%s Depends = %q, want %s (the binary links it)", name, deps, want)
			}
		}
	}
	if _, err := LibDepends([]byte("not an ELF file")); err == nil {
		t.Error("LibDepends(garbage) = nil error, want one")
	}
}
