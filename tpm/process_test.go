package tpm

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const childEnv = "COPYSTATION_TPM_CHILD_DIR"

// TestChildProcess is the body run in a child process by
// TestKeysSurviveProcessRestart; it does nothing in a normal run.
func TestChildProcess(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("runs only as a child of TestKeysSurviveProcessRestart")
	}
	tp, err := Open("sim:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	st, err := LoadOrCreate(tp, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	digest := sha256.Sum256([]byte("child"))
	sig, err := st.Signer().Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("KEY %x %x\n", st.SigningPublicSEC1(), sig)
}

// TestKeysSurviveProcessRestart runs two processes one after the other on
// the same state directory: the second loads the keys the first created.
func TestKeysSurviveProcessRestart(t *testing.T) {
	dir := t.TempDir()
	var keys [][]byte
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, out)
		}
		var pubHex, sigHex string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "KEY ") {
				fmt.Sscanf(line, "KEY %s %s", &pubHex, &sigHex)
			}
		}
		pub, _ := hex.DecodeString(pubHex)
		sig, _ := hex.DecodeString(sigHex)
		k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
		if err != nil {
			t.Fatalf("child %d printed %q: %v", i, out, err)
		}
		digest := sha256.Sum256([]byte("child"))
		if !ecdsa.VerifyASN1(k, digest[:], sig) {
			t.Errorf("child %d signature does not verify", i)
		}
		keys = append(keys, pub)
	}
	if !bytes.Equal(keys[0], keys[1]) {
		t.Errorf("signing key after process restart = %x, want %x", keys[1], keys[0])
	}
}
