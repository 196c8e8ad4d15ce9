package tpm

import (
	"fmt"
	"strings"

	"github.com/google/go-tpm/tpm2/transport"
	"github.com/google/go-tpm/tpm2/transport/linuxtpm"
)

// Open opens a TPM by URI:
//
//	/dev/tpmrm0, /dev/tpm0          a kernel TPM device (tpmrm0 preferred:
//	                                the kernel resource manager flushes
//	                                handles a crashed process leaves)
//	swtpm:unix:/path[?ctrl=/path]   an swtpm process on a Unix socket
//	swtpm:tcp:host:port             an swtpm process on TCP; its control
//	                                channel is expected on port+1
//	sim:/state/dir                  the in-process reference TPM (tests and
//	                                demo only; see OpenSimulator)
//
// The caller closes the returned TPM.
func Open(uri string) (transport.TPMCloser, error) {
	switch {
	case strings.HasPrefix(uri, "/dev/"):
		t, err := linuxtpm.Open(uri)
		if err != nil {
			return nil, fmt.Errorf("tpm.Open %s: %w: %w (is the tpm2 module loaded and is the user in group tss?)", uri, ErrTransport, err)
		}
		return t, nil
	case strings.HasPrefix(uri, "swtpm:"):
		return openSwtpm(strings.TrimPrefix(uri, "swtpm:"))
	case strings.HasPrefix(uri, "sim:"):
		dir := strings.TrimPrefix(uri, "sim:")
		if dir == "" {
			return nil, fmt.Errorf("tpm.Open %q: %w: sim: needs a state directory, e.g. sim:/var/lib/stationd/sim", uri, ErrURI)
		}
		return OpenSimulator(dir)
	}
	return nil, fmt.Errorf("tpm.Open %q: %w: want /dev/tpmrm0, swtpm:unix:PATH, swtpm:tcp:HOST:PORT or sim:DIR", uri, ErrURI)
}
