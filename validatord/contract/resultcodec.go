package contract

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The stored form of a committed result (r/<hex tx hash>, local to each
// node): version 1 ‖ height (u64) ‖ code (u32) ‖ data length (u32) ‖ data
// ‖ log (the rest), integers big-endian; the hash is the key's. It
// replaced the JSON encoding of TxResult, which repeated the hash, carried
// the receipt in base64 and cost a reflective encoding per transaction in
// every block, and about twice the bytes in every commit (docs/contract.md).
const resultV1 = 1

// errResult is the error for a stored result that does not decode.
var errResult = errors.New("stored result does not decode")

func encodeResult(r *TxResult) []byte {
	b := make([]byte, 0, 17+len(r.Data)+len(r.Log))
	b = append(b, resultV1)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Height))
	b = binary.BigEndian.AppendUint32(b, uint32(r.Code))
	b = appendBytes(b, r.Data)
	return append(b, r.Log...)
}

// decodeResult reads a stored result of the transaction with this hash.
func decodeResult(hash, p []byte) (TxResult, error) {
	if len(p) == 0 || p[0] != resultV1 {
		return TxResult{}, fmt.Errorf("contract: %w: version %x", errResult, p[:min(len(p), 1)])
	}
	r := reader{b: p[1:]}
	res := TxResult{Hash: hash, Height: int64(r.u64())}
	if c := r.take(4); c != nil {
		res.Code = Code(binary.BigEndian.Uint32(c))
	}
	if data := r.bytes(len(p)); len(data) > 0 {
		res.Data = append([]byte(nil), data...)
	}
	if r.err != nil {
		return TxResult{}, fmt.Errorf("contract: %w: %v", errResult, r.err)
	}
	res.Log = string(r.b)
	return res, nil
}
