package protocol

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"io"
	"net"
	"testing"
)

// FuzzUnmarshal: any bytes decode to a message that re-encodes to the same
// bytes, or to a *DecodeError; never a panic.
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte{0, 1, 1})
	tp := []TitlePartial{{From: 2, To: 3, Sealed: make([]byte, TitlePartialLen)}}
	f.Add(Marshal(&KeyRequestMsg{StationID: "s", JobID: "j", MediaID: []byte{1}, Sigma: make([]byte, SigmaLen), TitlePartials: tp}))
	f.Add(Marshal(&KeyReleaseMsg{JobID: "j", Format: Format{Profile: 0x41, Layers: 1}, TitlePartials: tp}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Unmarshal(%x) error %v is not a *DecodeError", b, err)
			}
			return
		}
		if got := Marshal(m); !bytes.Equal(got, b) {
			t.Fatalf("Marshal(Unmarshal(%x)) = %x, want the input", b, got)
		}
	})
}

// FuzzDecodeGrant: same property for the customer's grant.
func FuzzDecodeGrant(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := DecodeGrant(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("DecodeGrant(%x) error %v is not a *DecodeError", b, err)
			}
			return
		}
		if got := g.Encode(); !bytes.Equal(got, b) {
			t.Fatalf("Encode(DecodeGrant(%x)) = %x, want the input", b, got)
		}
		_ = g.Verify(nil) // must not panic on any key or signature
	})
}

// FuzzReadFrame: frames are bounded and never read past their length.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0, 1, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		buf := make([]byte, MaxFrame)
		for {
			p, err := ReadFrame(r, buf)
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, ErrTruncated) ||
					errors.Is(err, ErrEmptyFrame) || errors.Is(err, ErrFrameTooLarge) {
					return
				}
				t.Fatalf("ReadFrame error %v is not a framing error", err)
			}
			if len(p) == 0 || len(p) > MaxFrame {
				t.Fatalf("ReadFrame returned %d bytes, want 1..%d", len(p), MaxFrame)
			}
		}
	})
}

// byteConn is a net.Conn that reads from fixed bytes and discards writes.
type byteConn struct {
	net.Conn
	r *bytes.Reader
}

func (c byteConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c byteConn) Write(p []byte) (int, error) { return len(p), nil }

// FuzzServerHandshake: whatever a station sends before and after the
// handshake, the node's side ends with an error or a message, never a
// panic or a read past the input.
func FuzzServerHandshake(f *testing.F) {
	key, _ := GenerateStaticKey(bytes.NewReader(make([]byte, 64)))
	// A well-formed first message for this key, then a garbage frame.
	st, _ := GenerateStaticKey(bytes.NewReader(bytes.Repeat([]byte{1}, 64)))
	hs, _ := newState(true, st, key.Public, bytes.NewReader(bytes.Repeat([]byte{2}, 64)))
	msg, _, _, _ := hs.WriteMessage(nil, nil)
	first := append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)
	f.Add(first)
	f.Add(append(first, 0, 3, 1, 2, 3))
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		rnd := bytes.NewReader(bytes.Repeat([]byte{3}, 64))
		ch, err := ServerHandshake(byteConn{r: bytes.NewReader(b)}, key, rnd)
		if err != nil {
			if !errors.Is(err, ErrHandshake) {
				t.Fatalf("ServerHandshake error %v is not %v", err, ErrHandshake)
			}
			return
		}
		if _, err := ch.Receive(); err == nil {
			return
		}
	})
}

