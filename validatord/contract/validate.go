package contract

import (
	"copystation/custody"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"copystation/keys"
	"copystation/protocol"
	"copystation/tracing/digests"
)

// checkID accepts 1 to MaxIDLen characters from [A-Za-z0-9._:-]: no slash,
// so IDs can't break the state's key layout.
func checkID(what, id string) *refusal {
	if len(id) == 0 || len(id) > MaxIDLen {
		return refuse(CodeBadField, "%s is %d bytes, want 1 to %d", what, len(id), MaxIDLen)
	}
	// by rune, not byte: the refusal names the character the sender typed
	// (a byte of a multi-byte character printed as a rune is another one)
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return refuse(CodeBadField, "%s %q has character %q; use letters, digits and . _ : -", what, id, c)
		}
	}
	return nil
}

// CheckID applies the ledger's rule for IDs, so the gateway can refuse a
// bad one before a transaction: an error wrapping CodeBadField that names
// the offending character.
func CheckID(what, id string) error {
	if r := checkID(what, id); r != nil {
		return fmt.Errorf("%w: %s", CodeBadField, r.detail)
	}
	return nil
}

func checkKey(what string, k []byte) *refusal {
	if _, err := protocol.ParsePublicKey(k); err != nil {
		return refuse(CodeBadField, "%s: %v", what, err)
	}
	return nil
}

func checkText(what, s string, max int) *refusal {
	if len(s) > max {
		return refuse(CodeBadField, "%s is %d bytes, limit %d", what, len(s), max)
	}
	return nil
}

func checkBytes(what string, p []byte, min, max int) *refusal {
	if len(p) < min || len(p) > max {
		return refuse(CodeBadField, "%s is %d bytes, want %d to %d", what, len(p), min, max)
	}
	return nil
}

// checkTitle checks a title before registration: ID, content hash, dealt
// shares' roots, one format per profile, segments in order without overlap.
func checkTitle(t *Title) *refusal {
	if r := checkID("title ID", t.ID); r != nil {
		return r
	}
	if r := checkText("title name", t.Name, MaxNameLen); r != nil {
		return r
	}
	if r := checkBytes("content hash", t.ContentHash, 32, 64); r != nil {
		return r
	}
	if len(t.ShareRoots) == 0 {
		return refuse(CodeBadField, "title %s has no dealt shares: its issuer deals the title's keys to the network's custody nodes and registers the share roots and sealed shares ('validatord title package', then 'title register'); a package key sealed to the network is not accepted", t.ID)
	}
	if len(t.Formats) == 0 || len(t.Formats) > 8 {
		return refuse(CodeBadField, "%d formats, want 1 to 8", len(t.Formats))
	}
	slices.SortFunc(t.Formats, func(a, b keys.FormatMetadata) int { return int(a.Profile) - int(b.Profile) })
	for i, f := range t.Formats {
		if i > 0 && t.Formats[i-1].Profile == f.Profile {
			return refuse(CodeBadField, "profile %#x listed twice", f.Profile)
		}
		if f.Layers != 1 && f.Layers != 2 {
			return refuse(CodeBadField, "profile %#x: %d layers, want 1 or 2", f.Profile, f.Layers)
		}
	}
	if len(t.Segments) > MaxSegments {
		return refuse(CodeBadField, "%d forensic segments, limit %d", len(t.Segments), MaxSegments)
	}
	var end uint64
	for i, s := range t.Segments {
		if s.Sectors == 0 || uint64(s.StartSector) < end {
			return refuse(CodeBadField, "forensic segment %d is empty or overlaps the one before", i)
		}
		end = uint64(s.StartSector) + uint64(s.Sectors)
	}
	return checkTracing(t)
}

// checkTracing checks a title's tracing parameters with integer and exact
// comparisons only. It does not recompute the code length M from them:
// that takes a logarithm, which in floating point could differ in its last
// bit between platforms and split the network. It need not: the
// accusation threshold keeps an innocent copy's risk at Eps1 whatever M is,
// and the packager refuses too few segments (docs/tracing.md).
func checkTracing(t *Title) *refusal {
	tr := t.Tracing
	if tr == nil {
		return nil
	}
	if err := digests.CheckParams(tr.Copies, tr.Coalition, tr.Eps1); err != nil {
		return refuse(CodeBadField, "tracing parameters: %v", err)
	}
	if len(t.Segments) == 0 {
		return refuse(CodeBadField, "tracing parameters for a title without forensic segments")
	}
	return checkBytes("trace record root", tr.Root, 32, 32)
}

