package validatord

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"copystation/keys"
	"copystation/protocol"
	"copystation/tpm"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

func cmdStationEnroll(e *env, args []string) error {
	e.nodeFlags()
	req := e.fs.String("request", "", "enrollment request file from 'stationd enroll'")
	profiles := e.fs.String("profiles", "0x41,0x43", "disc profiles the station may write")
	nonce := e.fs.String("nonce", "", "step 1: the nonce given to the station, hex (checks freshness)")
	knownEK := e.fs.String("known-ek", "", "EK fingerprint recorded at provisioning, hex")
	expectPCRs := e.fs.String("expect-pcrs", "", "PCR values this kind of station boots with, N=HEX,... (SHA-256 bank; of PCRs 0,2,4,7); the quoted values must equal them")
	unanchored := e.fs.Bool("allow-unanchored", false, "accept an EK with no certificate or record (demo and tests only)")
	challengeOut := e.fs.String("challenge-out", "", "step 1: write a credential challenge for the station to this file")
	challenge := e.fs.String("challenge", "", "step 2: the challenge file written in step 1")
	answer := e.fs.String("answer", "", "step 2: the station's answer ('stationd enroll --activate')")
	insecure := e.fs.Bool("insecure-skip-activation", false, "LAB ONLY: enroll in one step without credential activation; a software key claiming a real TPM's EK passes")
	opKey := e.keyFlag("operator-key", FileOperatorKey, "operator key file")
	if err := e.parse(args, "request"); err != nil {
		return err
	}
	switch {
	case (*challenge == "") != (*answer == ""):
		return usagef("--challenge and --answer go together")
	case *challengeOut != "" && *challenge != "":
		return usagef("--challenge-out is step 1, --challenge and --answer step 2: give one or the other")
	case *insecure && (*challengeOut != "" || *challenge != ""):
		return usagef("--insecure-skip-activation is the one-step form: it takes no --challenge-out, --challenge or --answer")
	case *challengeOut == "" && *challenge == "" && !*insecure:
		return usagef("enrollment is two steps: first --nonce N --challenge-out FILE, then --challenge FILE --answer FILE (credential activation proves the keys are in the EK's TPM)")
	case *challengeOut != "" && *nonce == "":
		return usagef("--nonce is required with --challenge-out: give the station a fresh nonce and check its request carries it")
	}
	raw, err := os.ReadFile(*req)
	if err != nil {
		return err
	}
	er, err := tpm.ParseEnrollmentRequest(raw)
	if err != nil {
		return err
	}
	opts := tpm.VerifyOptions{AllowUnanchoredEK: *unanchored}
	if *nonce != "" {
		if opts.Nonce, err = hex.DecodeString(*nonce); err != nil || len(opts.Nonce) == 0 {
			return usagef("--nonce: want hex digits (%v)", err)
		}
	}
	if *knownEK != "" {
		opts.KnownEKs = map[string]bool{strings.ToLower(*knownEK): true}
	}
	if opts.ExpectedPCRs, err = parsePCRValues(*expectPCRs); err != nil {
		return err
	}
	vs, err := tpm.VerifyEvidence(er, opts)
	if err != nil && *knownEK == "" && !*unanchored {
		return fmt.Errorf("%w (the EK fingerprint recorded at provisioning goes in --known-ek)", err)
	}
	if err != nil {
		return err
	}
	digest := sha256.Sum256(raw)
	switch {
	case *challengeOut != "":
		return e.writeChallenge(er, vs, digest[:], *challengeOut)
	case *answer != "":
		if err := e.checkAnswer(digest[:], *challenge, *answer); err != nil {
			return err
		}
	default:
		fmt.Fprintln(e.stderr, "WARNING: --insecure-skip-activation: enrolling without credential activation; nothing proves the station's keys are in the EK's TPM (lab use only)")
	}
	profs, err := parseProfiles(*profiles)
	if err != nil {
		return err
	}
	a, err := e.adminFor(*opKey, FileOperatorKey)
	if err != nil {
		return err
	}
	id, err := a.EnrollStation(e.ctx, vs.SigningKey, vs.AgreementKey, profs, digest[:])
	if err != nil {
		return err
	}
	if *challenge != "" {
		// one challenge, one enrollment: the sealed secret goes
		os.Remove(*challenge + secretSuffix)
	}
	e.print(map[string]any{"station": id, "ek_anchor": vs.EKAnchor, "ek_fingerprint": vs.EKFingerprint, "profiles": profs, "activated": *answer != "", "pcrs": pcrsHex(vs)},
		fmt.Sprintf("enrolled station %s (EK %s, anchored by %s), profiles %v; its keys work only in the boot state %s", id, vs.EKFingerprint, vs.EKAnchor, profs, formatPCRs(vs)))
	return nil
}

// parsePCRValues reads --expect-pcrs: N=HEX pairs, comma-separated.
func parsePCRValues(s string) (map[int][]byte, error) {
	if s == "" {
		return nil, nil
	}
	out := map[int][]byte{}
	for _, f := range strings.Split(s, ",") {
		n, h, ok := strings.Cut(strings.TrimSpace(f), "=")
		pcr, err := strconv.Atoi(n)
		v, herr := hex.DecodeString(h)
		if !ok || err != nil || pcr < 0 || pcr > 23 || herr != nil || len(v) != sha256.Size {
			return nil, usagef("--expect-pcrs: %q is not N=HEX with N a PCR number and HEX a 32-byte SHA-256 value (as printed by an earlier enrollment)", f)
		}
		out[pcr] = v
	}
	return out, nil
}

