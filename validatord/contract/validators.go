package contract

import (
	"bytes"
	"fmt"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"

	"copystation/protocol"
)

// Validator set changes voted by the operators (docs/contract.md,
// "Validator set changes"): an operator proposes to add or remove a
// validator, the operators vote, and once the operators of more than 2/3
// of the current voting power approve, FinalizeBlock returns the change to
// CometBFT as a ValidatorUpdate (in force two heights later).
const (
	TxProposeValidator TxType = 24
	TxVoteValidator    TxType = 25
)

// Refusals of validator set changes.
const (
	CodeUnknownProposal  Code = 44
	CodeAlreadyVoted     Code = 45
	CodeNoVotingPower    Code = 46
	CodeTooFewValidators Code = 47
)

// Bounds of the validator set.
const (
	// MinValidators is the smallest set a removal may leave: 3f+1 with
	// f = 1, the least that survives one faulty node.
	MinValidators = 4
	// MaxValidators bounds the set (CometBFT's blocks carry every vote).
	MaxValidators = 64
	// MaxPower bounds one validator's voting power.
	MaxPower = 1_000_000
)

// Kinds of proposals.
const (
	ProposeAdd    = "add"
	ProposeRemove = "remove"
)

// Statuses of a proposal.
const (
	ProposalOpen   = "open"
	ProposalPassed = "passed"
)

const keyValidators = "p/validators"

func keyProposal(id string) string { return "g/" + id }

// GenesisValidator names the operator who governs a genesis validator. A
// genesis validator not listed is governed by the first genesis operator.
type GenesisValidator struct {
	PubKey   []byte `json:"pub_key"`  // CometBFT ed25519 public key, 32 bytes
	Operator []byte `json:"operator"` // SEC1 P-256 operator key
}

// NodeDescriptor is a validator's public description, as the ceremony's
// node descriptor carries it (docs/genesis.md): what the other operators
// and stations need to reach and trust the node. Every field is optional
// except the validator key, which the proposal carries apart.
type NodeDescriptor struct {
	Moniker    string `json:"moniker,omitempty"`
	NodeID     string `json:"node_id,omitempty"`     // CometBFT p2p ID, 40 hex digits
	P2P        string `json:"p2p,omitempty"`         // host:port
	Gateway    string `json:"gateway,omitempty"`     // host:port of the station gateway
	NoiseKey   []byte `json:"noise_key,omitempty"`   // X25519, 32 bytes
	SignerKey  []byte `json:"signer_key,omitempty"`  // SEC1 P-256, 65 bytes
	CustodyKey []byte `json:"custody_key,omitempty"` // X25519, 32 bytes
	DKGKey     []byte `json:"dkg_key,omitempty"`     // BLS12-381 G2 compressed, 96 bytes
}

// Validator is one member of the validator set as the contract keeps it.
type Validator struct {
	PubKey     []byte         `json:"pub_key"` // ed25519, 32 bytes
	Power      int64          `json:"power"`
	Operator   string         `json:"operator"` // KeyID of the governing operator
	Descriptor NodeDescriptor `json:"descriptor"`
	Height     int64          `json:"height"` // when it joined (0: genesis)
}

// ValidatorSet is the current set, sorted by public key.
type ValidatorSet struct {
	Validators []Validator `json:"validators"`
}

// ProposeValidatorBody is TxProposeValidator's body. For a removal only
// PubKey counts; for an addition Operator is the key of the operator who
// will run the node (it becomes an operator of the network).
type ProposeValidatorBody struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"` // ProposeAdd or ProposeRemove
	PubKey     []byte         `json:"pub_key"`
	Power      int64          `json:"power,omitempty"`
	Operator   []byte         `json:"operator,omitempty"`
	Descriptor NodeDescriptor `json:"descriptor"`
}

// VoteValidatorBody is TxVoteValidator's body: an approval (there is no
// vote against; a proposal that never gathers the power stays open).
type VoteValidatorBody struct {
	ID string `json:"id"`
}

// Proposal is a recorded validator set change and its approvals.
type Proposal struct {
	ID       string         `json:"id"`
	Kind     string         `json:"kind"`
	PubKey   []byte         `json:"pub_key"`
	Power    int64          `json:"power"`
	Operator []byte         `json:"operator,omitempty"`
	Desc     NodeDescriptor `json:"descriptor"`
	Proposer string         `json:"proposer"`
	Votes    []string       `json:"votes"` // operator KeyIDs, sorted
	Status   string         `json:"status"`
	Height   int64          `json:"height"`
	Passed   int64          `json:"passed_height,omitempty"`
}

