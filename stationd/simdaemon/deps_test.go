package simdaemon

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestLinksNoValidationNode keeps the daemon's binary the daemon's size:
// stationd-simrun, which stationd bench measures, must link neither
// CometBFT nor the validation node (their mapped text alone was 40 MiB of
// the daemon's resident memory).
func TestLinksNoValidationNode(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, pkg := range []string{"copystation/stationd/simdaemon", "copystation/stationd/cmd/stationd-simrun"} {
		out, err := exec.Command(goTool, "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/cometbft/") || strings.HasPrefix(dep, "copystation/validatord/") {
				t.Errorf("%s links %s; want no validation node in the daemon's binary", pkg, dep)
			}
		}
	}
}
