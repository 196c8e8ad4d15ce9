package main

import (
	"os"
	"syscall"

	"copystation/stationd/job"
)

// crashEnv names a job state; the daemon (this test binary run as
// stationd) kills itself with SIGKILL right after journaling a transition
// into it. The hook exists only in the test binary.
const crashEnv = "STATIOND_CRASH_AT"

func init() { testHooks = crashHook }

// crashHook returns the crash test's kill switch, or nil.
func crashHook() func(job.Job) {
	at := job.State(os.Getenv(crashEnv))
	if at == "" {
		return nil
	}
	return func(j job.Job) {
		if j.State == at {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // never act on the transition
		}
	}
}
