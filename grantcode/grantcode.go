// Package grantcode is the text form of a customer's signed grant, as a
// QR code carries it and a barcode scanner types it: a fixed prefix and
// the grant's encoding in unpadded base64url.
//
// A USB barcode scanner is a keyboard: it types the code's text and
// usually an Enter. The text therefore uses only characters every keyboard
// layout a scanner emulates can type (A-Z, a-z, 0-9, '-', '_', ':'), and
// the reader forgives what scanners add around it (spaces, CR, LF, tab).
package grantcode

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"copystation/protocol"
)

// Prefix starts every grant code; the digit is the text form's version.
const Prefix = "CSG1:"

// MaxLen bounds a grant code's text: the prefix and the base64url of the
// largest grant protocol.DecodeGrant accepts.
var MaxLen = len(Prefix) + base64.RawURLEncoding.EncodedLen(protocol.MaxGrantLen) + 16

// Errors a reader answers; each names what the customer should do.
var (
	// ErrNotGrant: the text is not a grant code at all (another QR code, a
	// product barcode).
	ErrNotGrant = errors.New("this code is not a copy grant: show the grant code from your wallet")
	// ErrDamaged: it starts like a grant code but does not decode (a
	// partial scan, a typo).
	ErrDamaged = errors.New("the grant code was not read whole: scan it again")
	// ErrTooLong: more text than any grant.
	ErrTooLong = errors.New("the scanned code is too long to be a grant: scan the grant code from your wallet")
)

// Encode returns the text form of an encoded SignedGrant.
func Encode(grant []byte) string {
	return Prefix + base64.RawURLEncoding.EncodeToString(grant)
}

// Decode reads a grant code as a scanner typed it. It returns the grant's
// bytes (what the station forwards to the ledger) and the decoded grant
// (for showing and early checks; the ledger checks the signature, the
// owner and the expiry).
func Decode(text string) ([]byte, *protocol.SignedGrant, error) {
	if len(text) > MaxLen {
		return nil, nil, fmt.Errorf("grantcode.Decode: %w (%d characters, at most %d)", ErrTooLong, len(text), MaxLen)
	}
	text = strings.Trim(text, " \t\r\n")
	body, ok := strings.CutPrefix(text, Prefix)
	if !ok {
		return nil, nil, fmt.Errorf("grantcode.Decode: %w", ErrNotGrant)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil {
		return nil, nil, fmt.Errorf("grantcode.Decode: %w: %v", ErrDamaged, err)
	}
	g, err := protocol.DecodeGrant(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("grantcode.Decode: %w: %v", ErrDamaged, err)
	}
	return raw, g, nil
}
