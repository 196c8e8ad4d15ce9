// Command guest runs inside the SG_IO test guest: it finds the guest's SCSI
// CD drives and runs the drive package's operations on each through
// /dev/sg* and /dev/sr*, reporting every observation to the host test as
// JSON lines (package report). It judges nothing itself.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "guest:", err)
		os.Exit(1)
	}
}
