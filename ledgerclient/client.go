package ledgerclient

import (
	"context"
	"crypto"
	"crypto/ecdh"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/flynn/noise"

	"copystation/burn/titlepkg"
	"copystation/custody"
	"copystation/keys"
	"copystation/protocol"
)

// Node is one validation node as pinned in the station's configuration at
// enrollment.
type Node struct {
	Address    string // host:port of the node's gateway
	NoiseKey   []byte // the node's Noise static public key (X25519, 32 bytes)
	SigningKey []byte // the node's P-256 signing key, uncompressed SEC1
}

// ID is the node ID its challenges must carry.
func (n Node) ID() string { return protocol.NodeID(n.SigningKey) }

// Config configures a Client. Signer, KeyExchanger, Random and Nodes are
// required.
type Config struct {
	Nodes []Node
	// Signer is the station's signing key, normally the TPM's (ECDSA P-256).
	Signer crypto.Signer
	// KeyExchanger is the station's key-agreement key, normally the TPM's.
	KeyExchanger ecdh.KeyExchanger
	// Random feeds the Noise keys and signatures; it must be safe for
	// concurrent use if the client is (crypto/rand.Reader is).
	Random io.Reader
	// Now is the clock for deadlines; time.Now if nil. Connection deadlines
	// are absolute, so it must follow the wall clock.
	Now func() time.Time
	// Dial opens a connection; a net.Dialer's DialContext if nil.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// StepTimeout bounds the dial, the handshake and reading the challenge
	// (default 5 s).
	StepTimeout time.Duration
	// AnswerTimeout bounds the wait for the node's answer, which includes
	// consensus on the spend (default 30 s).
	AnswerTimeout time.Duration
	// ChainID pins the ledger's chain ID: a node whose challenge names
	// another network is refused (ErrWrongChain) before anything is signed.
	// Empty: sign for the network the node's challenge names.
	ChainID string
	// Group is the network's custody group (the genesis custody.group
	// bytes), pinned at enrollment like the node keys: the station checks
	// every node's partial signature and the combined signature against
	// it, and never takes a group from a node. Required.
	Group []byte
	// Logf, if set, receives what a person operating the station should
	// know but that does not stop a copy: a node that sent a wrong partial.
	Logf func(format string, args ...any)
}

// Client talks to validation nodes for one station. It is safe for
// concurrent use.
type Client struct {
	cfg       Config
	group     *custody.Group
	static    noise.DHKey
	stationID string

	mu   sync.Mutex
	next int // index of the node to try first: the last that answered

	epoch epochState // the custody epoch accepted (epoch.go)
}

// New checks the configuration and makes the client's Noise key.
func New(cfg Config) (*Client, error) {
	if len(cfg.Nodes) == 0 || cfg.Signer == nil || cfg.KeyExchanger == nil || cfg.Random == nil {
		return nil, fmt.Errorf("ledgerclient.New: %w: nodes, signer, key exchanger and random source are required", ErrBadConfig)
	}
	for i, n := range cfg.Nodes {
		if n.Address == "" || len(n.NoiseKey) != protocol.StaticKeyLen {
			return nil, fmt.Errorf("ledgerclient.New: %w: node %d needs an address and a %d-byte Noise key", ErrBadConfig, i, protocol.StaticKeyLen)
		}
		if _, err := protocol.ParsePublicKey(n.SigningKey); err != nil {
			return nil, fmt.Errorf("ledgerclient.New: %w: node %d signing key: %w", ErrBadConfig, i, err)
		}
	}
	group, err := custody.UnmarshalGroup(cfg.Group)
	if err != nil {
		return nil, fmt.Errorf("ledgerclient.New: %w: custody group (pin the genesis custody.group at enrollment): %w", ErrBadConfig, err)
	}
	sec1, err := protocol.SignerPublicKey(cfg.Signer)
	if err != nil {
		return nil, fmt.Errorf("ledgerclient.New: %w: %w", ErrBadConfig, err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{}).DialContext
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 5 * time.Second
	}
	if cfg.AnswerTimeout <= 0 {
		cfg.AnswerTimeout = 30 * time.Second
	}
	static, err := protocol.GenerateStaticKey(cfg.Random)
	if err != nil {
		return nil, fmt.Errorf("ledgerclient.New: %w", err)
	}
	return &Client{cfg: cfg, group: group, static: static, stationID: protocol.KeyID(sec1)}, nil
}

// StationID is the station's ledger ID (KeyID of its signing key).
func (c *Client) StationID() string { return c.stationID }

// CopyRequestParams names one copy.
type CopyRequestParams struct {
	JobID   string // the station's job; retries reuse it
	TokenID string
	TitleID string
	Profile uint16 // MMC profile of the blank
	MediaID []byte // the blank's media ID
	// Grant is the customer's encoded protocol.SignedGrant for a token a
	// customer owns; empty for a token the station owns.
	Grant []byte
	// Attempt is the job's disc on the ledger: 0 for its first blank, n
	// for its n-th retry. PrevReport is, for a retry, the ReportDigest of
	// the report that spoiled attempt n-1 (Receipt.ReportDigest of Report).
	Attempt    uint32
	PrevReport []byte
	// Manifest is the title package's manifest, required: every title is
	// dealt by its issuer, and round 2 collects t nodes' share releases,
	// checks each against its node's root in the manifest and combines
	// them (docs/key-custody.md).
	Manifest *titlepkg.Manifest
}