// genesisValidators records the genesis validator set with the operator
// governing each.
func genesisValidators(v *view, g *Genesis, vals []abci.ValidatorUpdate) error {
	if len(vals) == 0 {
		return nil
	}
	ops := map[string][]byte{}
	for _, gv := range g.Validators {
		if len(gv.PubKey) != ed25519.PubKeySize || checkKey("validator operator", gv.Operator) != nil {
			return fmt.Errorf("%w: a validator's operator entry needs a 32-byte ed25519 key and a SEC1 P-256 operator key", errGenesis)
		}
		ops[string(gv.PubKey)] = gv.Operator
	}
	var set ValidatorSet
	for _, u := range vals {
		op, ok := ops[string(u.PubKeyBytes)]
		if !ok {
			op = g.Operators[0]
		}
		id := protocol.KeyID(op)
		if found, err := v.getJSON(keyOperator(id), &Operator{}); err != nil || !found {
			if err := v.putJSON(keyOperator(id), Operator{ID: id, Key: op}); err != nil {
				return err
			}
		}
		set.Validators = append(set.Validators, Validator{PubKey: u.PubKeyBytes, Power: u.Power, Operator: id})
	}
	return putValidators(v, &set)
}

func getValidators(v *view) (*ValidatorSet, error) {
	var set ValidatorSet
	_, err := v.getJSON(keyValidators, &set)
	return &set, err
}

func putValidators(v *view, set *ValidatorSet) error {
	slices.SortFunc(set.Validators, func(a, b Validator) int { return bytes.Compare(a.PubKey, b.PubKey) })
	return v.putJSON(keyValidators, set)
}

func (s *ValidatorSet) find(pub []byte) int {
	return slices.IndexFunc(s.Validators, func(x Validator) bool { return bytes.Equal(x.PubKey, pub) })
}

// power is the set's total and the part governed by the given operators.
func (s *ValidatorSet) power(ops []string) (total, approving int64) {
	for _, x := range s.Validators {
		total += x.Power
		if slices.Contains(ops, x.Operator) {
			approving += x.Power
		}
	}
	return total, approving
}

func checkDescriptor(d *NodeDescriptor) *refusal {
	for _, c := range []*refusal{
		checkText("moniker", d.Moniker, MaxNameLen), checkText("node id", d.NodeID, 40),
		checkText("p2p address", d.P2P, MaxNameLen), checkText("gateway address", d.Gateway, MaxNameLen),
		checkBytes("noise key", d.NoiseKey, 0, 32), checkBytes("custody key", d.CustodyKey, 0, 32),
		checkBytes("DKG key", d.DKGKey, 0, 96), checkBytes("signer key", d.SignerKey, 0, keyLenSEC1),
	} {
		if c != nil {
			return c
		}
	}
	return nil
}

func (e *execEnv) proposeValidator(v *view, t *Tx) (*refusal, error) {
	if r, err := e.requireOperator(v, t); r != nil || err != nil {
		return r, err
	}
	var b ProposeValidatorBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	if r := checkID("proposal ID", b.ID); r != nil {
		return r, nil
	}
	if r := checkBytes("validator key", b.PubKey, ed25519.PubKeySize, ed25519.PubKeySize); r != nil {
		return r, nil
	}
	if r := checkDescriptor(&b.Descriptor); r != nil {
		return r, nil
	}
	if p, err := v.get(keyProposal(b.ID)); err != nil || p != nil {
		return refuse(CodeBadField, "proposal ID %s is already used; choose another", b.ID), err
	}
	set, err := getValidators(v)
	if err != nil {
		return nil, err
	}
	switch b.Kind {
	case ProposeAdd:
		if b.Power < 1 || b.Power > MaxPower {
			return refuse(CodeBadField, "power %d, want 1 to %d", b.Power, MaxPower), nil
		}
		if r := checkKey("operator key", b.Operator); r != nil {
			return r, nil
		}
		if set.find(b.PubKey) >= 0 {
			return refuse(CodeBadField, "validator %X is already in the set", b.PubKey), nil
		}
	case ProposeRemove:
		if set.find(b.PubKey) < 0 {
			return refuse(CodeBadField, "validator %X is not in the set", b.PubKey), nil
		}
		b.Power, b.Operator = 0, nil
		if len(set.Validators)-1 < MinValidators {
			return refuse(CodeTooFewValidators, "removing %X leaves %d validators", b.PubKey, len(set.Validators)-1), nil
		}
	default:
		return refuse(CodeBadField, "kind %q, want %q or %q", b.Kind, ProposeAdd, ProposeRemove), nil
	}
	p := &Proposal{ID: b.ID, Kind: b.Kind, PubKey: b.PubKey, Power: b.Power, Operator: b.Operator, Desc: b.Descriptor,
		Proposer: protocol.KeyID(t.Signer), Status: ProposalOpen, Height: e.height}
	return e.approve(v, set, p, p.Proposer)
}

