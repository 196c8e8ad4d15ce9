package contract

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// TestResultCodec: a result round-trips through its stored form; a
// truncated or foreign one is refused with errResult.
func TestResultCodec(t *testing.T) {
	hash := Hash([]byte("tx"))
	for _, tc := range []struct {
		name string
		r    TxResult
	}{
		{"accepted spend", TxResult{Hash: hash, Height: 7, Code: OK, Data: []byte(`{"height":7}`), Log: "accepted"}},
		{"refusal", TxResult{Hash: hash, Height: 1 << 40, Code: CodeTokenSpent, Log: "token-spent: token t was spent by job j"}},
		{"empty log", TxResult{Hash: hash, Height: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeResult(hash, encodeResult(&tc.r))
			if err != nil || !reflect.DeepEqual(got, tc.r) {
				t.Fatalf("decodeResult(encodeResult(%+v)) = %+v, %v", tc.r, got, err)
			}
		})
	}
	good := encodeResult(&TxResult{Hash: hash, Height: 3, Data: []byte("data"), Log: "accepted"})
	for _, tc := range []struct {
		name string
		p    []byte
	}{
		{"empty", nil},
		{"JSON", []byte(`{"hash":"","height":1}`)},
		{"truncated height", good[:5]},
		{"truncated data", good[:15]},
		{"data longer than the rest", append(bytes.Clone(good[:13]), 0, 0, 1, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decodeResult(hash, tc.p); !errors.Is(err, errResult) {
				t.Errorf("decodeResult(%x) = %v, want %v", tc.p, err, errResult)
			}
		})
	}
}

// FuzzDecodeResult: any stored bytes decode or are refused, never panic,
// and what decodes encodes back to the same bytes.
func FuzzDecodeResult(f *testing.F) {
	f.Add(encodeResult(&TxResult{Height: 7, Code: OK, Data: []byte(`{"height":7}`), Log: "accepted"}))
	f.Add(encodeResult(&TxResult{Height: 1, Code: CodeTokenSpent, Log: "refused"}))
	f.Add([]byte{resultV1})
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := decodeResult(nil, p)
		if err != nil {
			return
		}
		if again := encodeResult(&r); !bytes.Equal(again, p) {
			t.Fatalf("encodeResult(decodeResult(%x)) = %x", p, again)
		}
	})
}
