package pty

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Open allocates a pseudo-terminal from /dev/ptmx and puts its line in raw
// mode (no echo, no line editing, no CR/LF translation, 8 bits).
func Open() (*Pair, error) {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("pty.Open: open /dev/ptmx: %w", err)
	}
	fail := func(what string, err error) (*Pair, error) {
		unix.Close(mfd)
		return nil, fmt.Errorf("pty.Open: %s: %w", what, err)
	}
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return fail("unlock", err)
	}
	n, err := unix.IoctlGetInt(mfd, unix.TIOCGPTN)
	if err != nil {
		return fail("pty number", err)
	}
	path := "/dev/pts/" + strconv.Itoa(n)
	sfd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail("open "+path, err)
	}
	if err := makeRaw(sfd); err != nil {
		unix.Close(sfd)
		return fail("raw mode", err)
	}
	// Non-blocking descriptors let the Go runtime poll them, so Close
	// wakes a pending Read.
	if err := unix.SetNonblock(mfd, true); err != nil {
		unix.Close(sfd)
		return fail("non-blocking", err)
	}
	return &Pair{
		Master:    os.NewFile(uintptr(mfd), "/dev/ptmx"),
		SlavePath: path,
		slave:     os.NewFile(uintptr(sfd), path),
	}, nil
}

// makeRaw does what cfmakeraw(3) does.
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}
