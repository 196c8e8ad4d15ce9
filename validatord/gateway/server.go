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
	// HandshakeTimeout bounds the IK handshake from accept (default 2 s):
	// a station sends its first message as soon as it has connected, so a
	// silent peer is let go quickly and holds its slot no longer.
	HandshakeTimeout time.Duration
	// RequestTimeout bounds everything before the station's request or
	// report: from accept, the handshake, the challenge and the whole
	// message must be done within it (default 10 s). Without it a slow
	// client could hold a slot for the sum of the steps.
	RequestTimeout time.Duration
	// ChallengeTTL is how long a challenge stays valid (default
	// RequestTimeout - 2 s, or half of a RequestTimeout under 4 s). It
	// must end before RequestTimeout, so that a request that comes after
	// its challenge expired, but before the node stops waiting, is
	// answered with the challenge-expired refusal rather than a closed
	// connection. The expiry sent is in whole seconds, rounded down, and
	// the node refuses from that second on.
	ChallengeTTL time.Duration
	// StepTimeout bounds sending the challenge and the answer and each
	// ledger lookup (default 10 s).
	StepTimeout time.Duration
	// LedgerTimeout bounds the wait for consensus (default 30 s).
	LedgerTimeout time.Duration
	// MaxConns bounds the connections that have not yet sent a request
	// signed by an enrolled station, and separately those that have and
	// wait on the ledger (default 256 each).
	MaxConns int
	// MaxConnsPerSource bounds one source's connections (one IPv4 address
	// or IPv6 /64) that have not yet sent a signed request (default 8).
	// More are closed at accept, before any Noise work. When all MaxConns
	// are taken, a connection from a source holding at least two fewer
	// than the heaviest source takes that source's oldest slot.
	MaxConnsPerSource int
	// Logf logs refused and failed connections, aggregated: per reason,
	// the first at once and the rest as one summary line per LogInterval;
	// nil discards.
	Logf func(format string, args ...any)
	// LogInterval is the logbook's summary interval (default 10 s).
	LogInterval time.Duration
}

// ErrBadConfig is returned by New for an incomplete configuration.
var ErrBadConfig = errors.New("invalid gateway configuration")

// Server serves the protocol's node side.
type Server struct {
	cfg    Config
	nodeID string
	// verify checks a station's spend or report statement: the ledger's
	// VerifyStatement where it has one (ledger.Local), so that the
	// contract's check of the transaction that carries it is not a second
	// verification; protocol.Verify otherwise.
	verify func(pub []byte, st protocol.Statement, sig []byte) error
	adm    *admission
	log    *logbook
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
	if err := defaults(&cfg); err != nil {
		return nil, fmt.Errorf("gateway.New: %w", err)
	}
	verify := protocol.Verify
	if v, ok := cfg.Ledger.(interface {
		VerifyStatement(pub []byte, st protocol.Statement, sig []byte) error
	}); ok {
		verify = v.VerifyStatement
	}
	return &Server{cfg: cfg, nodeID: protocol.NodeID(sec1), verify: verify, adm: newAdmission(cfg.MaxConns, cfg.MaxConnsPerSource),
		log: newLogbook(cfg.Logf, cfg.LogInterval, cfg.Now)}, nil
}

// defaults fills in the unset fields and checks that the deadlines agree.
func defaults(cfg *Config) error {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&cfg.HandshakeTimeout, 2*time.Second)
	set(&cfg.RequestTimeout, 10*time.Second)
	set(&cfg.ChallengeTTL, cfg.RequestTimeout-min(2*time.Second, cfg.RequestTimeout/2))
	set(&cfg.StepTimeout, 10*time.Second)
	set(&cfg.LedgerTimeout, 30*time.Second)
	set(&cfg.LogInterval, 10*time.Second)
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 256
	}
	if cfg.MaxConnsPerSource <= 0 {
		cfg.MaxConnsPerSource = 8
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.ChallengeTTL >= cfg.RequestTimeout {
		return fmt.Errorf("%w: ChallengeTTL %v must end before RequestTimeout %v, or a late request is cut off instead of refused as expired",
			ErrBadConfig, cfg.ChallengeTTL, cfg.RequestTimeout)
	}
	return nil
}

// NodeID is the ID the node's challenges carry.
func (s *Server) NodeID() string { return s.nodeID }

// Serve accepts connections until ctx ends or the listener fails, then
// closes the listener and waits for open connections to finish (their own
// deadlines bound that wait). A connection over its source's limit, or
// beyond MaxConns, is closed at accept: no byte is read from it and no
// Noise work is done for it.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer s.log.flush(true)
	defer s.wg.Wait()
	tick := time.NewTicker(s.cfg.LogInterval)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				s.log.flush(false)
			}
		}
	}()
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
		src := source(conn.RemoteAddr())
		t, evicted, why := s.adm.admit(src, conn)
		if t == nil {
			conn.Close()
			s.log.note(why, src, conn.RemoteAddr().String())
			continue
		}
		if evicted != nil {
			evicted.conn.Close()
			s.log.note(reasonEvicted, evicted.src, fmt.Sprintf("%s for a connection from %s", evicted.src, conn.RemoteAddr()))
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer t.release()
			s.serveConn(ctx, conn, t)
		}()
	}
}