func (e *execEnv) voteValidator(v *view, t *Tx) (*refusal, error) {
	if r, err := e.requireOperator(v, t); r != nil || err != nil {
		return r, err
	}
	var b VoteValidatorBody
	if r := decodeBody(t, &b); r != nil {
		return r, nil
	}
	var p Proposal
	if found, err := v.getJSON(keyProposal(b.ID), &p); err != nil || !found {
		return refuse(CodeUnknownProposal, "proposal %q", b.ID), err
	}
	if p.Status != ProposalOpen {
		return refuse(CodeUnknownProposal, "proposal %s %s at height %d and takes no more votes", p.ID, p.Status, p.Passed), nil
	}
	voter := protocol.KeyID(t.Signer)
	if slices.Contains(p.Votes, voter) {
		return refuse(CodeAlreadyVoted, "operator %s already approved proposal %s", voter, p.ID), nil
	}
	set, err := getValidators(v)
	if err != nil {
		return nil, err
	}
	return e.approve(v, set, &p, voter)
}

// approve adds an operator's approval and, once the approving operators
// govern more than 2/3 of the current power, applies the change.
func (e *execEnv) approve(v *view, set *ValidatorSet, p *Proposal, voter string) (*refusal, error) {
	if _, mine := set.power([]string{voter}); mine == 0 {
		return refuse(CodeNoVotingPower, "operator %s governs no validator of the current set", voter), nil
	}
	p.Votes = append(p.Votes, voter)
	slices.Sort(p.Votes)
	total, yes := set.power(p.Votes)
	if 3*yes <= 2*total {
		return nil, v.putJSON(keyProposal(p.ID), p)
	}
	i := set.find(p.PubKey)
	switch {
	case p.Kind == ProposeAdd && i >= 0:
		return refuse(CodeBadField, "validator %X joined the set since proposal %s", p.PubKey, p.ID), nil
	case p.Kind == ProposeAdd && len(set.Validators) >= MaxValidators:
		return refuse(CodeBadField, "the set already has %d validators, the limit", MaxValidators), nil
	case p.Kind == ProposeAdd:
		opID := protocol.KeyID(p.Operator)
		if found, err := v.getJSON(keyOperator(opID), &Operator{}); err != nil {
			return nil, err
		} else if !found {
			if err := v.putJSON(keyOperator(opID), Operator{ID: opID, Key: p.Operator}); err != nil {
				return nil, err
			}
		}
		set.Validators = append(set.Validators, Validator{PubKey: p.PubKey, Power: p.Power, Operator: opID, Descriptor: p.Desc, Height: e.height})
	case i < 0:
		return refuse(CodeBadField, "validator %X left the set since proposal %s", p.PubKey, p.ID), nil
	case len(set.Validators)-1 < MinValidators:
		return refuse(CodeTooFewValidators, "removing %X leaves %d validators", p.PubKey, len(set.Validators)-1), nil
	default:
		opID := set.Validators[i].Operator
		set.Validators = slices.Delete(set.Validators, i, i+1)
		if err := e.departIfIdle(v, set, opID); err != nil {
			return nil, err
		}
	}
	if err := putValidators(v, set); err != nil {
		return nil, err
	}
	p.Status, p.Passed = ProposalPassed, e.height
	e.update = &abci.ValidatorUpdate{Power: p.Power, PubKeyType: ed25519.KeyType, PubKeyBytes: p.PubKey}
	return nil, v.putJSON(keyProposal(p.ID), p)
}

// departIfIdle marks an operator whose last validator left as departed:
// an operator who leaves the network keeps no say in it.
func (e *execEnv) departIfIdle(v *view, set *ValidatorSet, opID string) error {
	if _, still := set.power([]string{opID}); still > 0 {
		return nil
	}
	var op Operator
	if found, err := v.getJSON(keyOperator(opID), &op); err != nil || !found {
		return err
	}
	op.Departed = e.height
	return v.putJSON(keyOperator(opID), op)
}

// blockUpdates folds a block's accepted changes into CometBFT's list: one
// entry per key, the last change winning.
func blockUpdates(list []abci.ValidatorUpdate, u abci.ValidatorUpdate) []abci.ValidatorUpdate {
	for i := range list {
		if bytes.Equal(list[i].PubKeyBytes, u.PubKeyBytes) {
			list[i] = u
			return list
		}
	}
	return append(list, u)
}

// Validators returns the committed validator set.
func (a *App) Validators() (*ValidatorSet, error) {
	var s ValidatorSet
	return &s, a.committed(keyValidators, &s)
}

// Proposal returns a committed validator proposal.
func (a *App) Proposal(id string) (*Proposal, error) {
	var p Proposal
	return &p, a.committed(keyProposal(id), &p)
}
