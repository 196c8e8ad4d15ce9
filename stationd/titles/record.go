// Package titles keeps the station's installed title packages: each is
// checked once, in full, when it is installed, and a record of the file as
// installed lets a burn trust it without authenticating it whole again.
//
// # Concepts
//
// Install → record → check → burn. Add reads the package once from end to
// end: it checks everything that can be checked without the package key
// (which the network releases only with a spent copy's keys): the
// manifest, the file size, every chunk tag against the integrity root, and
// the root against the content hash the title was registered with on the
// ledger when the operator gives it; it hashes the whole file (SHA-256) as
// it copies it into the titles directory; and it writes a Record naming the
// file as installed: inode, size, modification and change times
// (the change time cannot be set back by a program, so an edit that
// restores the modification time is still seen). Check compares the file
// with its record from one stat call: the cheap check a station makes
// before it asks for a spend. A burn of a checked file reads and decrypts
// it once (burn.Job.SinglePass), authenticating every chunk before any of
// its bytes reach the drive. A file that rotted or was altered without its
// inode's times moving (a raw write to the block device) fails a chunk's
// tag during the burn: that disc is spoiled, and MarkFailed writes the
// failure into the record, so Check refuses every later copy before its
// spend until the title is installed again.
package titles

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"copystation/burn/titlepkg"
)

// RecordVersion is the record format this package writes and reads.
const RecordVersion = 1

// maxRecord bounds a record file; a real one is about 500 bytes.
const maxRecord = 4 << 10

// Errors. Every error from this package wraps one of them.
var (
	// ErrNotInstalled: the title has no install record.
	ErrNotInstalled = errors.New("titles: title not installed (stationd titles add)")
	// ErrChanged: the package file is not the one installed, or a burn
	// found a chunk of it that no longer authenticates.
	ErrChanged = errors.New("titles: package changed since it was installed; install it again (stationd titles add)")
	// ErrPackage: the package offered for installation is unusable.
	ErrPackage = errors.New("titles: package refused")
	// ErrRecord: an install record is malformed.
	ErrRecord = errors.New("titles: malformed install record")
)

// Record is what installing a title leaves in the records directory, one
// JSON file per title.
type Record struct {
	Version int    `json:"version"`
	TitleID string `json:"title_id"`
	// File is the package's name in the titles directory.
	File string `json:"file"`
	// The file as installed, from stat(2).
	Size    int64  `json:"size"`
	Dev     uint64 `json:"dev"`
	Inode   uint64 `json:"inode"`
	MtimeNS int64  `json:"mtime_ns"`
	CtimeNS int64  `json:"ctime_ns"`
	// SHA256 is the digest of the whole file as installed (hex).
	SHA256 string `json:"sha256"`
	// Root is the manifest's integrity root (hex): the title's content
	// hash on the ledger.
	Root string `json:"root"`
	// Chunks is the package's chunk count, all tags checked against Root.
	Chunks      uint64    `json:"chunks"`
	InstalledAt time.Time `json:"installed_at"`
	// Failed, when set, says why a burn found the file unsound after it
	// was installed; Check refuses the title until it is installed again.
	Failed string `json:"failed,omitempty"`
}

var hexRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParseRecord decodes and checks a record file's contents.
func ParseRecord(b []byte) (*Record, error) {
	if len(b) > maxRecord {
		return nil, fmt.Errorf("titles.ParseRecord: %w: %d bytes, at most %d", ErrRecord, len(b), maxRecord)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("titles.ParseRecord: %w: %v", ErrRecord, err)
	}
	switch {
	case r.Version != RecordVersion:
		return nil, fmt.Errorf("titles.ParseRecord: %w: version %d, this station reads %d", ErrRecord, r.Version, RecordVersion)
	case !titlepkg.ValidTitleID(r.TitleID):
		return nil, fmt.Errorf("titles.ParseRecord: %w: title ID %q", ErrRecord, r.TitleID)
	case r.File != titlepkg.FileName(r.TitleID):
		return nil, fmt.Errorf("titles.ParseRecord: %w: file name %q", ErrRecord, r.File)
	case r.Size <= 0:
		return nil, fmt.Errorf("titles.ParseRecord: %w: size %d", ErrRecord, r.Size)
	case !hexRe.MatchString(r.SHA256) || !hexRe.MatchString(r.Root):
		return nil, fmt.Errorf("titles.ParseRecord: %w: digest or root is not 64 lowercase hex digits", ErrRecord)
	case len(r.Failed) > 1024:
		return nil, fmt.Errorf("titles.ParseRecord: %w: failure note of %d bytes", ErrRecord, len(r.Failed))
	}
	return &r, nil
}

// Marshal encodes a record for its file.
func (r *Record) Marshal() []byte {
	b, _ := json.MarshalIndent(r, "", "  ") // plain fields: cannot fail
	return append(b, '\n')
}