// Receipt is a node's signed confirmation that a transaction is final.
type Receipt struct {
	NodeID        string
	Height        uint64
	TxHash        []byte
	HandshakeHash []byte // of the channel the receipt came on
	Signature     []byte // the node's, over the protocol statement
	// ReportDigest is, for a report, the protocol.ReportDigest of the
	// signed report now on the ledger: the next attempt's PrevReport.
	ReportDigest []byte
}

// Authorization is a granted copy: the opened keys and the spend's receipt.
// The caller wipes Keys when the copy is done.
type Authorization struct {
	// Keys are the copy's keys: from round 2 the title keys, codeword and
	// disc key block; the disc key derived here from the copy's group
	// signature.
	Keys    *keys.CopyKeys
	Format  keys.FormatMetadata
	Receipt Receipt // round 1's, from the node that answered first
	// Partials names the nodes whose valid partials made the group
	// signature; Rejected, each wrapping ErrWrongPartial, the nodes whose
	// partial did not verify.
	Partials []string
	Rejected []error
	// SpendTime is the wait for the first node's answer to round 1 (the
	// spend, final); ReleaseTime the wait until the keys opened. Their
	// difference is what the threshold release costs (benchmarks).
	SpendTime, ReleaseTime time.Duration
}

// ReportParams names a copy's outcome.
type ReportParams struct {
	JobID      string
	Attempt    uint32 // the attempt the disc was authorised as
	MediaID    []byte
	Outcome    uint8 // protocol.OutcomeMade or protocol.OutcomeSpoiled
	DiscDigest []byte
	Reason     string
}

// Authorize asks the nodes, one after another, to spend the token for this
// copy and release its keys.
func (c *Client) Authorize(ctx context.Context, p CopyRequestParams) (*Authorization, error) {
	if p.JobID == "" || p.TokenID == "" || p.TitleID == "" || len(p.MediaID) == 0 {
		return nil, fmt.Errorf("ledgerclient.Authorize: %w: job, token, title and media ID are required", ErrBadRequestParams)
	}
	if p.Attempt == 0 && len(p.PrevReport) != 0 {
		return nil, fmt.Errorf("ledgerclient.Authorize: %w: attempt 0 has no previous report", ErrBadRequestParams)
	}
	if p.Attempt != 0 && len(p.PrevReport) != protocol.ReportDigestLen {
		return nil, fmt.Errorf("ledgerclient.Authorize: %w: retry attempt %d needs the %d-byte digest of the report that spoiled attempt %d",
			ErrBadRequestParams, p.Attempt, protocol.ReportDigestLen, p.Attempt-1)
	}
	// Checked before round 1, which spends the token: without the roots no
	// release could be checked, and the spent token would give no keys.
	if p.Manifest == nil || len(p.Manifest.ShareRoots) == 0 {
		return nil, fmt.Errorf("ledgerclient.Authorize: %w: title %s: the package manifest with its share roots is required (every title is dealt by its issuer); pass the installed package's manifest", ErrBadRequestParams, p.TitleID)
	}
	r1, err := c.collectPartials(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("ledgerclient.Authorize: %w", err)
	}
	defer clear(r1.sigma[:])
	a, err := c.releaseShares(ctx, p, r1)
	if err != nil {
		return nil, fmt.Errorf("ledgerclient.Authorize: %w", err)
	}
	return a, nil
}

// Report tells the nodes a copy was made or spoiled and returns the receipt.
func (c *Client) Report(ctx context.Context, r ReportParams) (*Receipt, error) {
	if r.JobID == "" || len(r.MediaID) == 0 || (r.Outcome != protocol.OutcomeMade && r.Outcome != protocol.OutcomeSpoiled) {
		return nil, fmt.Errorf("ledgerclient.Report: %w: job, media ID and an outcome are required", ErrBadRequestParams)
	}
	var out *Receipt
	err := c.failover(ctx, "ledgerclient.Report", func(s *session) error {
		rc, err := s.report(r)
		out = rc
		return err
	})
	return out, err
}

// failover runs fn on a session with each node in turn, starting with the
// last node that answered, until one gives a definitive answer.
func (c *Client) failover(ctx context.Context, op string, fn func(*session) error) error {
	c.mu.Lock()
	start := c.next
	c.mu.Unlock()
	var errs []error
	for i := range c.cfg.Nodes {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		idx := (start + i) % len(c.cfg.Nodes)
		node := c.cfg.Nodes[idx]
		err := c.withSession(ctx, node, fn)
		if err == nil || definitive(err) {
			c.mu.Lock()
			c.next = idx
			c.mu.Unlock()
			if err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			return nil
		}
		errs = append(errs, fmt.Errorf("node %s (%s): %w", node.ID(), node.Address, err))
	}
	return fmt.Errorf("%s: %w", op, errors.Join(append([]error{ErrNoNodeReachable}, errs...)...))
}

// definitive reports whether err is an answer that another node would give
// too: a non-transient refusal.
func definitive(err error) bool {
	var r *RefusalError
	return errors.As(err, &r) && !r.Code.Transient()
}