// FuzzClientHandshake: whatever a node (or something posing as one) sends
// back, the station's side ends with a typed error or a message, never a
// panic or a read past the input. The seeds are a genuine answer to the
// station's first message, alone and followed by a challenge.
func FuzzClientHandshake(f *testing.F) {
	node, _ := GenerateStaticKey(bytes.NewReader(make([]byte, 64)))
	st, _ := GenerateStaticKey(bytes.NewReader(bytes.Repeat([]byte{1}, 64)))
	stationRandom := func() io.Reader { return bytes.NewReader(bytes.Repeat([]byte{2}, 64)) }
	// Play the node's side against the station's (deterministic) first
	// message to get an answer the station accepts.
	ini, _ := newState(true, st, node.Public, stationRandom())
	first, _, _, _ := ini.WriteMessage(nil, nil)
	resp, _ := newState(false, node, nil, bytes.NewReader(bytes.Repeat([]byte{4}, 64)))
	if _, _, _, err := resp.ReadMessage(nil, first); err != nil {
		f.Fatalf("node side ReadMessage = %v", err)
	}
	answer, _, send, err := resp.WriteMessage(nil, nil)
	if err != nil {
		f.Fatalf("node side WriteMessage = %v", err)
	}
	frame := func(p []byte) []byte { return append([]byte{byte(len(p) >> 8), byte(len(p))}, p...) }
	chal := Marshal(&ChallengeMsg{Nonce: bytes.Repeat([]byte{5}, NonceLen), NodeID: KeyID(node.Public),
		Expiry: 1795000000, HandshakeHash: resp.ChannelBinding(), ChainID: "copystation-fuzz"})
	ct, err := send.Encrypt(nil, nil, chal)
	if err != nil {
		f.Fatalf("Encrypt(challenge) = %v", err)
	}
	// The seed must really get through, or the fuzzer never reaches Receive.
	ch, err := ClientHandshake(byteConn{r: bytes.NewReader(append(frame(answer), frame(ct)...))}, st, node.Public, stationRandom())
	if err != nil {
		f.Fatalf("ClientHandshake(genuine answer) = %v", err)
	}
	if m, err := ch.Receive(); err != nil || !isChallengeFor(m, ch.HandshakeHash()) {
		f.Fatalf("Receive(genuine challenge) = %v, %v; want the challenge bound to this handshake", m, err)
	}
	f.Add(frame(answer))
	f.Add(append(frame(answer), frame(ct)...))
	f.Add(append(frame(answer), 0, 3, 1, 2, 3))
	f.Add([]byte{0, 0})
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		ch, err := ClientHandshake(byteConn{r: bytes.NewReader(b)}, st, node.Public, stationRandom())
		if err != nil {
			if !errors.Is(err, ErrHandshake) {
				t.Fatalf("ClientHandshake error %v is not %v", err, ErrHandshake)
			}
			return
		}
		for {
			_, err := ch.Receive()
			if err == nil {
				continue
			}
			var de *DecodeError
			if !errors.Is(err, io.EOF) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrEmptyFrame) &&
				!errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, ErrDecrypt) && !errors.As(err, &de) {
				t.Fatalf("Receive error %v is not a framing, decryption or decoding error", err)
			}
			return
		}
	})
}

func isChallengeFor(m Message, hh []byte) bool {
	c, ok := m.(*ChallengeMsg)
	return ok && bytes.Equal(c.HandshakeHash, hh)
}

// FuzzVerifySignature feeds any bytes as a signature: Verify answers with
// an error or nil, never panics, and anything it accepts is the canonical
// low-S DER form (what lowS would make of it).
func FuzzVerifySignature(f *testing.F) {
	k := exampleKey(f, "station")
	pub := pubBytes(f, k)
	st := &CopyReport{ChainID: "c", JobID: "j", MediaID: []byte{1}, Outcome: OutcomeSpoiled}
	good, err := Sign(nil, k, st)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(append(append([]byte{}, good...), 0))
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0, 0})
	f.Fuzz(func(t *testing.T, sig []byte) {
		if Verify(pub, st, sig) != nil {
			return
		}
		canon, err := lowS(sig)
		if err != nil || !bytes.Equal(canon, sig) {
			t.Fatalf("Verify accepted %x, whose canonical form is %x (%v)", sig, canon, err)
		}
	})
}

// FuzzCheckLowS: checkLowS accepts exactly what the encoding/asn1 reading
// it replaced accepted: one DER SEQUENCE of two INTEGERs that re-encodes to
// the same bytes, 1 <= r < n, 1 <= s <= n/2.
func FuzzCheckLowS(f *testing.F) {
	k := exampleKey(f, "station")
	good, err := Sign(nil, k, &CopyReport{ChainID: "c", JobID: "j", MediaID: []byte{1}, Outcome: OutcomeSpoiled})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(append(append([]byte{}, good...), 0))
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01})
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0xff, 0x02, 0x01, 0x01})
	f.Add([]byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01})
	f.Add([]byte{0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0, 0})
	body := append([]byte{0x02, 0x01, 0x01, 0x02, 0x21, 0x00}, p256NBytes...) // r = 1, s = n
	f.Add(append([]byte{0x30, byte(len(body))}, body...))
	f.Fuzz(func(t *testing.T, sig []byte) {
		got, want := checkLowS(sig), asn1CheckLowS(sig)
		if (got == nil) != want {
			t.Fatalf("checkLowS(%x) = %v, encoding/asn1 reading accepts: %v", sig, got, want)
		}
		if got != nil && !errors.Is(got, ErrBadSignature) {
			t.Fatalf("checkLowS(%x) = %v, not ErrBadSignature", sig, got)
		}
	})
}

// asn1CheckLowS is checkLowS as it was written with encoding/asn1, the
// reference FuzzCheckLowS holds the byte-level reading to.
func asn1CheckLowS(sig []byte) bool {
	var v ecdsaSig
	rest, err := asn1.Unmarshal(sig, &v)
	if err != nil || len(rest) != 0 {
		return false
	}
	if v.R.Sign() <= 0 || v.S.Sign() <= 0 || v.R.Cmp(p256N) >= 0 || v.S.Cmp(p256N) >= 0 {
		return false
	}
	if der, err := asn1.Marshal(v); err != nil || !bytes.Equal(der, sig) {
		return false
	}
	return v.S.Cmp(p256HalfN) <= 0
}
