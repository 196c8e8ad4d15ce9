package serial

import "golang.org/x/sys/unix"

// isPTY reports whether path (after symlinks) is a Unix98 pseudo-terminal
// slave: character major numbers 136 to 143 (Documentation/admin-guide/devices.txt).
func isPTY(path string) bool {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return false
	}
	m := unix.Major(uint64(st.Rdev))
	return m >= 136 && m <= 143
}
