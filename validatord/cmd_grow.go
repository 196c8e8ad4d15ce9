package validatord

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"copystation/atomicfile"
	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/genesis"
)

// Commands for a network that grows (docs/validatord.md, "Joining and
// leaving", "Backup and restore").
func init() {
	groups["validator"] = true
	for k, v := range map[string]func(*env, []string) error{
		"backup": cmdBackup, "restore": cmdRestore, "join": cmdJoin, "trusted-header": cmdTrustedHeader,
		"validator list": cmdValidatorList, "validator propose": cmdValidatorPropose, "validator vote": cmdValidatorVote,
	} {
		commands[k] = v
	}
}

func cmdBackup(e *env, args []string) error {
	e.homeFlags()
	keyFile := e.fs.String("backup-key-file", "", "32-byte backup key (raw or hex), kept offline, apart from the node")
	out := e.fs.String("out", "", "backup file to write")
	if err := e.parse(args, "home", "backup-key-file", "out"); err != nil {
		return err
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	bk, err := readKey32(*keyFile, "backup key")
	if err != nil {
		return err
	}
	sealed, err := chain.Backup(e.home, kek, bk, nil)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, sealed); err != nil {
		return err
	}
	e.print(map[string]any{"backup": *out, "bytes": len(sealed)}, fmt.Sprintf("sealed backup of %s written to %s (%d bytes)", e.home, *out, len(sealed)))
	return nil
}

func cmdRestore(e *env, args []string) error {
	e.homeFlags()
	keyFile := e.fs.String("backup-key-file", "", "the backup key the backup was sealed under")
	in := e.fs.String("in", "", "backup file")
	if err := e.parse(args, "home", "backup-key-file", "in"); err != nil {
		return err
	}
	kek, err := e.loadOrMakeKEK(false)
	if err != nil {
		return err
	}
	bk, err := readKey32(*keyFile, "backup key")
	if err != nil {
		return err
	}
	sealed, err := genesis.ReadBounded(*in, chain.MaxBackupBytes)
	if err != nil {
		return err
	}
	if err := chain.Restore(e.home, sealed, bk, kek, nil); err != nil {
		return err
	}
	e.print(map[string]string{"home": e.home}, "restored into "+e.home+"; start it only if the backed-up node is gone for good (one validator key on two machines double-signs)")
	return nil
}

func cmdTrustedHeader(e *env, args []string) error {
	e.nodeFlags()
	if err := e.parse(args); err != nil {
		return err
	}
	rpc := e.node
	if rpc == "" {
		nc, err := chain.LoadNodeConfig(e.home)
		if err != nil {
			return usagef("--node or --home is required")
		}
		rpc = nc.RPCListen
	}
	h, hash, err := chain.TrustedHeader(e.ctx, rpc)
	if err != nil {
		return err
	}
	e.print(map[string]any{"trust_height": h, "trust_hash": hash}, fmt.Sprintf("trust_height %d\ntrust_hash %s", h, hash))
	return nil
}

func cmdJoin(e *env, args []string) error {
	e.homeFlags()
	gen := e.fs.String("genesis", "", "the network's genesis.json")
	moniker := e.fs.String("moniker", "", "node name")
	p2p := e.fs.String("p2p", "0.0.0.0:26656", "CometBFT peer address host:port")
	rpc := e.fs.String("rpc", "tcp://127.0.0.1:26657", "CometBFT RPC address (keep it on loopback)")
	gw := e.fs.String("gateway", "0.0.0.0:7000", "station gateway address host:port")
	peers := e.fs.String("peers", "", "existing nodes, comma-separated nodeid@host:port")
	servers := e.fs.String("rpc-servers", "", "two or more of the network's RPC addresses, comma-separated, for state sync's light client")
	th := e.fs.Int64("trust-height", 0, "trusted header height (validatord trusted-header on an operator's node)")
	thash := e.fs.String("trust-hash", "", "trusted header hash (64 hex digits)")
	makeKEK := e.fs.Bool("make-kek", false, "create --kek-file if it does not exist")
	if err := e.parse(args, "home", "genesis", "moniker", "peers", "rpc-servers", "trust-hash"); err != nil {
		return err
	}
	kek, err := e.loadOrMakeKEK(*makeKEK)
	if err != nil {
		return err
	}
	g, err := genesis.ReadBounded(*gen, 64<<20)
	if err != nil {
		return err
	}
	j, err := chain.InitJoiner(e.home, kek, chain.JoinOptions{Moniker: *moniker, Genesis: g, P2PListen: *p2p, RPCListen: *rpc, GatewayListen: *gw,
		Peers: strings.Split(*peers, ","), StateSync: chain.StateSync{RPCServers: strings.Split(*servers, ","), TrustHeight: *th, TrustHash: *thash},
		Snapshots: chain.DefaultSnapshots}, nil)
	if err != nil {
		return err
	}
	e.print(map[string]any{"pub_key": hex.EncodeToString(j.PubKey), "descriptor": j.Descriptor},
		fmt.Sprintf("joining node made in %s\nvalidator key %x: give it and the descriptor (--json) to an operator to propose", e.home, j.PubKey))
	return nil
}

