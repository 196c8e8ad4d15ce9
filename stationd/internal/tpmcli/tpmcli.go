// Package tpmcli is the `stationd tpm info|init` and `stationd enroll`
// commands: the station's TPM for people at the machine.
package tpmcli

import (
	"context"
	"copystation/atomicfile"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"copystation/protocol"
	"copystation/tpm"

	"github.com/google/go-tpm/tpm2/transport"
)

const usage = `usage:
  stationd tpm info   --tpm URI --state DIR [--json]   the TPM and the station keys
  stationd tpm init   --tpm URI --state DIR [--json]   create the station keys when absent (idempotent)
  stationd enroll     --tpm URI --state DIR --out request.json [--nonce HEX]
  stationd enroll     --tpm URI --state DIR --activate challenge.json --out answer.json

URI: /dev/tpmrm0 (default), /dev/tpm0, swtpm:unix:PATH, swtpm:tcp:HOST:PORT, sim:DIR (test only)
`

// Defaults for the flags.
const (
	DefaultTPM   = "/dev/tpmrm0"
	DefaultState = "/var/lib/stationd/tpm"
)

// Main runs `tpm info`, `tpm init` or `enroll`; args start with "tpm" or
// "enroll" as typed after `stationd`.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	prefix := "stationd "
	if len(args) > 0 && args[0] == "tpm" {
		args, prefix = args[1:], "stationd tpm "
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet(prefix+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	uri := fs.String("tpm", DefaultTPM, "TPM URI")
	state := fs.String("state", DefaultState, "state directory holding the key blobs")
	asJSON := fs.Bool("json", false, "print JSON")
	// Only enroll takes these: other commands' --help does not list them.
	out, nonce, activate := new(string), new(string), new(string)
	if cmd == "enroll" {
		fs.StringVar(out, "out", "", "file to write")
		fs.StringVar(nonce, "nonce", "", "the operator's nonce, hex")
		fs.StringVar(activate, "activate", "", "answer this credential challenge file")
	}
	switch cmd {
	case "info", "init", "enroll":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "stationd: unknown TPM command %q\n\n%s", cmd, usage)
		return 2
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "stationd %s: unexpected arguments %q\n", cmd, fs.Args())
		return 2
	}
	t, err := tpm.Open(*uri)
	if err != nil {
		fmt.Fprintf(stderr, "stationd %s: %v\n", cmd, err)
		return 1
	}
	defer t.Close()
	e := env{t: t, state: *state, json: *asJSON, stdout: stdout}
	switch cmd {
	case "info":
		err = e.info()
	case "init":
		err = e.init()
	case "enroll":
		if *out == "" {
			fmt.Fprintf(stderr, "stationd enroll: --out FILE is required\n")
			return 2
		}
		if *activate != "" {
			err = e.activate(*activate, *out)
		} else {
			err = e.enroll(*nonce, *out)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "stationd %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

type env struct {
	t      transport.TPM
	state  string
	json   bool
	stdout io.Writer
}

// report is what info and init print.
type report struct {
	TPM       *tpm.TPMInfo  `json:"tpm"`
	StateDir  string        `json:"state_dir"`
	StationID string        `json:"station_id,omitempty"`
	Created   bool          `json:"created,omitempty"`
	Keys      []tpm.KeyInfo `json:"keys,omitempty"`
	Problem   string        `json:"problem,omitempty"`
}

func (e env) info() error {
	r := report{StateDir: e.state}
	var err error
	if r.TPM, err = tpm.ReadInfo(e.t); err != nil {
		return err
	}
	st, lerr := tpm.Load(e.t, e.state)
	if lerr == nil {
		defer st.Close()
		r.StationID, r.Keys = stationID(st), st.Keys()
	} else {
		r.Problem = lerr.Error()
	}
	if err := e.print(r); err != nil {
		return err
	}
	if lerr != nil {
		return fmt.Errorf("station keys: %w", lerr)
	}
	return nil
}

func (e env) init() error {
	_, statErr := os.Stat(filepath.Join(e.state, tpm.SigningKeyFile))
	st, err := tpm.LoadOrCreate(e.t, e.state)
	if err != nil {
		return err
	}
	defer st.Close()
	r := report{StateDir: e.state, StationID: stationID(st), Keys: st.Keys(), Created: errors.Is(statErr, os.ErrNotExist)}
	if r.TPM, err = tpm.ReadInfo(e.t); err != nil {
		return err
	}
	return e.print(r)
}

func (e env) enroll(nonceHex, out string) error {
	nonce, err := hex.DecodeString(nonceHex)
	if err != nil {
		return fmt.Errorf("--nonce: %w", err)
	}
	st, err := tpm.Load(e.t, e.state)
	if err != nil {
		return err
	}
	defer st.Close()
	req, err := st.Evidence(nonce)
	if err != nil {
		return err
	}
	if err := writeJSON(out, req); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s for station %s; give it to an operator (validatord station enroll --request %s)\n", out, stationID(st), filepath.Base(out))
	return nil
}

func (e env) activate(challengeFile, out string) error {
	b, err := os.ReadFile(challengeFile)
	if err != nil {
		return err
	}
	ch, err := tpm.ParseCredentialChallenge(b)
	if err != nil {
		return fmt.Errorf("%s: %w", challengeFile, err)
	}
	st, err := tpm.Load(e.t, e.state)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, err := st.ActivateCredential(ch)
	if err != nil {
		return err
	}
	if err := writeJSON(out, tpm.ActivationAnswer{Version: tpm.EnrollmentVersion, Secret: secret}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s; give it back to the operator\n", out)
	return nil
}

func (e env) print(r report) error {
	if e.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	w := e.stdout
	fmt.Fprintf(w, "TPM:        %s %s, firmware %s\n", r.TPM.Manufacturer, r.TPM.VendorString, r.TPM.Firmware)
	fmt.Fprintf(w, "state:      %s\n", r.StateDir)
	if r.Problem != "" {
		fmt.Fprintf(w, "keys:       NOT USABLE: %s\n", r.Problem)
		return nil
	}
	if r.Created {
		fmt.Fprintf(w, "keys:       created now\n")
	}
	fmt.Fprintf(w, "station ID: %s\n", r.StationID)
	for _, k := range r.Keys {
		fmt.Fprintf(w, "%s key (%s):\n  public  %s\n  name    %s\n  attrs   %s\n  created in this TPM: %t\n  bound to PCRs %v (SHA-256) = %s\n",
			k.Role, k.File, k.Public, k.Name, strings.Join(k.Attributes, "|"), k.CreatedHere, k.BoundPCRs, strings.Join(k.PCRValues, " "))
	}
	return nil
}

func stationID(st *tpm.Station) string { return protocol.KeyID(st.SigningPublicSEC1()) }

// writeJSON writes v to path atomically, mode 0600: the request is public
// (public keys, certificates) but the activation answer is the operator's
// challenge secret, so both are written for the owner only, who hands them
// over.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'))
}
