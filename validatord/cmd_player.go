package validatord

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"copystation/atomicfile"
	"copystation/custody/playertree"
	"copystation/validatord/contract"
	"copystation/validatord/players"
	"copystation/validatord/vault"
)

// Player commands (docs/key-custody.md, "Players"): the maker makes a key
// the nodes seal to; an operator records the enrollment on the ledger;
// each node operator extracts its partials once the enrollment is final
// on its own node; the maker combines t files into a device key file;
// an operator revokes a leaf.

// ErrPlayer is a player command refused for the state of the ledger.
var ErrPlayer = errors.New("player")

func init() {
	for k, v := range map[string]func(*env, []string) error{
		"player maker-key": cmdPlayerMakerKey, "player enroll": cmdPlayerEnroll, "player extract": cmdPlayerExtract,
		"player keys": cmdPlayerKeys, "player revoke": cmdPlayerRevoke, "player tree": cmdPlayerTree,
	} {
		commands[k] = v
	}
	groups["player"] = true
}

// networkTree reads the network's player tree from the node.
func (e *env) networkTree() (playertree.Tree, error) {
	b, err := e.backend()
	if err != nil {
		return playertree.Tree{}, err
	}
	var p contract.Params
	if err := b.Query(e.ctx, "/params", &p); err != nil {
		return playertree.Tree{}, err
	}
	return p.Players(), nil
}

