package custody

import (
	"fmt"

	"go.dedis.ch/kyber/v4"
	dkg "go.dedis.ch/kyber/v4/share/dkg/pedersen"
)

// Encodings of kyber's three DKG bundles, exchanged between operators as
// files. Each is magic ‖ fields ‖ u16-prefixed session ID ‖ u16-prefixed
// signature; indices are u32 as in kyber; counts u16, at most MaxNodes.
// Decoders only parse: signatures and session are checked by the Ceremony.
const (
	dealMagic     = "copystation dkg deal v1"
	responseMagic = "copystation dkg response v1"
	justifMagic   = "copystation dkg justification v1"

	cipherLen = G2Len + ScalarLen + 16 // ECIES: ephemeral G2 point ‖ AES-GCM(share)
	sigLen    = G2Len + ScalarLen      // Schnorr on G2: R ‖ s
)

func appendTail(b, session, sig []byte) []byte {
	return appendField(appendField(b, session), sig)
}

func (r *reader) tail() (session, sig []byte) {
	return r.field(dkg.NonceLength, dkg.NonceLength, "session ID"), r.pointed(sigLen, "signature")
}

// pointed reads u16(n) ‖ n bytes, n fixed, that start with a G2 point kyber
// will decode (a Schnorr R, an ECIES ephemeral key): the point must carry the
// compressed flag, which keeps circl's SetBytes from slicing past it.
func (r *reader) pointed(n int, what string) []byte {
	b := r.field(n, n, what)
	if r.err == nil && !compressed(b) {
		r.fail("%s: does not start with a compressed G2 point", what)
		return nil
	}
	return b
}

func (r *reader) index(what string) uint32 {
	i := r.u32(what)
	if r.err == nil && i >= MaxNodes {
		r.fail("%s %d, want below %d", what, i, MaxNodes)
	}
	return uint32(i)
}

func encodeDeal(d *dkg.DealBundle) ([]byte, error) {
	b := appendMagic(nil, dealMagic)
	b = appendU32(b, int(d.DealerIndex))
	b = appendU16(b, len(d.Public))
	for _, p := range d.Public {
		pb, err := p.MarshalBinary()
		if err != nil {
			return nil, err
		}
		b = append(b, pb...)
	}
	b = appendU16(b, len(d.Deals))
	for _, dl := range d.Deals {
		b = appendU32(b, int(dl.ShareIndex))
		b = appendField(b, dl.EncryptedShare)
	}
	return appendTail(b, d.SessionID, d.Signature), nil
}

// DecodeDeal parses a deal bundle file.
func DecodeDeal(b []byte) (*dkg.DealBundle, error) {
	r := &reader{op: "custody.DecodeDeal", b: b}
	r.magic(dealMagic)
	d := &dkg.DealBundle{DealerIndex: r.index("dealer index")}
	nc := r.count(1, MaxNodes, "commitment count")
	for i := 0; i < nc && r.err == nil; i++ {
		d.Public = append(d.Public, r.g2("commitment"))
	}
	nd := r.count(0, MaxNodes, "deal count")
	for i := 0; i < nd && r.err == nil; i++ {
		d.Deals = append(d.Deals, dkg.Deal{ShareIndex: r.index("share index"), EncryptedShare: r.pointed(cipherLen, "encrypted share")})
	}
	d.SessionID, d.Signature = r.tail()
	if err := r.done(); err != nil {
		return nil, err
	}
	return d, nil
}

func encodeResponse(rb *dkg.ResponseBundle) []byte {
	b := appendMagic(nil, responseMagic)
	b = appendU32(b, int(rb.ShareIndex))
	b = appendU16(b, len(rb.Responses))
	for _, x := range rb.Responses {
		b = appendU32(b, int(x.DealerIndex))
		b = append(b, byte(x.Status))
	}
	return appendTail(b, rb.SessionID, rb.Signature)
}

// DecodeResponse parses a response bundle file.
func DecodeResponse(b []byte) (*dkg.ResponseBundle, error) {
	r := &reader{op: "custody.DecodeResponse", b: b}
	r.magic(responseMagic)
	rb := &dkg.ResponseBundle{ShareIndex: r.index("share index")}
	n := r.count(1, MaxNodes, "response count")
	for i := 0; i < n && r.err == nil; i++ {
		x := dkg.Response{DealerIndex: r.index("dealer index")}
		st := r.u8("status")
		if r.err == nil && st != int(dkg.Success) && st != int(dkg.Complaint) {
			r.fail("status %d, want 0 or 1", st)
		}
		x.Status = dkg.Status(st)
		rb.Responses = append(rb.Responses, x)
	}
	rb.SessionID, rb.Signature = r.tail()
	if err := r.done(); err != nil {
		return nil, err
	}
	return rb, nil
}

func encodeJustification(j *dkg.JustificationBundle) ([]byte, error) {
	b := appendMagic(nil, justifMagic)
	b = appendU32(b, int(j.DealerIndex))
	b = appendU16(b, len(j.Justifications))
	for _, x := range j.Justifications {
		s, err := x.Share.MarshalBinary()
		if err != nil {
			return nil, err
		}
		b = appendU32(b, int(x.ShareIndex))
		b = append(b, s...)
	}
	return appendTail(b, j.SessionID, j.Signature), nil
}

// DecodeJustification parses a justification bundle file.
func DecodeJustification(b []byte) (*dkg.JustificationBundle, error) {
	r := &reader{op: "custody.DecodeJustification", b: b}
	r.magic(justifMagic)
	j := &dkg.JustificationBundle{DealerIndex: r.index("dealer index")}
	n := r.count(1, MaxNodes, "justification count")
	for i := 0; i < n && r.err == nil; i++ {
		idx := r.index("share index")
		var s kyber.Scalar = r.scalar("share")
		j.Justifications = append(j.Justifications, dkg.Justification{ShareIndex: idx, Share: s})
	}
	j.SessionID, j.Signature = r.tail()
	if err := r.done(); err != nil {
		return nil, err
	}
	return j, nil
}

// decodeAll decodes every file with dec, dropping (and naming) any that does
// not parse or is not signed by the node it names for this session.
func decodeAll[T dkg.Packet](c *dkg.Config, files [][]byte, dec func([]byte) (T, error), bad *[]*NodeError) []T {
	var out []T
	for i, f := range files {
		p, err := dec(f)
		if err != nil {
			*bad = append(*bad, &NodeError{Node: -1, Err: fmt.Errorf("%w: file %d: %v", ErrBadBundle, i, err)})
			continue
		}
		if err := dkg.VerifyPacketSignature(c, p); err != nil {
			*bad = append(*bad, &NodeError{Node: int(p.Index()), Err: fmt.Errorf("%w: signature: %v", ErrBadBundle, err)})
			continue
		}
		out = append(out, p)
	}
	return out
}
