package embedded

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat: Linux exports
// them in USER_HZ ticks, 100 a second whatever the kernel's HZ.
const userHZ = 100

// procUsage reads a process's CPU time (user and system, all its threads)
// and minor page faults from /proc/<pid>/stat.
func procUsage(pid int) (usage, error) {
	p, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return usage{}, fmt.Errorf("process %d usage: %w", pid, err)
	}
	return parseProcStat(string(p))
}

// parseProcStat reads fields 10 (minflt), 14 (utime) and 15 (stime) of a
// /proc/<pid>/stat line. The command name (field 2) is in parentheses and
// may hold spaces and parentheses itself, so fields are counted from the
// last ')'.
func parseProcStat(s string) (usage, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return usage{}, fmt.Errorf("proc stat %.40q: no command name", s)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3
	if len(f) < 13 {
		return usage{}, fmt.Errorf("proc stat %.40q: %d fields after the name, want at least 13", s, len(f))
	}
	var v [3]int64
	var err error
	for j, field := range []int{10, 14, 15} {
		if v[j], err = strconv.ParseInt(f[field-3], 10, 64); err != nil {
			return usage{}, fmt.Errorf("proc stat field %d: %w", field, err)
		}
	}
	return usage{cpu: time.Duration(v[1]+v[2]) * time.Second / userHZ, minflt: v[0]}, nil
}
