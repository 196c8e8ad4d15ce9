package protocol

import (
	"crypto/ecdh"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/flynn/noise"
)

// MaxFrame is the largest Noise message a frame may carry (the 2-byte length
// could say up to 65535; anything above MaxFrame ends the channel).
const MaxFrame = 8192

// Prologue is mixed into every handshake, so peers speaking another protocol
// or version fail the handshake instead of misreading each other.
const Prologue = "copystation/1"

// Suite is the Noise cipher suite: Noise_IK_25519_ChaChaPoly_SHA256.
var Suite = noise.NewCipherSuite(noise.DH25519, noise.CipherChaChaPoly, noise.HashSHA256)

// StaticKeyLen is the length of a Noise static public key (X25519).
const StaticKeyLen = 32

// GenerateStaticKey makes a Noise static key pair from rnd.
func GenerateStaticKey(rnd io.Reader) (noise.DHKey, error) {
	k, err := Suite.GenerateKeypair(rnd)
	if err != nil {
		return noise.DHKey{}, fmt.Errorf("protocol.GenerateStaticKey: %w", err)
	}
	return k, nil
}

// StaticKeyFromPrivate rebuilds a Noise static key pair from its 32-byte
// X25519 private key (as a node keeps it in its vault).
func StaticKeyFromPrivate(priv []byte) (noise.DHKey, error) {
	k, err := ecdh.X25519().NewPrivateKey(priv)
	if err != nil {
		return noise.DHKey{}, fmt.Errorf("protocol.StaticKeyFromPrivate: %w", err)
	}
	return noise.DHKey{Private: append([]byte(nil), priv...), Public: k.PublicKey().Bytes()}, nil
}

// ReadFrame reads one frame into buf (which must hold MaxFrame bytes) and
// returns its body. A peer that closes between frames gives io.EOF.
func ReadFrame(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("protocol.ReadFrame: %w: length", ErrTruncated)
		}
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	switch {
	case n == 0:
		return nil, fmt.Errorf("protocol.ReadFrame: %w", ErrEmptyFrame)
	case n > MaxFrame || n > len(buf):
		return nil, fmt.Errorf("protocol.ReadFrame: %w: %d bytes, limit %d", ErrFrameTooLarge, n, MaxFrame)
	}
	if _, err := io.ReadFull(r, buf[:n]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("protocol.ReadFrame: %w: body", ErrTruncated)
		}
		return nil, err
	}
	return buf[:n], nil
}

// WriteFrame writes p as one frame, in one write.
func WriteFrame(w io.Writer, p []byte) error {
	if len(p) == 0 {
		return fmt.Errorf("protocol.WriteFrame: %w", ErrEmptyFrame)
	}
	if len(p) > MaxFrame {
		return fmt.Errorf("protocol.WriteFrame: %w: %d bytes, limit %d", ErrFrameTooLarge, len(p), MaxFrame)
	}
	b := make([]byte, 2+len(p))
	binary.BigEndian.PutUint16(b, uint16(len(p)))
	copy(b[2:], p)
	_, err := w.Write(b)
	return err
}

// Channel is an established Noise session over a connection.
type Channel struct {
	conn       net.Conn
	send, recv *noise.CipherState
	hh         []byte
	peer       []byte
	buf        []byte
	// MaxMessage bounds a message reassembled from fragments (default
	// protocol.MaxMessage). A node lowers it: a station never needs to send
	// more than one frame.
	MaxMessage int
}

func newState(initiator bool, local noise.DHKey, peer []byte, rnd io.Reader) (*noise.HandshakeState, error) {
	hs, err := noise.NewHandshakeState(noise.Config{
		CipherSuite:   Suite,
		Random:        rnd,
		Pattern:       noise.HandshakeIK,
		Initiator:     initiator,
		Prologue:      []byte(Prologue),
		StaticKeypair: local,
		PeerStatic:    peer,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHandshake, err)
	}
	return hs, nil
}

// ClientHandshake runs the initiator's side of the IK handshake with the node
// whose pinned static key is nodeKey. The connection's deadline bounds it.
func ClientHandshake(conn net.Conn, local noise.DHKey, nodeKey []byte, rnd io.Reader) (*Channel, error) {
	if len(nodeKey) != StaticKeyLen {
		return nil, fmt.Errorf("protocol.ClientHandshake: %w: pinned node key is %d bytes, want %d", ErrHandshake, len(nodeKey), StaticKeyLen)
	}
	hs, err := newState(true, local, nodeKey, rnd)
	if err != nil {
		return nil, fmt.Errorf("protocol.ClientHandshake: %w", err)
	}
	msg, _, _, err := hs.WriteMessage(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("protocol.ClientHandshake: %w: %v", ErrHandshake, err)
	}
	if err := WriteFrame(conn, msg); err != nil {
		return nil, fmt.Errorf("protocol.ClientHandshake: %w", err)
	}
	c := &Channel{conn: conn, buf: make([]byte, MaxFrame)}
	frame, err := ReadFrame(conn, c.buf)
	if err != nil {
		return nil, fmt.Errorf("protocol.ClientHandshake: %w: %w", ErrHandshake, err)
	}
	if _, c.send, c.recv, err = hs.ReadMessage(nil, frame); err != nil || c.send == nil {
		return nil, fmt.Errorf("protocol.ClientHandshake: %w: node's answer does not match its pinned key (%v)", ErrHandshake, err)
	}
	c.hh, c.peer = hs.ChannelBinding(), nodeKey
	return c, nil
}