func cmdPlayerMakerKey(e *env, args []string) error {
	e.homeFlags()
	out := e.fs.String("out", "", "file for the maker's key, sealed under the KEK")
	if err := e.parse(args, "out"); err != nil {
		return err
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	defer clear(kek)
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := vault.SealFile(*out, kek, vault.LabelMakerKey, k.Bytes(), nil); err != nil {
		return err
	}
	pub := hex.EncodeToString(k.PublicKey().Bytes())
	e.print(map[string]string{"maker_key": pub}, "maker key "+pub+" (give it to the operator for 'player enroll --maker-key')")
	return nil
}

func cmdPlayerEnroll(e *env, args []string) error {
	e.nodeFlags()
	leaf := e.fs.Uint("leaf", 0, "the player's leaf in the network's player tree")
	maker := e.fs.String("maker", "", "the player maker's ID")
	makerKey := e.fs.String("maker-key", "", "the maker's public key from 'player maker-key', hex")
	opKey := e.keyFlag("operator-key", FileOperatorKey, "operator key file")
	if err := e.parse(args, "maker", "maker-key"); err != nil {
		return err
	}
	mk, err := hex.DecodeString(*makerKey)
	if err != nil || len(mk) != 32 {
		return usagef("--maker-key: want the maker's 32-byte X25519 public key in hex")
	}
	tr, err := e.networkTree()
	if err != nil {
		return err
	}
	a, err := e.adminFor(*opKey, FileOperatorKey)
	if err != nil {
		return err
	}
	body := contract.EnrollPlayerBody{Tree: tr.ID, Depth: tr.Depth, Leaf: uint32(*leaf), Maker: *maker, MakerKey: mk}
	res, err := a.Do(e.ctx, "player enroll", contract.TxEnrollPlayer, body)
	if err != nil {
		return err
	}
	e.print(map[string]any{"tree": tr.ID, "leaf": *leaf, "height": res.Height},
		fmt.Sprintf("enrolled leaf %d of tree %s for %s at height %d; each node operator now runs 'player extract'", *leaf, tr.ID, *maker, res.Height))
	return nil
}

// cmdPlayerExtract is a node operator's part: its vault's share of the
// group secret in force (the custody epoch's, after a resharing) signs the
// leaf's path labels, sealed to the maker's key
// that the committed enrollment names.
func cmdPlayerExtract(e *env, args []string) error {
	e.nodeFlags()
	leaf := e.fs.Uint("leaf", 0, "the player's leaf")
	out := e.fs.String("out", "", "file for this node's sealed partials")
	if err := e.parse(args, "home", "out"); err != nil {
		return err
	}
	tr, err := e.networkTree()
	if err != nil {
		return err
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	var p contract.Player
	if err := b.Query(e.ctx, fmt.Sprintf("/player/%s/%d", tr.ID, *leaf), &p); err != nil {
		return fmt.Errorf("%w: leaf %d of tree %s is not enrolled on this node's committed ledger: %w", ErrPlayer, *leaf, tr.ID, err)
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	defer clear(kek)
	ks, err := e.keysInForce(b, kek)
	if err != nil {
		return err
	}
	defer ks.Close()
	f, node, err := players.Partials(ks, tr, &p)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, f); err != nil {
		return err
	}
	e.print(map[string]any{"tree": tr.ID, "leaf": p.Leaf, "node": node, "out": *out},
		fmt.Sprintf("node %d's partials for leaf %d of tree %s, sealed to the maker, in %s", node, p.Leaf, tr.ID, *out))
	return nil
}

// cmdPlayerKeys is the maker's part: t nodes' files make the device keys,
// each checked against the network's group key, sealed under the KEK.
func cmdPlayerKeys(e *env, args []string) error {
	e.nodeFlags()
	makerFile := e.fs.String("maker-key", "", "the maker's key file from 'player maker-key'")
	out := e.fs.String("out", "", "file for the device keys, sealed under the KEK")
	var paths []string
	e.fs.Func("partials", "a node's partials file from 'player extract'; repeat for t nodes", func(s string) error {
		paths = append(paths, s)
		return nil
	})
	if err := e.parse(args, "maker-key", "out"); err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("give the nodes' partials files: --partials FILE, once per node")
	}
	kek, err := e.kek()
	if err != nil {
		return err
	}
	defer clear(kek)
	raw, err := vault.OpenFile(*makerFile, kek, vault.LabelMakerKey)
	if err != nil {
		return err
	}
	maker, err := ecdh.X25519().NewPrivateKey(raw)
	clear(raw)
	if err != nil {
		return err
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	g, err := e.custodyGroup(b)
	if err != nil {
		return err
	}
	var files [][]byte
	for _, path := range paths {
		f, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	k, err := players.Keys(maker, g, files)
	if err != nil {
		return err
	}
	defer k.Wipe()
	enc, err := k.MarshalBinary()
	if err != nil {
		return err
	}
	defer clear(enc)
	if err := vault.SealFile(*out, kek, vault.LabelDeviceKeys, enc, nil); err != nil {
		return err
	}
	e.print(map[string]any{"tree": k.Tree.ID, "leaf": k.Leaf, "out": *out},
		fmt.Sprintf("device keys of leaf %d of tree %s, checked against the group key, sealed in %s", k.Leaf, k.Tree.ID, *out))
	return nil
}

func cmdPlayerRevoke(e *env, args []string) error {
	e.nodeFlags()
	leaf := e.fs.Uint("leaf", 0, "the player's leaf")
	from := e.fs.Int64("from", 0, "first height the revocation applies to (default: the block that commits it)")
	reason := e.fs.String("reason", "", "why, for the record")
	opKey := e.keyFlag("operator-key", FileOperatorKey, "operator key file")
	if err := e.parse(args, "reason"); err != nil {
		return err
	}
	tr, err := e.networkTree()
	if err != nil {
		return err
	}
	a, err := e.adminFor(*opKey, FileOperatorKey)
	if err != nil {
		return err
	}
	res, err := a.Do(e.ctx, "player revoke", contract.TxRevokePlayer, contract.RevokePlayerBody{Tree: tr.ID, Leaf: uint32(*leaf), From: *from, Reason: *reason})
	if err != nil {
		return err
	}
	e.print(map[string]any{"tree": tr.ID, "leaf": *leaf, "height": res.Height},
		fmt.Sprintf("revoked leaf %d of tree %s at height %d: discs spent from then on do not open for it", *leaf, tr.ID, res.Height))
	return nil
}

// cmdPlayerTree prints the [players] table a station's configuration pins.
func cmdPlayerTree(e *env, args []string) error {
	e.nodeFlags()
	if err := e.parse(args); err != nil {
		return err
	}
	tr, err := e.networkTree()
	if err != nil {
		return err
	}
	b, err := e.backend()
	if err != nil {
		return err
	}
	g, err := e.custodyGroup(b)
	if err != nil {
		return err
	}
	key := hex.EncodeToString(g.KeyBytes())
	e.print(map[string]any{"tree": tr.ID, "depth": tr.Depth, "group_key": key},
		fmt.Sprintf("[players]\ntree = %q\ndepth = %d\n# under the group key %s of the custody_group the station pins", tr.ID, tr.Depth, key))
	return nil
}
