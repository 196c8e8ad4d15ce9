// Command pkgbuild builds the stationd and validatord Debian packages for
// amd64 and arm64:
//
//	go run ./packaging/pkgbuild [--arch amd64,arm64] [--version V] [--out dist]
//
// Both binaries need cgo (SQLite, and the reference TPM with OpenSSL's
// libcrypto); arm64 is cross-compiled with Debian's aarch64-linux-gnu-gcc
// (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross
// libssl-dev:arm64, after dpkg --add-architecture arm64). The man pages
// come from this machine's build of the same source, so they say what the
// binaries say.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"copystation/packaging"
)

// ErrToolchain means a binary could not be built for an architecture.
var ErrToolchain = errors.New("pkgbuild: building binaries")

// commands are the packaged commands, their Go packages and build tags.
// stationd is built with nonode: a kiosk's daemon links no validation node
// (CometBFT and copystation/validatord), which only the demo, the benches
// and `disc verify`'s light client embed; they stay in the source build.
// TestPackagedStationdLinksNoNode holds it to that.
var commands = []struct{ name, pkg, tags, summary string }{
	{"stationd", "./stationd", "nonode", "the copy station daemon and its command-line client"},
	{"validatord", "./validatord/cmd/validatord", "", "the copy-token validation node and its operator commands"},
}

// compilers are the cgo C compilers per GOARCH (Debian's cross packages).
var compilers = map[string]string{"amd64": "x86_64-linux-gnu-gcc", "arm64": "aarch64-linux-gnu-gcc"}

func main() {
	arches := flag.String("arch", "amd64,arm64", "comma-separated Debian architectures")
	version := flag.String("version", "0.1.0", "package version")
	out := flag.String("out", "dist", "output directory")
	flag.Parse()
	if err := run(context.Background(), strings.Split(*arches, ","), *version, *out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, arches []string, version, out string) error {
	tmp, err := os.MkdirTemp("", "pkgbuild-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	host, err := build(ctx, runtime.GOARCH, filepath.Join(tmp, "host"))
	if err != nil {
		return err
	}
	manual := map[string][]byte{}
	for _, c := range commands {
		usage, subs, err := packaging.Collect(ctx, filepath.Join(host, c.name))
		if err != nil {
			return err
		}
		page := packaging.Page{
			Name: c.name, Section: 8, Summary: c.summary, Version: version,
			Usage: usage, Subs: subs, Files: files[c.name],
			SeeAlso: "systemctl(1), journalctl(1); docs/operators.md and docs/station.md in the project",
		}
		if manual[c.name], err = page.Gzip(); err != nil {
			return err
		}
	}
	for _, arch := range arches {
		dir := host
		if arch != runtime.GOARCH {
			if dir, err = build(ctx, arch, filepath.Join(tmp, arch)); err != nil {
				return err
			}
		}
		in := packaging.Inputs{
			Version: version, Arch: arch, SystemdDir: "systemd",
			ExampleConfig: "stationd/config/testdata/station.toml",
			Binary:        map[string][]byte{}, Manual: manual,
		}
		for _, c := range commands {
			if in.Binary[c.name], err = os.ReadFile(filepath.Join(dir, c.name)); err != nil {
				return err
			}
		}
		for _, make := range []func(packaging.Inputs) (packaging.Spec, error){packaging.Stationd, packaging.Validatord} {
			spec, err := make(in)
			if err != nil {
				return err
			}
			path, err := packaging.Build(ctx, spec, out)
			if err != nil {
				return err
			}
			fmt.Println(path)
		}
	}
	return nil
}

// files are the FILES sections of the man pages.
var files = map[string][]string{
	"stationd": {
		"/etc/stationd/station.toml\tthe configuration; an example is in /usr/share/doc/stationd/examples",
		"/var/lib/stationd\tstate: TPM key blobs, job journal, title packages (kept on removal and purge)",
		"/run/stationd/stationd.sock\tthe local API the client commands use",
	},
	"validatord": {
		"/var/lib/validatord\tthe node home: sealed vault, keys, chain (kept on removal and purge)",
		"/etc/credstore.encrypted/validatord-kek\tthe key-encryption key, encrypted with systemd-creds",
	},
}

// build compiles every command for one architecture into dir.
func build(ctx context.Context, arch, dir string) (string, error) {
	cc, ok := compilers[arch]
	if !ok {
		return "", fmt.Errorf("%w: no C compiler known for %q (known: amd64, arm64)", ErrToolchain, arch)
	}
	if arch == runtime.GOARCH {
		cc = "gcc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		return "", fmt.Errorf("%w: %s for %s not found: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross libssl-dev:arm64", ErrToolchain, cc, arch)
	}
	for _, c := range commands {
		cmd := exec.CommandContext(ctx, "go", "build", "-tags="+c.tags, "-ldflags=-s -w", "-o", filepath.Join(dir, c.name), c.pkg)
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=1", "CC="+cc)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("%w: go build %s for %s: %v\n%s", ErrToolchain, c.pkg, arch, err, msg)
		}
	}
	return dir, nil
}
