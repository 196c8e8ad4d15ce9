package tpm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// Limits of the raw swtpm stream: swtpm speaks plain TPM command and
// response frames on its data channel (not the reference simulator's
// framed protocol), so a response is its 10-byte header and the rest of the
// size it declares.
const (
	swtpmTimeout     = 2 * time.Minute // RSA EK creation on a slow swtpm
	maxResponseBytes = 64 << 10
	swtpmCmdInit     = 2 // swtpm control channel CMD_INIT
)

// streamTPM is a transport.TPMCloser over one connection to swtpm.
type streamTPM struct {
	mu   sync.Mutex
	conn net.Conn
}

var _ transport.TPMCloser = (*streamTPM)(nil)

func openSwtpm(rest string) (transport.TPMCloser, error) {
	network, addr, ctrl, err := parseSwtpm(rest)
	if err != nil {
		return nil, err
	}
	if ctrl != "" {
		// Initialise the TPM if it waits for CMD_INIT; harmless otherwise.
		if err := swtpmInit(network, ctrl); err != nil {
			return nil, fmt.Errorf("tpm.Open swtpm:%s: %w", rest, err)
		}
	}
	conn, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("tpm.Open swtpm:%s: %w: %w (is swtpm running?)", rest, ErrTransport, err)
	}
	t := &streamTPM{conn: conn}
	if err := startup(t); err != nil {
		conn.Close()
		return nil, fmt.Errorf("tpm.Open swtpm:%s: %w", rest, err)
	}
	return t, nil
}

func parseSwtpm(rest string) (network, addr, ctrl string, err error) {
	switch {
	case strings.HasPrefix(rest, "unix:"):
		u, perr := url.Parse("unix://" + strings.TrimPrefix(rest, "unix:"))
		if perr != nil || u.Path == "" {
			return "", "", "", fmt.Errorf("tpm.Open swtpm:%s: %w: want swtpm:unix:/path[?ctrl=/path]", rest, ErrURI)
		}
		return "unix", u.Path, u.Query().Get("ctrl"), nil
	case strings.HasPrefix(rest, "tcp:"):
		addr := strings.TrimPrefix(rest, "tcp:")
		host, port, serr := net.SplitHostPort(addr)
		p, perr := strconv.Atoi(port)
		if serr != nil || perr != nil || p <= 0 || p >= 65535 {
			return "", "", "", fmt.Errorf("tpm.Open swtpm:%s: %w: want swtpm:tcp:HOST:PORT", rest, ErrURI)
		}
		return "tcp", addr, net.JoinHostPort(host, strconv.Itoa(p+1)), nil
	}
	return "", "", "", fmt.Errorf("tpm.Open swtpm:%s: %w: want swtpm:unix:PATH or swtpm:tcp:HOST:PORT", rest, ErrURI)
}

// swtpmInit sends CMD_INIT on swtpm's control channel. A TPM already
// initialised answers with an error we ignore; a missing channel is ignored
// too, since swtpm started with --flags not-need-init has none.
func swtpmInit(network, ctrl string) error {
	c, err := net.DialTimeout(network, ctrl, 5*time.Second)
	if err != nil {
		return nil
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var req [8]byte
	binary.BigEndian.PutUint32(req[0:], swtpmCmdInit)
	if _, err := c.Write(req[:]); err != nil {
		return fmt.Errorf("%w: swtpm CMD_INIT: %w", ErrTransport, err)
	}
	var res [4]byte
	if _, err := io.ReadFull(c, res[:]); err != nil {
		return fmt.Errorf("%w: swtpm CMD_INIT: %w", ErrTransport, err)
	}
	return nil
}

// startup sends TPM2_Startup(CLEAR) when the TPM asks for it; a TPM that
// has been started already answers TPM_RC_INITIALIZE, which is fine.
func startup(t transport.TPM) error {
	_, err := tpm2.Startup{StartupType: tpm2.TPMSUClear}.Execute(t)
	if err != nil && !errors.Is(err, tpm2.TPMRCInitialize) {
		return fmt.Errorf("tpm2.Startup: %w", err)
	}
	return nil
}

// Send implements transport.TPM with a deadline on every exchange.
func (t *streamTPM) Send(cmd []byte) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.conn.SetDeadline(time.Now().Add(swtpmTimeout)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	if _, err := t.conn.Write(cmd); err != nil {
		return nil, fmt.Errorf("%w: send: %w", ErrTransport, err)
	}
	hdr := make([]byte, 10)
	if _, err := io.ReadFull(t.conn, hdr); err != nil {
		return nil, fmt.Errorf("%w: read response header: %w", ErrTransport, err)
	}
	size := binary.BigEndian.Uint32(hdr[2:6])
	if size < 10 || size > maxResponseBytes {
		return nil, fmt.Errorf("%w: response declares %d bytes", ErrTransport, size)
	}
	rsp := make([]byte, size)
	copy(rsp, hdr)
	if _, err := io.ReadFull(t.conn, rsp[10:]); err != nil {
		return nil, fmt.Errorf("%w: read response: %w", ErrTransport, err)
	}
	return rsp, nil
}

// Close closes the connection; swtpm keeps running.
func (t *streamTPM) Close() error { return t.conn.Close() }
