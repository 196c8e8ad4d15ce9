package ledger

import (
	"errors"
	"fmt"
	"testing"

	"copystation/validatord/contract"
)

func TestRefusalError(t *testing.T) {
	err := fmt.Errorf("gateway: %w", &RefusalError{Op: "ledger.Spend", Code: contract.CodeTokenSpent, Log: "token t was spent by job j"})
	if !errors.Is(err, contract.CodeTokenSpent) || errors.Is(err, contract.CodeNotOwner) {
		t.Errorf("errors.Is(%v, token-spent / not-owner) = wrong, want true / false", err)
	}
	var c contract.Code
	if !errors.As(err, &c) || c != contract.CodeTokenSpent {
		t.Errorf("errors.As(%v, *Code) = %v, want %v", err, c, contract.CodeTokenSpent)
	}
	if got, want := err.Error(), "gateway: ledger.Spend: refused (token-spent): token t was spent by job j"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCheckTxRefusal(t *testing.T) {
	tests := []struct {
		msg  string
		want contract.Code
		ok   bool
	}{
		{"RPC error -32603 - Internal error: broadcast error on transaction validation: tx AB is invalid: code=2, data=, log='bad-signature: x', codespace=''", contract.CodeBadSignature, true},
		{"connection refused", 0, false},
		{"tx AB is invalid: code=99999999999, data=, log='', codespace=''", 0, false},
	}
	for _, tc := range tests {
		ref := checkTxRefusal("op", errors.New(tc.msg))
		if (ref != nil) != tc.ok || ref != nil && ref.Code != tc.want {
			t.Errorf("checkTxRefusal(%q) = %v, want code %d (found %v)", tc.msg, ref, tc.want, tc.ok)
		}
	}
}
