package contract

import "copystation/keys"

// Records are stored as JSON of these structs: field order is fixed, no maps
// and no floats, so the encoding is deterministic on every node.

// Params are the chain-wide settings from the genesis app state.
type Params struct {
	// MaxRetries bounds how many times a spoiled copy may be retried under
	// one spend.
	MaxRetries uint32 `json:"max_retries"`
	// SpoilLimit is every station's default limit of retries after
	// spoiled discs per SpoilPeriod (0: none); TxSetSpoilLimit sets a
	// station's own.
	SpoilLimit uint32 `json:"spoil_limit,omitempty"`
	// SpoilPeriod is the length in seconds of block time over which spoils
	// are counted (0: DefaultSpoilPeriod).
	SpoilPeriod int64 `json:"spoil_period,omitempty"`
	// PlayerTree and PlayerDepth name the network's player tree (empty
	// and 0: DefaultPlayerTree, playertree.DefaultDepth).
	PlayerTree  string `json:"player_tree,omitempty"`
	PlayerDepth uint8  `json:"player_depth,omitempty"`
	// Arbiter is the SEC1 P-256 key of the arbiter who, besides a title's
	// issuer, may request openings and accuse (docs/tracing.md).
	Arbiter []byte `json:"arbiter,omitempty"`
}

// Genesis is the app state in the CometBFT genesis file.
type Genesis struct {
	Params    Params   `json:"params"`
	Operators [][]byte `json:"operators"` // SEC1 P-256 public keys
	Issuers   []Issuer `json:"issuers,omitempty"`
	// Custody is the network's public key material for threshold custody,
	// made by the genesis ceremony (docs/key-custody.md).
	Custody *Custody `json:"custody,omitempty"`
	// Validators names the operator governing each genesis validator
	// (validator set changes, docs/contract.md); one not listed is
	// governed by the first operator.
	Validators []GenesisValidator `json:"validators,omitempty"`
}

// Custody is the public outcome of the genesis ceremony.
type Custody struct {
	// Threshold is t: how many nodes together release a copy's keys.
	Threshold int `json:"threshold"`
	// Group is the distributed key generation's public polynomial
	// (custody.Group encoding): the group key and every node's public
	// share, to check a node's partial signature.
	Group []byte `json:"group"`
	// Nodes are in genesis order, which fixes each node's share index.
	Nodes []CustodyNode `json:"nodes"`
}

// CustodyNode is one node's public custody keys.
type CustodyNode struct {
	Name string `json:"name"`
	// CustodyKey is the X25519 public key issuers seal title shares to.
	CustodyKey []byte `json:"custody_key"`
	// DKGKey is the node's ceremony key (compressed G2).
	DKGKey []byte `json:"dkg_key"`
}

// Operator governs the network: adds issuers, enrolls and revokes stations.
type Operator struct {
	ID  string `json:"id"`
	Key []byte `json:"key"`
	// Departed is the height at which the operator's last validator left
	// the set (TxProposeValidator); it governs nothing from then on.
	Departed int64 `json:"departed,omitempty"`
}

// Issuer is a content owner: it registers titles and mints their tokens.
type Issuer struct {
	ID   string `json:"id"` // protocol.KeyID(Key)
	Key  []byte `json:"key"`
	Name string `json:"name"`
}

// Segment is one forensic segment of a title's image: sectors that come in
// two variants, chosen per copy by one codeword bit.
type Segment struct {
	StartSector uint32 `json:"start_sector"`
	Sectors     uint32 `json:"sectors"`
}

// Title is a registered film.
type Title struct {
	ID          string                `json:"id"`
	Issuer      string                `json:"issuer"`
	Name        string                `json:"name"`
	ContentHash []byte                `json:"content_hash"`
	Formats     []keys.FormatMetadata `json:"formats"` // one per disc profile, sorted by profile
	Segments    []Segment             `json:"segments"`
	// ShareRoots are the issuer's Merkle roots R_i (32 bytes each) over
	// node i's dealt title shares, in genesis custody order: what a node's
	// release is checked against. Every title has them: its keys exist only
	// as those shares (docs/key-custody.md). The sealed shares themselves are stored
	// apart (App.TitleShares), so reading a title does not read them.
	ShareRoots [][]byte `json:"share_roots,omitempty"`
	// Epoch is the custody epoch the issuer dealt to (0: genesis): its
	// roots and blobs hold until a later epoch's record reshares them.
	Epoch  uint32 `json:"epoch,omitempty"`
	Height int64  `json:"height"`
	// Tracing is the title's tracing parameters and trace record root
	// (docs/tracing.md); absent, copies of the title cannot be traced.
	Tracing *TitleTracing `json:"tracing,omitempty"`
}