// ServerHandshake runs the responder's side of the IK handshake with the
// node's static key. The connection's deadline bounds it.
func ServerHandshake(conn net.Conn, local noise.DHKey, rnd io.Reader) (*Channel, error) {
	hs, err := newState(false, local, nil, rnd)
	if err != nil {
		return nil, fmt.Errorf("protocol.ServerHandshake: %w", err)
	}
	c := &Channel{conn: conn, buf: make([]byte, MaxFrame)}
	frame, err := ReadFrame(conn, c.buf)
	if err != nil {
		return nil, fmt.Errorf("protocol.ServerHandshake: %w: %w", ErrHandshake, err)
	}
	if _, _, _, err := hs.ReadMessage(nil, frame); err != nil {
		return nil, fmt.Errorf("protocol.ServerHandshake: %w: first message does not decrypt with this node's key (%v)", ErrHandshake, err)
	}
	msg, recv, send, err := hs.WriteMessage(nil, nil)
	if err != nil || send == nil {
		return nil, fmt.Errorf("protocol.ServerHandshake: %w: %v", ErrHandshake, err)
	}
	if err := WriteFrame(conn, msg); err != nil {
		return nil, fmt.Errorf("protocol.ServerHandshake: %w", err)
	}
	c.send, c.recv, c.hh, c.peer = send, recv, hs.ChannelBinding(), hs.PeerStatic()
	return c, nil
}

// HandshakeHash is the Noise handshake hash; every signature on this channel
// covers it.
func (c *Channel) HandshakeHash() []byte { return c.hh }

// PeerStatic is the peer's Noise static public key.
func (c *Channel) PeerStatic() []byte { return c.peer }

// Send encrypts and writes one message: in one frame, or, when it does not
// fit one, as Fragment frames (docs/protocol.md, "Fragments").
func (c *Channel) Send(m Message) error {
	pt := Marshal(m)
	if len(pt) > MaxMessage {
		return fmt.Errorf("protocol.Send %s: %w: %d bytes, limit %d", m.Type(), ErrMessageTooLarge, len(pt), MaxMessage)
	}
	if len(pt)+16 <= MaxFrame {
		return c.sendFrame(m.Type(), pt)
	}
	for rest := pt; len(rest) > 0; {
		n := min(len(rest), fragmentRoom)
		f := make([]byte, 0, fragmentHead+n)
		f = binary.BigEndian.AppendUint16(f, Version)
		f = append(f, byte(MsgFragment))
		f = binary.BigEndian.AppendUint32(f, uint32(len(pt)))
		if err := c.sendFrame(m.Type(), append(f, rest[:n]...)); err != nil {
			return err
		}
		rest = rest[n:]
	}
	return nil
}

// A fragment's plaintext: version (2), type 7 (1), the whole message's
// length (4), then the next bytes of the message.
const (
	fragmentHead = 2 + 1 + 4
	fragmentRoom = MaxFrame - 16 - fragmentHead
)

func (c *Channel) sendFrame(t MsgType, pt []byte) error {
	ct, err := c.send.Encrypt(nil, nil, pt)
	if err != nil {
		return fmt.Errorf("protocol.Send %s: %w", t, err)
	}
	if err := WriteFrame(c.conn, ct); err != nil {
		return fmt.Errorf("protocol.Send %s: %w", t, err)
	}
	return nil
}

// SendPlaintext encrypts and writes p as one message without encoding it.
// It exists for conformance tests of a peer's decoders; the protocol itself
// always uses Send.
func (c *Channel) SendPlaintext(p []byte) error {
	if len(p)+16 > MaxFrame {
		return fmt.Errorf("protocol.SendPlaintext: %w: %d bytes", ErrFrameTooLarge, len(p))
	}
	ct, err := c.send.Encrypt(nil, nil, p)
	if err != nil {
		return fmt.Errorf("protocol.SendPlaintext: %w", err)
	}
	return WriteFrame(c.conn, ct)
}

// Receive reads, decrypts and decodes one message, reassembling fragments.
func (c *Channel) Receive() (Message, error) {
	pt, err := c.readPlain()
	if err != nil {
		return nil, fmt.Errorf("protocol.Receive: %w", err)
	}
	if isFragment(pt) {
		if pt, err = c.reassemble(pt); err != nil {
			return nil, fmt.Errorf("protocol.Receive: %w", err)
		}
	}
	m, err := Unmarshal(pt)
	if err != nil {
		return nil, fmt.Errorf("protocol.Receive: %w", err)
	}
	return m, nil
}

// SetDeadline bounds the next reads and writes.
func (c *Channel) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// Close closes the connection.
func (c *Channel) Close() error { return c.conn.Close() }
