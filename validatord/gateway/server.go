package gateway

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/flynn/noise"

	"copystation/protocol"
	"copystation/validatord/ledger"
)

// Config configures a Server. NoiseKey, Signer, Ledger and Random are
// required.
type Config struct {
	// NoiseKey is the node's Noise static key pair; stations pin its public
	// half.
	NoiseKey noise.DHKey
	// Signer is the node's P-256 signing key; its KeyID is the node ID.
	Signer crypto.Signer
	// Ledger is the node's ledger API (ledger.Local in a running node).
	Ledger ledger.Ledger
	// Random makes challenge nonces and feeds signatures; it must be safe
	// for concurrent use (crypto/rand.Reader is).
	Random io.Reader
	// Now is the clock for challenge expiry and deadlines; time.Now if nil.
	Now func() time.Time
	// ChallengeTTL is how long a challenge stays valid (default 30 s).
	ChallengeTTL time.Duration
	// StepTimeout bounds the handshake and each read of a station's message
	// (default 10 s).
	StepTimeout time.Duration
	// RequestTimeout bounds everything before the station's request or
	// report: from accept, the handshake, the challenge and the whole
	// message must be done within it (default 10 s). Without it a slow
	// client could spend a full StepTimeout on each step and hold one of
	// the MaxConns slots for the sum.
	RequestTimeout time.Duration
	// LedgerTimeout bounds the wait for consensus (default 30 s).
	LedgerTimeout time.Duration
	// MaxConns bounds concurrent connections (default 64).
	MaxConns int
	// Logf logs one line per refused or failed connection; nil discards.
	Logf func(format string, args ...any)
}

// ErrBadConfig is returned by New for an incomplete configuration.
var ErrBadConfig = errors.New("invalid gateway configuration")

// Server serves the protocol's node side.
type Server struct {
	cfg    Config
	nodeID string
	slots  chan struct{}
	wg     sync.WaitGroup
}

// New checks the configuration.
func New(cfg Config) (*Server, error) {
	if len(cfg.NoiseKey.Private) != 32 || cfg.Signer == nil || cfg.Ledger == nil || cfg.Random == nil {
		return nil, fmt.Errorf("gateway.New: %w: Noise key, signer, ledger and random source are required", ErrBadConfig)
	}
	sec1, err := protocol.SignerPublicKey(cfg.Signer)
	if err != nil {
		return nil, fmt.Errorf("gateway.New: %w: %w", ErrBadConfig, err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ChallengeTTL <= 0 {
		cfg.ChallengeTTL = 30 * time.Second
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 10 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.LedgerTimeout <= 0 {
		cfg.LedgerTimeout = 30 * time.Second
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 64
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Server{cfg: cfg, nodeID: protocol.NodeID(sec1), slots: make(chan struct{}, cfg.MaxConns)}, nil
}

// NodeID is the ID the node's challenges carry.
func (s *Server) NodeID() string { return s.nodeID }

// Serve accepts connections until ctx ends or the listener fails, then
// closes the listener and waits for open connections to finish (their own
// deadlines bound that wait).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer s.wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("gateway.Serve: %w", err)
		}
		select {
		case s.slots <- struct{}{}:
		default:
			s.cfg.Logf("gateway: %s: refused, %d connections open", conn.RemoteAddr(), s.cfg.MaxConns)
			conn.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.slots }()
			s.serveConn(ctx, conn)
		}()
	}
}
