//go:build !linux

package titles

import (
	"fmt"
	"os"
)

// statInto fills r's file identity: size and modification time only
// where the platform's stat data is not read.
func statInto(path string, r *Record) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("titles: %w", err)
	}
	r.Size, r.MtimeNS = fi.Size(), fi.ModTime().UnixNano()
	return nil
}
