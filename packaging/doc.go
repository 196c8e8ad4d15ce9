// Package packaging builds the Debian packages of stationd and validatord:
// the binaries, their units and sysusers.d/tmpfiles.d/udev companions from
// systemd/, man pages generated from the commands' own help, and maintainer
// scripts that never start a burn and never delete state.
//
// # Concepts
//
// A Spec is one binary package (name, version, architecture, files,
// maintainer scripts); Build stages it in a directory and hands it to
// dpkg-deb, Debian's own archiver, with every file owned by root. Stationd
// and Validatord say what each package holds. Manual turns a command's help
// texts into a man page, so the page says what the binary says.
//
// `go run ./packaging/pkgbuild` builds the binaries for amd64 and arm64 (cgo,
// with Debian's cross compiler for arm64) and writes both packages for both.
package packaging
