package protocol

// Title partials (docs/protocol.md, "Release rounds", version 4): for a
// title registered with tracing parameters, each node's round-1 answer
// carries its partial signature on the title's tracing label, sealed to
// every custody node's custody key; the station relays them in round 2,
// where each node opens those sealed to it and combines σ_title, the seed
// of the title's Tardos biases. The station cannot open any of them.

// Bounds of title partials.
const (
	// TitlePartialLen is the size of one sealed title partial: HPKE's
	// X25519 encapsulated key (32), the partial (u16 node ‖ 48-byte G1
	// point) and the AES-GCM tag (16) (custody.TitlePartialSealedLen).
	TitlePartialLen = 32 + 2 + 48 + 16
	// MaxTitlePartials bounds the list in one message: a round-2 request
	// relays at most t answers of n entries each (n ≤ 16 custody nodes).
	MaxTitlePartials = 256
	// MaxCustodyIndex bounds From and To: custody nodes are indexed 0 to
	// 255 in genesis order.
	MaxCustodyIndex = 255
)

// TitlePartial is node From's sealed partial on a traced title's tracing
// label, for custody node To (genesis order, 0-based).
type TitlePartial struct {
	From, To uint16
	Sealed   []byte // TitlePartialLen bytes
}

// signTitlePartials appends the list to a statement: u16(count) ‖ count ×
// (u16 from ‖ u16 to ‖ u32(len) ‖ sealed).
func signTitlePartials(e *enc, ps []TitlePartial) {
	e.u16(uint16(len(ps)))
	for _, p := range ps {
		e.u16(p.From)
		e.u16(p.To)
		e.bytes(p.Sealed)
	}
}

// encodeTitlePartials: u16(count) ‖ count × (u16 from ‖ u16 to ‖
// u16(len) ‖ sealed), on the wire.
func encodeTitlePartials(e *wenc, ps []TitlePartial) {
	e.u16(uint16(len(ps)))
	for _, p := range ps {
		e.u16(p.From)
		e.u16(p.To)
		e.bytes(p.Sealed)
	}
}

func decodeTitlePartials(d *wdec) []TitlePartial {
	n := int(d.u16("title_partials"))
	if d.err != nil {
		return nil
	}
	if n > MaxTitlePartials {
		d.fail("title_partials", ErrFieldTooLong)
		return nil
	}
	var ps []TitlePartial
	for range n {
		p := TitlePartial{From: d.u16("title_partial.from"), To: d.u16("title_partial.to")}
		p.Sealed = d.bytes("title_partial.sealed", TitlePartialLen)
		if d.err != nil {
			return nil
		}
		if p.From > MaxCustodyIndex || p.To > MaxCustodyIndex {
			d.fail("title_partial.from", ErrFieldInvalid)
			return nil
		}
		if len(p.Sealed) != TitlePartialLen {
			d.fail("title_partial.sealed", ErrFieldBadLength)
			return nil
		}
		ps = append(ps, p)
	}
	return ps
}
