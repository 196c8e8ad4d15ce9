package embedded

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
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

func TestParseProcStat(t *testing.T) {
	// 52 fields as Linux 6 writes them; minflt 1234, utime 250, stime 50.
	rest := " S 1 2 3 0 -1 4194560 1234 0 5 0 250 50 0 0 20 0 9 0 100 1000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	tests := []struct {
		name    string
		line    string
		want    usage
		wantErr bool
	}{
		{"plain", "42 (emb.test)" + rest, usage{cpu: 3 * time.Second, minflt: 1234}, false},
		{"name with spaces and parentheses", "42 (a) (b c)" + rest, usage{cpu: 3 * time.Second, minflt: 1234}, false},
		{"no name", "42 emb.test S 1", usage{}, true},
		{"cut short", "42 (emb.test) S 1 2 3", usage{}, true},
		{"not a number", "42 (x) S 1 2 3 0 -1 4194560 many 0 5 0 250 50", usage{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat(tt.line)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("parseProcStat(%q) = %+v, %v; want %+v, error %v", tt.line, got, err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := procUsage(os.Getpid()); err != nil {
		t.Fatalf("procUsage(self) = %v", err)
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add("42 (emb.test) S 1 2 3 0 -1 4194560 1234 0 5 0 250 50 0 0 20 0 9 0 100")
	f.Add("1 ()) R")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parseProcStat(s)
		if err != nil && u != (usage{}) {
			t.Fatalf("parseProcStat(%q) = %+v with error %v", s, u, err)
		}
	})
}

// runqWait is how long the threads of a process have waited, runnable,
// for a CPU (the second field of /proc/<pid>/task/<tid>/schedstat, in
// nanoseconds, summed over the threads alive now): the Linux scheduler's
// share of a delay, where Go's own run queue is invisible.
func runqWait(pid int) (time.Duration, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("process %d threads: %w", pid, err)
	}
	var sum time.Duration
	for _, t := range tasks {
		p, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread has exited since
		}
		f := strings.Fields(string(p))
		if len(f) < 2 {
			return 0, fmt.Errorf("%s/%s/schedstat %q: want 3 fields", dir, t.Name(), p)
		}
		ns, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s/%s/schedstat: %w", dir, t.Name(), err)
		}
		sum += time.Duration(ns)
	}
	return sum, nil
}
