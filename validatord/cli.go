package validatord

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"copystation/validatord/chain"
	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

// Exit codes of Main.
const (
	ExitOK      = 0
	ExitFailed  = 1 // refused by the ledger, or failed
	ExitUsage   = 2
	kekCredName = "validatord-kek"
)

const usage = `usage: validatord COMMAND [flags]
       validatord COMMAND --help       the command's flags

node:
  init --home DIR --kek-file FILE [--make-kek] [--moniker NAME]
                                         make a one-node network's home
  start --home DIR --kek-file FILE       run the node and its station gateway
  testnet --nodes N --out DIR            make N node homes on loopback

genesis ceremony of a multi-operator network (docs/operators.md):
  descriptor --home DIR [--out FILE]     this node's signed public descriptor
  genesis assemble --chain-id ID --operator-key FILE... --out CEREMONY DESC...
                                         check the descriptors, write the ceremony file
  dkg run --home DIR --ceremony CEREMONY --exchange DIR [--timeout 10m]
                                         this node's side of the DKG; writes genesis
  reshare assemble --chain-id ID --epoch E --out SESSION DESC...
                                         the resharing session file for a new custody set
  reshare run --home DIR --session SESSION --dir EXCHANGE [--node RPC] [--timeout 10m]
                                         this node's side of the resharing; writes the tx 26 parts
  reshare submit --session SESSION --dir EXCHANGE [--node RPC] [--key OPERATOR_KEY]
                                         submit the session's parts, titles first, the record last
  reshare finish --home DIR [--node RPC]
                                         once the record commits: keep only the new share, wipe older ones

a network that grows (docs/validatord.md, "Joining and leaving"):
  trusted-header [--node tcp://HOST:PORT]
                                         a header to trust, for a joining node
  join --home DIR --genesis FILE --moniker NAME --peers P,.. --rpc-servers R,R,..
       --trust-height H --trust-hash HASH
                                         make a joining node's home (it catches up by state sync)
  validator list                         the validator set
  validator propose --id ID --kind add|remove --pub-key HEX [--power N --operator HEX --descriptor FILE]
  validator vote --id ID                 approve; passes at more than 2/3 of the power
  backup --home DIR --backup-key-file K --out FILE
                                         the node's secrets and home, sealed under the backup key
  restore --home DIR --backup-key-file K --in FILE
                                         onto a fresh home, sealed under this machine's KEK

ledger (talk to a running node; --home DIR or --node tcp://HOST:PORT):
  station enroll --request FILE --nonce N --challenge-out C
                                         step 1: verify a station's TPM evidence, challenge its TPM
  station enroll --request FILE --challenge C --answer A
                                         step 2: check the TPM's answer, enroll the station
  station revoke --id ID --reason TEXT
  station show --id ID [--prove]
  title package --image FILE --out DIR --title ID --variant START:FILE... [--genesis FILE] [--copies N --coalition C --eps1 E]
                                         deal the title's keys to the custody nodes, package it; with tracing parameters, the trace record
  title package --film DIR --out DIR --title ID [--genesis FILE] [--copies N --coalition C --eps1 E]
                                         a BDMV film from two encodings (docs/film.md); its trace record reads remuxes too
  title register --package FILE [--deal FILE] [--trace FILE]
  title show --id ID [--prove]
  title record --id ID [--description T] [--rights-holder T] [--contact T]
                                         the rights holder updates the title's public record
  title history --id ID [--prove]        the title's public record, every version
  token mint --id ID --title ID --owner HEX
  token transfer --id ID --to HEX --owner-key FILE
  token show --id ID [--prove]
  copies list (--token ID | --station ID)
  copies show --job ID [--prove]
  copies verify --image FILE [--genesis FILE]
                                         check a disc image's header against its copy record,
                                         proved against the genesis validators' signatures
  key new --out FILE                     make a sealed signing key

players (docs/key-custody.md, "Players"):
  player maker-key --out FILE            a player maker's key, sealed (prints its public half)
  player enroll --leaf N --maker ID --maker-key HEX
                                         record a maker's player on the ledger
  player extract --home DIR --leaf N --out FILE
                                         this node's partials for an enrolled leaf, sealed to its maker
  player keys --maker-key FILE --out FILE --partials F...
                                         the maker combines t nodes' partials into sealed device keys
  player revoke --leaf N --reason TEXT [--from HEIGHT]
  player tree                            the [players] table of a station's configuration
tracing a leak (docs/tracing.md):
  trace --title ID --image FILE --trace FILE [--openings FILE]
                                         decide A/B/erased per segment (a film: also m2ts, MKV, MP4); with openings, the accused
  trace request --id ID --title ID --image FILE --trace FILE --jobs J1,J2 --key-out FILE
                                         commit the decisions, ask the nodes to open these copies
  trace answer --opening ID --out FILE   a node's partials for a final opening, sealed to the requester
  trace combine --opening ID --key FILE --out FILE --answer FILE...
                                         t answers -> the openings file
  trace accuse --opening ID --openings FILE
                                         record the accusation (the ledger recomputes every score)

Every command takes --json. Key files are sealed under the KEK (--kek-file,
default $CREDENTIALS_DIRECTORY/validatord-kek).
`

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runMain(ctx, args, stdout, stderr, nil)
}

