package packaging

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed scripts
var scripts embed.FS

// Inputs are what the two packages are made of: the systemd/ directory of
// the repository, and per command its binary and gzipped man page.
type Inputs struct {
	Version, Arch string
	SystemdDir    string // the repository's systemd/ directory
	ExampleConfig string // stationd/config/testdata/station.toml
	Binary        map[string][]byte
	Manual        map[string][]byte
}

// Stationd is the station daemon's package.
func Stationd(in Inputs) (Spec, error) {
	files, err := in.files("stationd", []install{
		{"stationd.service", "/usr/lib/systemd/system/stationd.service"},
		{"stationd-screen.service", "/usr/lib/systemd/system/stationd-screen.service"},
		{"stationd.sysusers.conf", "/usr/lib/sysusers.d/stationd.conf"},
		{"stationd.tmpfiles.conf", "/usr/lib/tmpfiles.d/stationd.conf"},
		{"60-stationd.rules", "/usr/lib/udev/rules.d/60-stationd.rules"},
	})
	if err != nil {
		return Spec{}, err
	}
	example, err := os.ReadFile(in.ExampleConfig)
	if err != nil {
		return Spec{}, fmt.Errorf("%w: example configuration: %v", ErrSpec, err)
	}
	files = append(files, File{Path: "/usr/share/doc/stationd/examples/station.toml", Data: example, Mode: 0o644})
	sc, err := in.scripts("stationd")
	if err != nil {
		return Spec{}, err
	}
	libs, err := LibDepends(in.Binary["stationd"])
	if err != nil {
		return Spec{}, err
	}
	return Spec{
		Name: "stationd", Version: in.Version, Arch: in.Arch,
		Depends:    append(libs, "systemd (>= 247)", "udev"),
		Recommends: []string{"tpm-udev", "ffmpeg", "udftools"}, // ffmpeg, udftools: stationd demo burns a film
		Description: `copy station daemon: burns verified Blu-ray copies from copy tokens
The station daemon turns a copy token on the copy-token ledger into a
burned, verified disc: it talks to the validation nodes over Noise, keeps
its keys in the TPM and drives the optical drives over SG_IO.
.
The unit starts once /etc/stationd/station.toml exists; see stationd(8).`,
		Files: files, Scripts: sc,
	}, nil
}

// Validatord is the validation node's package.
func Validatord(in Inputs) (Spec, error) {
	files, err := in.files("validatord", []install{
		{"validatord.service", "/usr/lib/systemd/system/validatord.service"},
		{"validatord.sysusers.conf", "/usr/lib/sysusers.d/validatord.conf"},
		{"validatord.tmpfiles.conf", "/usr/lib/tmpfiles.d/validatord.conf"},
	})
	if err != nil {
		return Spec{}, err
	}
	sc, err := in.scripts("validatord")
	if err != nil {
		return Spec{}, err
	}
	libs, err := LibDepends(in.Binary["validatord"])
	if err != nil {
		return Spec{}, err
	}
	return Spec{
		Name: "validatord", Version: in.Version, Arch: in.Arch,
		Depends: append(libs, "systemd (>= 247)"),
		Description: `copy-token validation node (CometBFT with the contract built in)
A validation node of the copy-token ledger: it runs the contract, serves
stations over Noise and releases its share of the copy keys once a spend
is final.
.
The unit starts once a node home exists in /var/lib/validatord
(validatord init); see validatord(8).`,
		Files: files, Scripts: sc,
	}, nil
}

type install struct{ src, dst string }

// files gathers a package's binary, man page and systemd/ companions.
func (in Inputs) files(name string, from []install) ([]File, error) {
	bin, man := in.Binary[name], in.Manual[name]
	if len(bin) == 0 || len(man) == 0 {
		return nil, fmt.Errorf("%w: %s needs its binary and man page", ErrSpec, name)
	}
	files := []File{
		{Path: "/usr/bin/" + name, Data: bin, Mode: 0o755},
		{Path: "/usr/share/man/man8/" + name + ".8.gz", Data: man, Mode: 0o644},
	}
	for _, f := range from {
		b, err := os.ReadFile(filepath.Join(in.SystemdDir, f.src))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrSpec, name, err)
		}
		files = append(files, File{Path: f.dst, Data: b, Mode: 0o644})
	}
	return files, nil
}

// scripts reads a package's maintainer scripts; "#IDLE#" in a stationd
// script is replaced by the shared wait-for-idle function, so the scripts
// need no helper file that a removal could take away before they run, and
// "#SYSUSERS#" by the package's sysusers.d file (a preinst makes the users
// and groups before the files that name them are unpacked). A preinst is
// optional.
func (in Inputs) scripts(name string) (map[string][]byte, error) {
	idle, err := scripts.ReadFile("scripts/stationd.idle.sh")
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, s := range []string{"preinst", "postinst", "prerm", "postrm"} {
		b, err := scripts.ReadFile("scripts/" + name + "." + s)
		if err != nil {
			if s == "preinst" && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("%w: %s has no %s: %v", ErrSpec, name, s, err)
		}
		b = bytes.Replace(b, []byte("#IDLE#\n"), idle, 1)
		if bytes.Contains(b, []byte("#SYSUSERS#\n")) {
			users, err := os.ReadFile(filepath.Join(in.SystemdDir, name+".sysusers.conf"))
			if err != nil {
				return nil, fmt.Errorf("%w: %s %s: %v", ErrSpec, name, s, err)
			}
			b = bytes.Replace(b, []byte("#SYSUSERS#\n"), users, 1)
		}
		out[s] = b
	}
	return out, nil
}
