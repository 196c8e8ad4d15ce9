package gateway_test

import (
	"context"
	"copystation/burn/titlepkg"
	"copystation/custody"
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"go.dedis.ch/kyber/v4"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"copystation/ledgerclient"
	"copystation/protocol"
	"copystation/validatord/gateway"
	"copystation/validatord/ledger"
)

// clock is the wall clock plus an offset a test can advance, shared by a
// test's nodes, stations and ledger. It follows the wall clock because
// connection deadlines are absolute.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func newClock() *clock { return &clock{} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// testNode is one gateway on loopback.
type testNode struct {
	pin    ledgerclient.Node
	noise  []byte // the node's Noise private key
	server *gateway.Server
	signer *party
	addr   string
	// stop ends Serve and waits for it (also done at cleanup)
	stop func()
}

type nodeOpts struct {
	now      func() time.Time
	maxConns int
	ttl      time.Duration
	random   io.Reader            // crypto/rand.Reader if nil
	step     time.Duration        // StepTimeout, 2 s if zero
	request  time.Duration        // RequestTimeout, the gateway's default if zero
	logf     func(string, ...any) // t.Logf if nil
}

func startNode(t testing.TB, l ledger.Ledger, o nodeOpts) *testNode {
	t.Helper()
	nk, err := protocol.GenerateStaticKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return startNodeWithKeys(t, l, o, nk.Private, nk.Public, newParty(t))
}

func startNodeWithKeys(t testing.TB, l ledger.Ledger, o nodeOpts, priv, pub []byte, signer *party) *testNode {
	t.Helper()
	if o.random == nil {
		o.random = rand.Reader
	}
	if o.step == 0 {
		o.step = 2 * time.Second
	}
	cfg := gateway.Config{Signer: signer.key, Ledger: l, Random: o.random, Now: o.now,
		MaxConns: o.maxConns, ChallengeTTL: o.ttl, StepTimeout: o.step, RequestTimeout: o.request, LedgerTimeout: 5 * time.Second,
		Logf: o.logf}
	if _, bench := t.(*testing.B); o.logf == nil && !bench {
		cfg.Logf = t.Logf
	}
	cfg.NoiseKey.Private, cfg.NoiseKey.Public = priv, pub
	srv, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("gateway.New = %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	if loc, ok := l.(*ledger.Local); ok {
		if c, err := loc.Node().App.Custody(); err == nil {
			groups.Store(string(signer.pub), c.Group)
		}
	}
	return &testNode{
		pin:    ledgerclient.Node{Address: ln.Addr().String(), NoiseKey: pub, SigningKey: signer.pub},
		server: srv, signer: signer, addr: ln.Addr().String(), noise: priv, stop: stop,
	}
}

type ledgerclientNode = ledgerclient.Node

func stationID(pub []byte) string { return protocol.KeyID(pub) }

// paramsFor is a copy request for a test that expects a refusal in round 1:
// its manifest only has the share roots the client requires before it
// spends. A test whose copy reaches round 2 uses chain.paramsFor, which
// passes the registered title's manifest.
func paramsFor(job, token, title string, media []byte) ledgerclient.CopyRequestParams {
	return ledgerclient.CopyRequestParams{JobID: job, TokenID: token, TitleID: title, Profile: 0x41, MediaID: media,
		Manifest: &titlepkg.Manifest{ShareRoots: make([][32]byte, 4)}}
}

// station is a station's keys: software in unit tests, the TPM in the
// end-to-end test.
type station struct {
	signer    crypto.Signer
	signPub   []byte
	id        string
	exchanger ecdh.KeyExchanger
}

func softStation(t testing.TB) *station {
	p := newParty(t)
	ka, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &station{signer: p.key, signPub: p.pub, id: p.id, exchanger: ka}
}

func (s *station) client(t testing.TB, now func() time.Time, nodes ...ledgerclient.Node) *ledgerclient.Client {
	t.Helper()
	c, err := ledgerclient.New(ledgerclient.Config{Nodes: nodes, Group: groupOf(t, nodes...), Signer: s.signer, KeyExchanger: s.exchanger,
		Random: rand.Reader, Now: now, StepTimeout: 2 * time.Second, AnswerTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("ledgerclient.New = %v", err)
	}
	return c
}

// rawSession is a station speaking the protocol by hand, to send what a
// correct client never would.
type rawSession struct {
	conn net.Conn
	ch   *protocol.Channel
	chal *protocol.ChallengeMsg
}

func dialRaw(t testing.TB, n *testNode) *rawSession {
	t.Helper()
	conn, err := net.Dial("tcp", n.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	k, _ := protocol.GenerateStaticKey(rand.Reader)
	ch, err := protocol.ClientHandshake(conn, k, n.pin.NoiseKey, rand.Reader)
	if err != nil {
		t.Fatalf("ClientHandshake = %v", err)
	}
	m, err := ch.Receive()
	if err != nil {
		t.Fatalf("Receive(challenge) = %v", err)
	}
	chal, ok := m.(*protocol.ChallengeMsg)
	if !ok {
		t.Fatalf("first message = %T, want *ChallengeMsg", m)
	}
	return &rawSession{conn: conn, ch: ch, chal: chal}
}

// signedRequest builds a request signed for this session.
func (r *rawSession) signedRequest(t testing.TB, st *station, req protocol.CopyRequestMsg) *protocol.CopyRequestMsg {
	t.Helper()
	req.StationID = st.id
	sig, err := protocol.Sign(rand.Reader, st.signer, req.Statement(r.ch.HandshakeHash(), r.chal))
	if err != nil {
		t.Fatal(err)
	}
	req.Signature = sig
	return &req
}

// roundTrip sends m and returns the node's answer.
func (r *rawSession) roundTrip(t testing.TB, m protocol.Message) protocol.Message {
	t.Helper()
	if err := r.ch.Send(m); err != nil {
		t.Fatalf("Send = %v", err)
	}
	a, err := r.ch.Receive()
	if err != nil {
		t.Fatalf("Receive(answer) = %v", err)
	}
	return a
}

// closedByPeer waits for the node to close the connection.
func closedByPeer(conn net.Conn) error {
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 256)
	for {
		if _, err := conn.Read(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return errors.New("connection still open after 5 s")
			}
			return nil
		}
	}
}

// groups maps a node's signing key to its network's custody group, which a
// station pins at enrollment: recorded when a gateway starts on a real
// node, looked up when a test station is configured.
var groups sync.Map

var (
	spareOnce  sync.Once
	spareGroup []byte
)

// groupOf is the custody group of the first pinned node that runs on a
// real ledger; for gateways on a stand-in ledger (no group of their own) a
// one-node group made once by a real in-process DKG.
func groupOf(t testing.TB, pins ...ledgerclient.Node) []byte {
	t.Helper()
	for _, p := range pins {
		if g, ok := groups.Load(string(p.SigningKey)); ok {
			return g.([]byte)
		}
	}
	spareOnce.Do(func() {
		k := custody.NewDKGKey()
		pub, err := custody.ParseDKGPublic(k.Public())
		if err != nil {
			panic(err)
		}
		res, err := custody.RunInProcess(custody.CeremonyConfig{Nodes: []kyber.Point{pub}, Threshold: 1, Nonce: make([]byte, 32)}, []*custody.DKGKey{k})
		if err != nil {
			panic(err)
		}
		spareGroup, _ = res[0].Group.MarshalBinary()
	})
	return spareGroup
}