// TitleTracing is what registration records for tracing a title's copies:
// the Tardos parameters (N, C, Eps1) and the Merkle root of the issuer's
// trace record (tracing/digests), which holds both variants' digests of
// every segment. Eps1 is text (digests.FormatEps1), never a float.
type TitleTracing struct {
	Copies    uint64 `json:"copies"`
	Coalition int    `json:"coalition"`
	Eps1      string `json:"eps1"`
	Root      []byte `json:"digests_root"`
}

// Format returns the title's format metadata for a disc profile.
func (t *Title) Format(profile uint16) (keys.FormatMetadata, bool) {
	for _, f := range t.Formats {
		if f.Profile == profile {
			return f, true
		}
	}
	return keys.FormatMetadata{}, false
}

// Station states.
const (
	StationActive  = "active"
	StationRevoked = "revoked"
)

// Station is an enrolled copy station.
type Station struct {
	ID              string   `json:"id"`          // protocol.KeyID(SigningKey)
	SigningKey      []byte   `json:"signing_key"` // SEC1 P-256, TPM-resident
	KeyAgreementKey []byte   `json:"key_agreement_key"`
	Profiles        []uint16 `json:"profiles"` // allowed disc profiles
	Status          string   `json:"status"`
	EvidenceDigest  []byte   `json:"evidence_digest,omitempty"`
	EnrolledBy      string   `json:"enrolled_by"`
	EnrolledHeight  int64    `json:"enrolled_height"`
	RevokedReason   string   `json:"revoked_reason,omitempty"`
	RevokedHeight   int64    `json:"revoked_height,omitempty"`
}

// Allows reports whether the station may write a disc profile.
func (s *Station) Allows(profile uint16) bool {
	for _, p := range s.Profiles {
		if p == profile {
			return true
		}
	}
	return false
}

// Token states.
const (
	TokenUnspent = "unspent"
	TokenSpent   = "spent"
)

// Token is a right to make one copy of a title.
type Token struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Owner   []byte `json:"owner"` // SEC1 P-256 public key
	OwnerID string `json:"owner_id"`
	State   string `json:"state"`
	Job     string `json:"job,omitempty"` // the job that spent it
	Height  int64  `json:"height"`
}

// Attempt outcomes.
const (
	OutcomePending = "pending"
	OutcomeMade    = "made"
	OutcomeSpoiled = "spoiled"
)

// Attempt is one disc written under a spend: the first, or a retry after a
// spoiled disc.
type Attempt struct {
	MediaID []byte `json:"media_id"`
	Height  int64  `json:"height"`
	TxHash  []byte `json:"tx_hash"`
	// Statement is the StatementDigest of the spend that opened the
	// attempt: the attempt's identity whatever bytes carried it.
	Statement    []byte `json:"statement,omitempty"`
	Time         int64  `json:"time"` // block time, Unix seconds
	Outcome      string `json:"outcome"`
	DiscDigest   []byte `json:"disc_digest,omitempty"`
	Reason       string `json:"reason,omitempty"`
	ReportDigest []byte `json:"report_digest,omitempty"`
	ReportHeight int64  `json:"report_height,omitempty"`
}

// Copy is the record of one spend (one job) and its attempts.
type Copy struct {
	JobID    string    `json:"job_id"`
	Token    string    `json:"token"`
	Title    string    `json:"title"`
	Station  string    `json:"station"`
	Profile  uint16    `json:"profile"`
	Attempts []Attempt `json:"attempts"`
}

// Current is the copy's latest attempt.
func (c *Copy) Current() *Attempt { return &c.Attempts[len(c.Attempts)-1] }

// Retries is how many attempts followed the first.
func (c *Copy) Retries() int { return len(c.Attempts) - 1 }

// Receipt locates the committed transaction that authorised an attempt.
type Receipt struct {
	Height  int64  `json:"height"`
	TxHash  []byte `json:"tx_hash"`
	Attempt int    `json:"attempt"` // 0 for the first disc, n for the n-th retry
}
