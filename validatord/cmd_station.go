package validatord

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"copystation/keys"
	"copystation/tpm"
	"copystation/validatord/contract"
	"copystation/validatord/vault"
)

func cmdStationEnroll(e *env, args []string) error {
	e.nodeFlags()
	req := e.fs.String("request", "", "enrollment request file from 'stationd enroll'")
	profiles := e.fs.String("profiles", "0x41,0x43", "disc profiles the station may write")
	nonce := e.fs.String("nonce", "", "the nonce given to the station, hex (checks freshness)")
	knownEK := e.fs.String("known-ek", "", "EK fingerprint recorded at provisioning, hex")
	unanchored := e.fs.Bool("allow-unanchored", false, "accept an EK with no certificate or record (demo and tests only)")
	challengeOut := e.fs.String("challenge-out", "", "step 1: write a credential challenge for the station to this file")
	challenge := e.fs.String("challenge", "", "step 2: the challenge file written in step 1")
	answer := e.fs.String("answer", "", "step 2: the station's answer ('stationd enroll --activate')")
	opKey := e.keyFlag("operator-key", FileOperatorKey, "operator key file")
	if err := e.parse(args, "request"); err != nil {
		return err
	}
	if (*challenge == "") != (*answer == "") {
		return usagef("--challenge and --answer go together")
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
		if opts.Nonce, err = hex.DecodeString(*nonce); err != nil {
			return usagef("--nonce: %v", err)
		}
	}
	if *knownEK != "" {
		opts.KnownEKs = map[string]bool{strings.ToLower(*knownEK): true}
	}
	vs, err := tpm.VerifyEvidence(er, opts)
	if err != nil {
		return err
	}
	switch {
	case *challengeOut != "":
		return e.writeChallenge(er, vs, *challengeOut, *req)
	case *answer != "":
		if err := e.checkAnswer(*challenge, *answer); err != nil {
			return err
		}
	default:
		fmt.Fprintln(e.stderr, "warning: enrolling without credential activation (--challenge-out, then --challenge and --answer): the attestation key's tie to the EK is unproved")
	}
	profs, err := parseProfiles(*profiles)
	if err != nil {
		return err
	}
	path, err := e.keyPath(*opKey, FileOperatorKey)
	if err != nil {
		return err
	}
	a, err := e.admin(path)
	if err != nil {
		return err
	}
	digest := sha256.Sum256(raw)
	id, err := a.EnrollStation(e.ctx, vs.SigningKey, vs.AgreementKey, profs, digest[:])
	if err != nil {
		return err
	}
	if *challenge != "" {
		os.Remove(*challenge + secretSuffix)
	}
	e.print(map[string]any{"station": id, "ek_anchor": vs.EKAnchor, "ek_fingerprint": vs.EKFingerprint, "profiles": profs, "activated": *answer != ""},
		fmt.Sprintf("enrolled station %s (EK %s, anchored by %s), profiles %v", id, vs.EKFingerprint, vs.EKAnchor, profs))
	return nil
}

// secretSuffix names the sealed credential secret beside a challenge file.
const secretSuffix = ".secret"

// writeChallenge is enrollment step 1: a credential challenge only the
// TPM holding both the request's EK and its attestation key can answer; its
// secret is kept sealed under the KEK beside the challenge.
func (e *env) writeChallenge(er *tpm.EnrollmentRequest, vs *tpm.VerifiedStation, out, reqFile string) error {
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
	if err := vault.SealFile(out+secretSuffix, kek, labelCredential, secret, nil); err != nil {
		return err
	}
	if err := os.WriteFile(out, js, 0o644); err != nil {
		return err
	}
	e.print(map[string]string{"station": vs.StationID, "challenge": out},
		fmt.Sprintf("evidence of station %s checks out; give %s to the station:\n  stationd enroll --activate %s --out answer.json\nthen: validatord station enroll --request %s --challenge %s --answer answer.json",
			vs.StationID, out, filepath.Base(out), reqFile, out))
	return nil
}

// labelCredential seals a credential challenge's secret.
const labelCredential = "credential-secret"

// checkAnswer is enrollment step 2: the station's TPM recovered the secret.
func (e *env) checkAnswer(challenge, answer string) error {
	kek, err := e.kek()
	if err != nil {
		return err
	}
	secret, err := vault.OpenFile(challenge+secretSuffix, kek, labelCredential)
	if err != nil {
		return err
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
	path, err := e.keyPath(*opKey, FileOperatorKey)
	if err != nil {
		return err
	}
	a, err := e.admin(path)
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
