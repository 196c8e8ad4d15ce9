package keys

// KeySize is the size of every key: base, variant and disc key.
const KeySize = 32

// CopyKeys are the media copy keys of one copy, as the station holds them
// after the spend is final: combined from t nodes' share releases and the
// copy's group signature (ledgerclient), never sent whole by anyone, and
// kept only in memory.
type CopyKeys struct {
	// BaseKey opens the title package outside its forensic segments and
	// authenticates its manifest (32 bytes).
	BaseKey []byte
	// VariantKeys[s] is the key of the one variant of forensic segment s
	// that Codeword names (32 bytes each); the other variant's key never
	// reaches the station.
	VariantKeys [][]byte
	// DiscKey encrypts the disc's sectors; it is bound to the media ID
	// (32 bytes).
	DiscKey []byte
	// Codeword is the copy's forensic codeword: bit i selects variant A (0)
	// or B (1) of forensic segment i.
	Codeword []byte
	// Format says how to write this disc.
	Format FormatMetadata
	// Revoked are the leaves of the network's player tree revoked at the
	// spend's height, sorted, as the nodes' round-1 envelopes list them
	// (SealPartial): the station writes the disc key block for every other
	// player (docs/disc-format.md).
	Revoked []uint32
}

// FormatMetadata says how a copy is laid out and closed on a disc profile.
type FormatMetadata struct {
	// Profile is the MMC profile the disc must present (0x41 BD-R SRM,
	// 0x43 BD-RE).
	Profile uint16 `json:"profile"`
	// Layers is 1 or 2.
	Layers uint8 `json:"layers"`
	// Finalize closes the disc so nothing more can be appended.
	Finalize bool `json:"finalize"`
	// MaxSpeedX caps the write speed, in multiples of 1x BD (4.5 MB/s);
	// 0 means the drive's best.
	MaxSpeedX uint8 `json:"max_speed_x"`
	// HeaderSectors is the size of the disc header region before the image.
	HeaderSectors uint32 `json:"header_sectors"`
}

// Wipe overwrites the key material in place. Go may have copied the slices
// elsewhere (the GC moves nothing, but callers may have); Wipe clears what
// this value holds.
func (k *CopyKeys) Wipe() {
	if k == nil {
		return
	}
	Zero(k.BaseKey)
	for _, v := range k.VariantKeys {
		Zero(v)
	}
	Zero(k.DiscKey)
	Zero(k.Codeword)
}

// Zero overwrites b with zeros.
func Zero(b []byte) {
	clear(b)
}