func cmdValidatorList(e *env, args []string) error {
	e.nodeFlags()
	if err := e.parse(args); err != nil {
		return err
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	var s contract.ValidatorSet
	if err := b.Query(e.ctx, "/validators", &s); err != nil {
		return err
	}
	var text []string
	for _, v := range s.Validators {
		text = append(text, fmt.Sprintf("%x power %d operator %s %s", v.PubKey, v.Power, v.Operator, v.Descriptor.Moniker))
	}
	e.print(s, strings.Join(text, "\n"))
	return nil
}

func cmdValidatorPropose(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("id", "", "proposal ID")
	kind := e.fs.String("kind", contract.ProposeAdd, "add or remove")
	pub := e.fs.String("pub-key", "", "the validator's ed25519 key, 64 hex digits")
	power := e.fs.Int64("power", 10, "voting power (add)")
	operator := e.fs.String("operator", "", "the new operator's SEC1 P-256 public key in hex (add)")
	desc := e.fs.String("descriptor", "", "JSON file of the node's descriptor, as 'validatord join --json' prints it (add)")
	opKey := e.keyFlag("operator-key", FileOperatorKey, "operator key file")
	if err := e.parse(args, "id", "pub-key"); err != nil {
		return err
	}
	body := contract.ProposeValidatorBody{ID: *id, Kind: *kind, Power: *power}
	var err error
	if body.PubKey, err = hex.DecodeString(*pub); err != nil {
		return usagef("--pub-key: %v", err)
	}
	if *kind == contract.ProposeAdd {
		if body.Operator, err = hex.DecodeString(*operator); err != nil || *operator == "" {
			return usagef("--operator: the new operator's public key in hex is required to add")
		}
	}
	if *desc != "" {
		p, err := genesis.ReadBounded(*desc, genesis.MaxDescriptorSize)
		if err != nil {
			return err
		}
		var j struct {
			Descriptor contract.NodeDescriptor `json:"descriptor"`
		}
		if err := json.Unmarshal(p, &j); err != nil {
			return fmt.Errorf("--descriptor %s: %w", *desc, err)
		}
		body.Descriptor = j.Descriptor
	}
	a, err := e.adminFor(*opKey, FileOperatorKey)
	if err != nil {
		return err
	}
	if err := a.ProposeValidator(e.ctx, body); err != nil {
		return err
	}
	e.print(map[string]string{"proposal": *id}, "proposed "+*id+" (with this operator's approval)")
	return nil
}

func cmdValidatorVote(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("id", "", "proposal ID")
	opKey := e.keyFlag("operator-key", FileOperatorKey, "operator key file")
	if err := e.parse(args, "id"); err != nil {
		return err
	}
	a, err := e.adminFor(*opKey, FileOperatorKey)
	if err != nil {
		return err
	}
	if err := a.VoteValidator(e.ctx, *id); err != nil {
		return err
	}
	var p contract.Proposal
	b, err := e.backend()
	if err == nil {
		err = b.Query(e.ctx, "/proposal/"+*id, &p)
	}
	if err != nil {
		return err
	}
	e.print(p, fmt.Sprintf("approved %s: %s, %d approvals", *id, p.Status, len(p.Votes)))
	return nil
}