// MainDKGRand is Main with the genesis DKG of `testnet` and `init` drawing
// each node's secret from dkgRand (chain.GenesisOptions.DKGRand): a test
// fixes dkgRand so that its network's custody group key, and so every
// copy's codeword, is the same on every run. Only a test binary can use it
// (chain.InitHomes refuses a fixed stream elsewhere); the shipped command calls
// Main, and no flag leads here.
func MainDKGRand(ctx context.Context, dkgRand io.Reader, args []string, stdout, stderr io.Writer) int {
	return runMain(ctx, args, stdout, stderr, dkgRand)
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer, dkgRand io.Reader) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	if args[0] == "help" { // "help" alone, or "help token mint" as "token mint --help"
		if len(args) == 1 {
			fmt.Fprint(stdout, usage)
			return ExitOK
		}
		args = append(args[1:], "--help")
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && groups[cmd] {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	help := wantsHelp(rest)
	run, ok := commands[cmd]
	if !ok {
		if help && groups[cmd] { // "token --help": the whole list
			fmt.Fprint(stdout, usage)
			return ExitOK
		}
		fmt.Fprintf(stderr, "validatord: unknown command %q\n\n%s", cmd, usage)
		return ExitUsage
	}
	e := &env{ctx: ctx, dkgRand: dkgRand, stdout: stdout, stderr: stderr, fs: flag.NewFlagSet("validatord "+cmd, flag.ContinueOnError), keyFlags: map[string]string{}}
	e.fs.SetOutput(stderr)
	if help { // asked for: the answer, on stdout
		e.fs.SetOutput(stdout)
	}
	e.fs.Usage = func() {
		fmt.Fprintf(e.fs.Output(), "usage: validatord %s [flags]\n\nflags:\n", cmd)
		e.fs.PrintDefaults()
	}
	e.fs.BoolVar(&e.json, "json", false, "print the result as JSON")
	err := run(e, rest)
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "validatord %s: %v\n", cmd, err)
		return ExitUsage
	}
	var ref *ledger.RefusalError
	if errors.As(err, &ref) {
		if e.json {
			e.print(map[string]any{"refused": ref.Code.Name(), "code": uint32(ref.Code), "message": ref.Log}, "")
		}
		fmt.Fprintf(stderr, "validatord %s: refused (%s): %s\n", cmd, ref.Code.Name(), ref.Log)
		return ExitFailed
	}
	if e.json {
		e.print(map[string]string{"error": err.Error()}, "")
	}
	fmt.Fprintf(stderr, "validatord %s: %v\n", cmd, err)
	return ExitFailed
}

var commands = map[string]func(*env, []string) error{}

// groups are the first words of two-word commands.
var groups = map[string]bool{"station": true, "title": true, "token": true, "copies": true, "key": true, "genesis": true, "dkg": true, "reshare": true, "trace": true}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

// wantsHelp says whether the flags ask for help (before any "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelp(a) {
			return true
		}
	}
	return false
}