// CodewordLen is the codeword length in bytes for a title: one bit per
// forensic segment, at least one byte.
func CodewordLen(t *Title) int { return max(1, (len(t.Segments)+7)/8) }

var errGenesis = errors.New("invalid genesis app state")

// ErrDepositGenesis: the genesis names a network deposit key, a key every
// node held that opened every title registered to it. No node holds or
// uses one now, and a genesis that names one was made for nodes that hold
// it, so it is refused rather than read without it.
var ErrDepositGenesis = errors.New("the genesis names a network deposit key (params.deposit_key): it was made for nodes that each hold one key opening every title, which this version neither holds nor uses; make the network again with the genesis ceremony (validatord testnet, or validatord genesis from the operators' descriptors) and register its titles dealt to the custody nodes")

// refuseDeposit refuses an app state whose params name a deposit key.
func refuseDeposit(appState []byte) error {
	var old struct {
		Params struct {
			DepositKey json.RawMessage `json:"deposit_key"`
		} `json:"params"`
	}
	if json.Unmarshal(appState, &old) == nil && len(old.Params.DepositKey) > 0 && string(old.Params.DepositKey) != "null" {
		return fmt.Errorf("%w: %w", errGenesis, ErrDepositGenesis)
	}
	return nil
}

// applyGenesis writes the genesis app state.
func applyGenesis(v *view, g *Genesis) error {
	if len(g.Operators) == 0 {
		return fmt.Errorf("%w: no operators", errGenesis)
	}
	if g.Params.MaxRetries > 100 {
		return fmt.Errorf("%w: max_retries %d, limit 100", errGenesis, g.Params.MaxRetries)
	}
	if g.Params.SpoilPeriod < 0 {
		return fmt.Errorf("%w: spoil_period %d s, want 0 (one day) or more", errGenesis, g.Params.SpoilPeriod)
	}
	if r := checkID("player_tree", g.Params.Players().ID); r != nil || g.Params.Players().Check() != nil {
		return fmt.Errorf("%w: player tree %q of depth %d: want an ID of letters, digits and . _ : - (1 to 64 bytes) and a depth of 1 to 32", errGenesis, g.Params.PlayerTree, g.Params.PlayerDepth)
	}
	if err := v.putJSON(keyParams, g.Params); err != nil {
		return err
	}
	for _, k := range g.Operators {
		if r := checkKey("operator key", k); r != nil {
			return fmt.Errorf("%w: %s", errGenesis, r.log())
		}
		id := protocol.KeyID(k)
		if err := v.putJSON(keyOperator(id), Operator{ID: id, Key: k}); err != nil {
			return err
		}
	}
	for _, is := range g.Issuers {
		if r := checkKey("issuer key", is.Key); r != nil {
			return fmt.Errorf("%w: %s", errGenesis, r.log())
		}
		is.ID = protocol.KeyID(is.Key)
		if err := v.putJSON(keyIssuer(is.ID), is); err != nil {
			return err
		}
	}
	if g.Custody != nil {
		if err := checkCustody(g.Custody); err != nil {
			return err
		}
		if err := v.putJSON(keyCustody, g.Custody); err != nil {
			return err
		}
	}
	return nil
}

// checkCustody checks the ceremony's outcome is self-consistent: a group
// for as many nodes as listed, its threshold the one stated and allowed.
func checkCustody(c *Custody) error {
	g, err := custody.UnmarshalGroup(c.Group)
	if err != nil {
		return fmt.Errorf("%w: custody group: %v", errGenesis, err)
	}
	switch {
	case g.N() != len(c.Nodes):
		return fmt.Errorf("%w: custody group for %d nodes, %d listed", errGenesis, g.N(), len(c.Nodes))
	case g.T() != c.Threshold:
		return fmt.Errorf("%w: custody group of threshold %d, %d stated", errGenesis, g.T(), c.Threshold)
	}
	for i, n := range c.Nodes {
		if len(n.CustodyKey) != 32 {
			return fmt.Errorf("%w: custody node %d: custody key of %d bytes, want 32", errGenesis, i, len(n.CustodyKey))
		}
		if _, err := custody.ParseDKGPublic(n.DKGKey); err != nil {
			return fmt.Errorf("%w: custody node %d: %v", errGenesis, i, err)
		}
	}
	return nil
}