// pcrsHex is the quoted PCR values for JSON: PCR number to hex.
func pcrsHex(vs *tpm.VerifiedStation) map[string]string {
	m := map[string]string{}
	for p, v := range vs.PCRs {
		m[strconv.Itoa(p)] = hex.EncodeToString(v)
	}
	return m
}

// formatPCRs is the quoted values in --expect-pcrs form, to record.
func formatPCRs(vs *tpm.VerifiedStation) string {
	var parts []string
	for _, p := range tpm.StationPCRs {
		parts = append(parts, fmt.Sprintf("%d=%x", p, vs.PCRs[p]))
	}
	return strings.Join(parts, ",")
}

// secretSuffix names the sealed credential secret beside a challenge file.
const secretSuffix = ".secret"

// ErrOtherRequest is step 2 given another request file than step 1.
var ErrOtherRequest = errors.New("the challenge's secret does not open for this request file: step 1 was run with another request (or another KEK); run step 1 again")

// writeChallenge is enrollment step 1: a credential challenge only the
// TPM holding both the request's EK and its attestation key can answer; its
// secret is kept sealed under the KEK beside the challenge, bound to the
// request's digest so step 2 enrolls exactly the request challenged.
func (e *env) writeChallenge(er *tpm.EnrollmentRequest, vs *tpm.VerifiedStation, reqDigest []byte, out string) error {
	kek, err := e.kek()
	if err != nil {
		return err
	}
	ch, secret, err := tpm.NewCredentialChallenge(rand.Reader, er)
	if err != nil {
		return err
	}
	defer keys.Zero(secret)
	js, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	if err := vault.SealFile(out+secretSuffix, kek, credentialLabel(reqDigest), secret, nil); err != nil {
		return err
	}
	if err := os.WriteFile(out, js, 0o644); err != nil {
		return err
	}
	id := protocol.KeyID(vs.SigningKey)
	e.print(map[string]any{"station": id, "challenge": out, "pcrs": pcrsHex(vs), "next": e.step2(out)},
		fmt.Sprintf("evidence of station %s checks out; its keys are bound to the boot state %s (record it: --expect-pcrs)\ngive %s to the station:\n  stationd enroll --tpm /dev/tpmrm0 --state /var/lib/stationd/tpm --activate %s --out answer.json\nthen, with its answer.json:\n  %s",
			id, formatPCRs(vs), out, filepath.Base(out), e.step2(out)))
	return nil
}

// step2 is the step 2 command for this step 1: the same flags (node, KEK,
// request, EK anchor, operator key, profiles), less the nonce and the
// challenge output, plus the challenge and the answer.
func (e *env) step2(challenge string) string {
	args := []string{"validatord", "station", "enroll"}
	e.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "nonce", "challenge-out", "json":
			return
		case "allow-unanchored":
			args = append(args, "--"+f.Name)
			return
		}
		args = append(args, "--"+f.Name, shellQuote(f.Value.String()))
	})
	return strings.Join(append(args, "--challenge", shellQuote(challenge), "--answer", "answer.json"), " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=@%+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// credentialLabel seals a credential challenge's secret to one request.
func credentialLabel(reqDigest []byte) string {
	return "credential-secret " + hex.EncodeToString(reqDigest)
}

// checkAnswer is enrollment step 2: the station's TPM recovered the secret
// of the challenge made for this very request.
func (e *env) checkAnswer(reqDigest []byte, challenge, answer string) error {
	kek, err := e.kek()
	if err != nil {
		return err
	}
	secret, err := vault.OpenFile(challenge+secretSuffix, kek, credentialLabel(reqDigest))
	if errors.Is(err, vault.ErrSealed) {
		return fmt.Errorf("station enroll: %w (%v)", ErrOtherRequest, err)
	}
	if err != nil {
		return fmt.Errorf("station enroll: the challenge's sealed secret: %w (was it already used?)", err)
	}
	defer keys.Zero(secret)
	b, err := os.ReadFile(answer)
	if err != nil {
		return err
	}
	ans, err := tpm.ParseActivationAnswer(b)
	if err != nil {
		return err
	}
	return tpm.CheckActivation(secret, ans.Secret)
}

func cmdStationRevoke(e *env, args []string) error {
	e.nodeFlags()
	id := e.fs.String("id", "", "station ID")
	reason := e.fs.String("reason", "", "why, for the record")
	opKey := e.keyFlag("operator-key", FileOperatorKey, "operator key file")
	if err := e.parse(args, "id", "reason"); err != nil {
		return err
	}
	a, err := e.adminFor(*opKey, FileOperatorKey)
	if err != nil {
		return err
	}
	if err := a.RevokeStation(e.ctx, *id, *reason); err != nil {
		return err
	}
	e.print(map[string]string{"station": *id, "status": contract.StationRevoked}, "revoked station "+*id)
	return nil
}

func cmdStationShow(e *env, args []string) error {
	e.nodeFlags()
	e.fs.BoolVar(&e.prove, "prove", false, "verify the record's inclusion proof against the block header")
	id := e.fs.String("id", "", "station ID")
	if err := e.parse(args, "id"); err != nil {
		return err
	}
	var st contract.Station
	return e.show("/station/"+*id, &st, func() string {
		return fmt.Sprintf("station %s: %s, profiles %v, enrolled at height %d by %s", st.ID, st.Status, st.Profiles, st.EnrolledHeight, st.EnrolledBy)
	})
}
