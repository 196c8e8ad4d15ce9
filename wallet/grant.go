package wallet

import (
	"errors"
	"fmt"
	"io"
	"time"

	"copystation/grantcode"
	"copystation/internal/qr"
	"copystation/protocol"
)

// MaxGrantLife bounds a grant's life: a grant shown on a phone can be
// photographed, so it should be worthless soon after the copy starts.
const MaxGrantLife = 15 * time.Minute

// ErrGrant is the error for a grant the wallet will not make.
var ErrGrant = errors.New("cannot make that grant")

// GrantRequest names the copy a grant authorises.
type GrantRequest struct {
	ChainID   string // the ledger's network
	StationID string // the kiosk, as its screen shows it
	TitleID   string
	TokenID   string
	Life      time.Duration // default 5 minutes, at most MaxGrantLife
}

// Grant signs a customer grant and returns its text form (grantcode), the
// text its QR code holds.
func (w *Wallet) Grant(rnd io.Reader, now time.Time, r GrantRequest) (string, error) {
	if r.Life == 0 {
		r.Life = 5 * time.Minute
	}
	switch {
	case r.Life < 0 || r.Life > MaxGrantLife:
		return "", fmt.Errorf("wallet.Grant: %w: life %v, at most %v", ErrGrant, r.Life, MaxGrantLife)
	case r.ChainID == "" || r.StationID == "" || r.TitleID == "" || r.TokenID == "":
		return "", fmt.Errorf("wallet.Grant: %w: chain, station, title and token are all needed", ErrGrant)
	}
	g := &protocol.SignedGrant{Grant: protocol.CustomerGrant{ChainID: r.ChainID, TokenID: r.TokenID,
		StationID: r.StationID, TitleID: r.TitleID, Expiry: now.Add(r.Life).Unix()}}
	var err error
	if g.Signature, err = protocol.Sign(rnd, w.key, &g.Grant); err != nil {
		return "", fmt.Errorf("wallet.Grant: %w", err)
	}
	raw := g.Encode()
	if _, err := protocol.DecodeGrant(raw); err != nil {
		return "", fmt.Errorf("wallet.Grant: %w: %v", ErrGrant, err)
	}
	return grantcode.Encode(raw), nil
}

// GrantPNG draws a grant's text as a QR code PNG for a phone's screen.
func GrantPNG(text string) ([]byte, error) {
	c, err := qr.Encode(text)
	if err != nil {
		return nil, fmt.Errorf("wallet.GrantPNG: %w", err)
	}
	return c.PNG(6)
}

// GrantTerminal draws a grant's text as a QR code in a terminal.
func GrantTerminal(text string) (string, error) {
	c, err := qr.Encode(text)
	if err != nil {
		return "", fmt.Errorf("wallet.GrantTerminal: %w", err)
	}
	return c.Terminal(), nil
}
