package ledgertest

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"

	"copystation/validatord/ledger"
)

// Station is a station's software keys, enrolled on a test network.
type Station struct {
	Key *ecdsa.PrivateKey
	Pub []byte // SEC1: its signing key on the ledger
	ID  string
}

// EnrollStation makes a station's signing and key-agreement keys and
// enrolls it through the operator a for profiles (BD-R if none).
func EnrollStation(ctx context.Context, a *ledger.Admin, profiles ...uint16) (*Station, error) {
	if len(profiles) == 0 {
		profiles = []uint16{BDR.Profile}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ka, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		return nil, err
	}
	id, err := a.EnrollStation(ctx, pub, ka.PublicKey().Bytes(), profiles, nil)
	if err != nil {
		return nil, fmt.Errorf("ledgertest.EnrollStation: %w", err)
	}
	return &Station{Key: key, Pub: pub, ID: id}, nil
}
