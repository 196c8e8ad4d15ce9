package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"time"

	"copystation/drive/sgio/guesttest/report"
)

// InGuestEnv is set by the guest program when it runs its test binary
// inside the QEMU guest; anywhere else TestConformanceSGIO skips.
const InGuestEnv = "COPYSTATION_IN_GUEST"

// maxConformanceOutput bounds the test output carried in one report line
// (JSON escaping may grow it; report.MaxLine is 16 KiB).
const maxConformanceOutput = 6 << 10

// runConformance runs the guest package's test binary (built by the host
// with go test -c) for TestConformanceSGIO and reports its verbose output
// and exit status.
func runConformance(rep *report.Writer, binary string) {
	s := stepper{rep: rep}
	s.do("conformance", func(_ context.Context, f map[string]string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, "-test.v", "-test.run", "^TestConformanceSGIO$", "-test.timeout", "80s")
		cmd.Env = append(os.Environ(), InGuestEnv+"=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		b := out.Bytes()
		if len(b) > maxConformanceOutput {
			b = b[len(b)-maxConformanceOutput:] // the summary is at the end
		}
		f["output"] = string(b)
		return err
	})
}
