package keys

import (
	"errors"
	"fmt"
)

// Bounds on the fields of an Info. They keep the HPKE info string small and
// make every field length fit its 16-bit prefix.
const (
	MaxJobIDLen      = 256
	MaxMediaIDLen    = 64
	MaxTranscriptLen = 1024
)

// infoLabel and infoVersion open every encoded Info, so an envelope sealed
// for this purpose and version never opens under another. The label names
// the copy-keys envelope the nodes once sent; it stays, as bytes of the
// release envelope's HPKE info (releaseInfo), so that format is unchanged.
const (
	infoLabel   = "copystation copy-keys envelope"
	infoVersion = 1
)

// ErrInfo is returned for an Info that can't be encoded.
var ErrInfo = errors.New("keys: invalid envelope info")

// Info is the public context an envelope is bound to: it goes, encoded, into
// the HPKE info string, so an envelope opens only for the same job, the same
// blank and the same Noise connection it was sealed for.
type Info struct {
	// JobID is the station's job identifier (1 to MaxJobIDLen bytes).
	JobID string
	// MediaID is the blank disc's media identifier (1 to MaxMediaIDLen
	// bytes).
	MediaID []byte
	// Transcript is the Noise handshake hash of the connection that carried
	// the request (0 to MaxTranscriptLen bytes; the gateway always sets it).
	Transcript []byte
}

// MarshalBinary returns the deterministic encoding used as HPKE info: the
// label and version, then each field prefixed by its 16-bit length, so no
// two different Infos share an encoding.
func (i Info) MarshalBinary() ([]byte, error) { return i.marshal(infoLabel) }

// marshal encodes i under label, which names the envelope's purpose.
func (i Info) marshal(label string) ([]byte, error) {
	switch {
	case len(i.JobID) == 0 || len(i.JobID) > MaxJobIDLen:
		return nil, fmt.Errorf("%w: job ID is %d bytes, want 1 to %d", ErrInfo, len(i.JobID), MaxJobIDLen)
	case len(i.MediaID) == 0 || len(i.MediaID) > MaxMediaIDLen:
		return nil, fmt.Errorf("%w: media ID is %d bytes, want 1 to %d", ErrInfo, len(i.MediaID), MaxMediaIDLen)
	case len(i.Transcript) > MaxTranscriptLen:
		return nil, fmt.Errorf("%w: transcript is %d bytes, want at most %d", ErrInfo, len(i.Transcript), MaxTranscriptLen)
	}
	b := make([]byte, 0, 1+len(label)+2+6+len(i.JobID)+len(i.MediaID)+len(i.Transcript))
	b = append(b, byte(len(label)))
	b = append(b, label...)
	b = append(b, 0, infoVersion)
	b = appendBytes16(b, []byte(i.JobID))
	b = appendBytes16(b, i.MediaID)
	b = appendBytes16(b, i.Transcript)
	return b, nil
}