func init() {
	for k, v := range map[string]func(*env, []string) error{
		"init": cmdInit, "start": cmdStart, "testnet": cmdTestnet,
		"station enroll": cmdStationEnroll, "station revoke": cmdStationRevoke, "station show": cmdStationShow,
		"station spoil-limit": cmdStationSpoilLimit,
		"title package":       cmdTitlePackage, "title register": cmdTitleRegister,
		"token mint": cmdTokenMint, "token transfer": cmdTokenTransfer, "token show": cmdTokenShow,
		"copies list": cmdCopiesList, "key new": cmdKeyNew,
		"descriptor": cmdDescriptor, "genesis assemble": cmdGenesisAssemble, "dkg run": cmdDKGRun,
		"title show": cmdTitleShow, "copies show": cmdCopiesShow, "reshare assemble": cmdReshareAssemble, "reshare run": cmdReshareRun, "reshare submit": cmdReshareSubmit, "reshare finish": cmdReshareFinish,
		"trace": cmdTrace, "trace request": cmdTraceRequest, "trace answer": cmdTraceAnswer,
		"trace combine": cmdTraceCombine, "trace accuse": cmdTraceAccuse,
		"title record": cmdTitleRecord, "title history": cmdTitleHistory,
		"copies verify": cmdCopiesVerify,
	} {
		commands[k] = v
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// env is one command's context.
type env struct {
	ctx            context.Context
	dkgRand        io.Reader // chain.GenesisOptions.DKGRand; nil but in tests (MainDKGRand)
	stdout, stderr io.Writer
	fs             *flag.FlagSet
	json, prove    bool
	home, kekFile  string
	node           string
	keyFlags       map[string]string // default key file name -> its flag
}

func (e *env) homeFlags() {
	e.fs.StringVar(&e.home, "home", "", "node home directory")
	e.fs.StringVar(&e.kekFile, "kek-file", "", "key-encryption key file (default $CREDENTIALS_DIRECTORY/"+kekCredName+")")
}

func (e *env) nodeFlags() {
	e.homeFlags()
	e.fs.StringVar(&e.node, "node", "", "node RPC address (default: the home's rpc_listen)")
}

func (e *env) parse(args []string, required ...string) error {
	if err := e.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()} // a bad flag is a usage error (exit 2)
	}
	if e.fs.NArg() > 0 {
		return usagef("unexpected argument %q", e.fs.Arg(0))
	}
	for _, name := range required {
		if f := e.fs.Lookup(name); f != nil && f.Value.String() == "" {
			return usagef("--%s is required", name)
		}
	}
	return nil
}

// kek reads the key-encryption key file: 32 bytes, raw or hex.
func (e *env) kek() ([]byte, error) {
	path := e.kekFile
	if path == "" {
		dir := os.Getenv("CREDENTIALS_DIRECTORY")
		if dir == "" {
			return nil, usagef("--kek-file is required (or run under systemd with LoadCredentialEncrypted=%s)", kekCredName)
		}
		path = filepath.Join(dir, kekCredName)
	}
	return readKey32(path, "key-encryption key")
}

// readKey32 reads a 32-byte key file, raw or hex (a KEK or a backup key).
func readKey32(path, what string) ([]byte, error) {
	p, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if s := strings.TrimSpace(string(p)); len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	if len(p) != 32 {
		return nil, fmt.Errorf("%s %s: %d bytes, want 32 raw or 64 hex digits", what, path, len(p))
	}
	return p, nil
}

// backend connects to the node named by --node or the home's RPC address.
func (e *env) backend() (*ledger.Remote, error) {
	addr := e.node
	if addr == "" {
		if e.home == "" {
			return nil, usagef("--home or --node is required")
		}
		nc, err := chain.LoadNodeConfig(e.home)
		if err != nil {
			return nil, err
		}
		if addr = nc.RPCListen; addr == "" {
			return nil, fmt.Errorf("node %s has no RPC address (rpc_listen in %s)", e.home, chain.FileNodeConfig)
		}
	}
	return ledger.Dial(addr)
}

// adminFor is admin with the key file a command's key flag names (v), or
// the home's default file def.
func (e *env) adminFor(v, def string) (*ledger.Admin, error) {
	path, err := e.keyPath(v, def)
	if err != nil {
		return nil, err
	}
	return e.admin(path)
}

// admin is a governance client for a sealed signing key file.
func (e *env) admin(keyFile string) (*ledger.Admin, error) {
	b, err := e.backend()
	if err != nil {
		return nil, err
	}
	k, err := e.signingKey(keyFile)
	if err != nil {
		return nil, err
	}
	return ledger.NewAdmin(b, k, nil)
}

// print writes v as JSON with --json, else the text.
func (e *env) print(v any, text string) {
	if e.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(v)
		return
	}
	fmt.Fprintln(e.stdout, text)
}

func parseProfiles(s string) ([]uint16, error) {
	var out []uint16
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(f), 0, 16)
		if err != nil {
			return nil, usagef("profile %q: want a number such as 0x41", f)
		}
		out = append(out, uint16(v))
	}
	return out, nil
}

func parseKeyHex(what, s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 65 {
		return nil, usagef("%s: want 130 hex digits (an uncompressed P-256 key)", what)
	}
	return b, nil
}

var _ = contract.OK
