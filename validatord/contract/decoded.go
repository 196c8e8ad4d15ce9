package contract

import (
	"encoding/json"
	"fmt"
)

// decodedRecord is a record decoded once in a block, with the bytes it was
// decoded from.
type decodedRecord struct {
	raw []byte
	val any
}

// getDecoded reads and decodes the record at key, like view.getJSON, but
// a block decodes a given value of a key once: every spend of a title reads
// the same title and station, and reading and decoding them was more than
// half of a spend's execution (BenchmarkSpendBlocks: 110 CPU-us a spend
// before, 41 to 54 after; a title grows with its segments). A decoded value is reused only while the view returns the very
// same bytes (the same backing array from the block's read cache or staged
// writes); a write to the key in this block stores new bytes, which are
// decoded afresh. Each caller gets its own shallow copy, so setting a field
// never reaches another transaction; slices and maps in it are shared and
// must not be modified (callers of activeStation and authorise only read).
func getDecoded[T any](e *execEnv, v *view, key string) (*T, bool, error) {
	p, err := v.get(key)
	if err != nil || p == nil {
		return nil, false, err
	}
	if d, ok := e.decoded[key]; ok && sameBytes(d.raw, p) {
		c := *d.val.(*T)
		return &c, true, nil
	}
	out := new(T)
	if err := json.Unmarshal(p, out); err != nil {
		return nil, false, fmt.Errorf("contract: decode %q: %w", key, err)
	}
	if e.decoded != nil {
		e.decoded[key] = decodedRecord{raw: p, val: out}
	}
	c := *out
	return &c, true, nil
}

// sameBytes reports whether a and b are the same slice of the same array
// (not merely equal contents: identity is what proves nothing rewrote it).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}
