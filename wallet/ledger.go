package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"copystation/validatord/contract"
	"copystation/validatord/ledger"
)

// Ledger is what the wallet asks of a validation node: ledger.Remote over
// the node's RPC (ledger.Local in process).
type Ledger interface {
	ledger.Backend
	Prove(ctx context.Context, path string, out any) (*ledger.Proved, error)
}

var (
	_ Ledger = (*ledger.Remote)(nil)
	_ Ledger = (*ledger.Local)(nil)
)

// TokenView is a token as the wallet shows it, proved against a block
// header.
type TokenView struct {
	contract.Token
	Mine   bool
	Proved *ledger.Proved
}

// Token reads a token with its proof and says whether this wallet owns it
// (Tokens lists those it holds).
func (w *Wallet) Token(ctx context.Context, l Ledger, id string) (*TokenView, error) {
	var t TokenView
	p, err := l.Prove(ctx, "/token/"+id, &t.Token)
	if err != nil {
		return nil, fmt.Errorf("wallet.Token %s: %w", id, err)
	}
	t.Proved, t.Mine = p, t.OwnerID == w.OwnerID()
	return &t, nil
}

// Transfer gives a token to another owner's public key, signed by this
// wallet's key (a governance transaction with the key's next nonce).
func (w *Wallet) Transfer(ctx context.Context, l Ledger, rnd io.Reader, tokenID string, newOwner []byte) error {
	a, err := ledger.NewAdmin(l, w.key, rnd)
	if err != nil {
		return fmt.Errorf("wallet.Transfer: %w", err)
	}
	if err := a.TransferToken(ctx, tokenID, newOwner); err != nil {
		return fmt.Errorf("wallet.Transfer %s: %w", tokenID, err)
	}
	return nil
}

// Receipt is what a kiosk's receipt QR code names (screen.ReceiptLink):
// "copystation:copy?height=H&job=J&tx=HEX".
type Receipt struct {
	Job    string
	Height int64
	TxHash []byte
}

// ErrReceipt is the error for text that is not a receipt, or a receipt the
// ledger does not bear out.
var ErrReceipt = errors.New("not a valid copy receipt")

var jobID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ParseReceipt reads a receipt's text.
func ParseReceipt(text string) (*Receipt, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(text), "copystation:copy?")
	if !ok || len(text) > 512 {
		return nil, fmt.Errorf("wallet.ParseReceipt: %w: it does not start with copystation:copy?", ErrReceipt)
	}
	q, err := url.ParseQuery(rest)
	if err != nil {
		return nil, fmt.Errorf("wallet.ParseReceipt: %w: %v", ErrReceipt, err)
	}
	r := &Receipt{Job: q.Get("job")}
	if r.Height, err = strconv.ParseInt(q.Get("height"), 10, 64); err != nil || r.Height < 1 {
		return nil, fmt.Errorf("wallet.ParseReceipt: %w: height %q", ErrReceipt, q.Get("height"))
	}
	if r.TxHash, err = hex.DecodeString(q.Get("tx")); err != nil || len(r.TxHash) != 32 {
		return nil, fmt.Errorf("wallet.ParseReceipt: %w: tx %q", ErrReceipt, q.Get("tx"))
	}
	if !jobID.MatchString(r.Job) {
		return nil, fmt.Errorf("wallet.ParseReceipt: %w: job %q", ErrReceipt, r.Job)
	}
	return r, nil
}

// Verified is a receipt checked against the ledger.
type Verified struct {
	Copy    contract.Copy
	Attempt contract.Attempt // the made attempt the receipt names
	Proved  *ledger.Proved
}

// VerifyReceipt reads the copy record with its proof (checked against the
// header that commits to it) and checks that the receipt's spend is an
// attempt of it that was made.
func VerifyReceipt(ctx context.Context, l Ledger, text string) (*Verified, error) {
	r, err := ParseReceipt(text)
	if err != nil {
		return nil, err
	}
	var v Verified
	if v.Proved, err = l.Prove(ctx, "/copy/"+r.Job, &v.Copy); err != nil {
		return nil, fmt.Errorf("wallet.VerifyReceipt: %w", err)
	}
	for _, a := range v.Copy.Attempts {
		if a.Height == r.Height && hex.EncodeToString(a.TxHash) == hex.EncodeToString(r.TxHash) {
			if a.Outcome != contract.OutcomeMade {
				return nil, fmt.Errorf("wallet.VerifyReceipt: %w: the ledger records this disc as %s", ErrReceipt, a.Outcome)
			}
			v.Attempt = a
			return &v, nil
		}
	}
	return nil, fmt.Errorf("wallet.VerifyReceipt: %w: job %s has no attempt spent at height %d by tx %x", ErrReceipt, r.Job, r.Height, r.TxHash)
}
