package titles

import (
	"fmt"
	"os"
	"syscall"
)

// statInto fills r's file identity from stat(2).
func statInto(path string, r *Record) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("titles: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("titles: %s: no stat data", path)
	}
	r.Size, r.Dev, r.Inode = fi.Size(), uint64(st.Dev), st.Ino
	r.MtimeNS, r.CtimeNS = st.Mtim.Nano(), st.Ctim.Nano()
	return nil
}
