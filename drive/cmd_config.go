package drive

import "encoding/binary"

// maxFeatures bounds the feature descriptors decoded from one response.
const maxFeatures = 256

// GetConfiguration reads the current profile and the drive's features
// (MMC-6 6.6).
type GetConfiguration struct {
	RT               uint8       // byte 1 bits 1-0: RTAll, RTCurrent or RTOne
	StartingFeature  FeatureCode // bytes 2-3
	AllocationLength uint16      // bytes 7-8; 0 means 4096
}

func (c GetConfiguration) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0] = byte(OpGetConfiguration)
	cdb[1] = c.RT & 0x03
	binary.BigEndian.PutUint16(cdb[2:], uint16(c.StartingFeature))
	binary.BigEndian.PutUint16(cdb[7:], orDefault(c.AllocationLength, 4096))
	return cdb
}

// Feature is one feature descriptor (MMC-6 5.2.2, table 84).
type Feature struct {
	Code       FeatureCode // bytes 0-1
	Version    uint8       // byte 2 bits 5-2
	Persistent bool        // byte 2 bit 1
	Current    bool        // byte 2 bit 0
	Data       []byte      // the additional bytes (byte 3 gives their count)
}

// ProfileDescriptor is one entry of the Profile List feature (MMC-6 5.3.1).
type ProfileDescriptor struct {
	Profile Profile
	Current bool
}

// Configuration is the GET CONFIGURATION response: the feature header
// (data length, current profile) and the feature descriptors.
type Configuration struct {
	CurrentProfile Profile
	Features       []Feature
}

// Feature returns the descriptor for code, if the drive reported it.
func (c *Configuration) Feature(code FeatureCode) (Feature, bool) {
	for _, f := range c.Features {
		if f.Code == code {
			return f, true
		}
	}
	return Feature{}, false
}

// Profiles decodes the Profile List feature.
func (c *Configuration) Profiles() []ProfileDescriptor {
	f, ok := c.Feature(FeatureProfileList)
	if !ok {
		return nil
	}
	var out []ProfileDescriptor
	for d := f.Data; len(d) >= 4; d = d[4:] {
		out = append(out, ProfileDescriptor{Profile: Profile(be16(d)), Current: d[2]&1 != 0})
	}
	return out
}

func (c GetConfiguration) Execute(t Transport) (*Configuration, error) {
	cdb := c.CDB()
	b, err := dataIn(t, "GET CONFIGURATION", cdb, int(be16(cdb[7:])))
	if err != nil {
		return nil, err
	}
	return ParseConfiguration(b)
}

// ParseConfiguration decodes a GET CONFIGURATION response. A descriptor
// cut short by the allocation length ends the list.
func ParseConfiguration(b []byte) (*Configuration, error) {
	if len(b) < 8 {
		return nil, badResponse("GET CONFIGURATION", "%d bytes, want at least the 8-byte feature header", len(b))
	}
	n := int(min(be32(b[0:4]), 1<<24)) + 4
	if n < 8 {
		return nil, badResponse("GET CONFIGURATION", "data length %d shorter than the header", n-4)
	}
	c := &Configuration{CurrentProfile: Profile(be16(b[6:8]))}
	d := b[8:min(n, len(b))]
	for len(d) >= 4 && len(c.Features) < maxFeatures {
		l := 4 + int(d[3])
		if l > len(d) {
			break
		}
		c.Features = append(c.Features, Feature{
			Code:       FeatureCode(be16(d)),
			Version:    d[2] >> 2 & 0x0F,
			Persistent: d[2]&2 != 0,
			Current:    d[2]&1 != 0,
			Data:       d[4:l:l],
		})
		d = d[l:]
	}
	return c, nil
}

// Notification classes of GET EVENT STATUS NOTIFICATION (MMC-6 6.7.1.2).
const (
	EventClassOperational = 1 << 1
	EventClassPower       = 1 << 2
	EventClassExternal    = 1 << 3
	EventClassMedia       = 1 << 4
	EventClassMultiHost   = 1 << 5
	EventClassBusy        = 1 << 6
)

// Media event codes (MMC-6 6.7.2.5, table 163).
const (
	MediaEventNoChange       = 0x0
	MediaEventEjectRequest   = 0x1
	MediaEventNewMedia       = 0x2
	MediaEventMediaRemoval   = 0x3
	MediaEventMediaChanged   = 0x4
	MediaEventBGFormatDone   = 0x5
	MediaEventBGFormatRestrt = 0x6
)

// GetEventStatusNotification polls for tray, media and busy events
// (MMC-6 6.7).
type GetEventStatusNotification struct {
	Polled           bool   // byte 1 bit 0 (only polled operation is supported by drives)
	ClassRequest     uint8  // byte 4: EventClass* bits
	AllocationLength uint16 // bytes 7-8; 0 means 8
}

func (c GetEventStatusNotification) CDB() []byte {
	cdb := make([]byte, 10)
	cdb[0] = byte(OpGetEventStatusNotification)
	cdb[1] = bit(c.Polled, 0)
	cdb[4] = c.ClassRequest
	binary.BigEndian.PutUint16(cdb[7:], orDefault(c.AllocationLength, 8))
	return cdb
}

// EventStatus is the event status header and, for the media class, its
// decoded event descriptor (MMC-6 6.7.2).
type EventStatus struct {
	NEA              bool  // byte 2 bit 7: no event available
	Class            uint8 // byte 2 bits 2-0: the class reported
	SupportedClasses uint8 // byte 3
	Data             []byte
	// Media class (Class 4) descriptor fields.
	MediaEvent   uint8 // byte 0 bits 3-0
	MediaPresent bool  // byte 1 bit 1
	DoorOpen     bool  // byte 1 bit 0
}

func (c GetEventStatusNotification) Execute(t Transport) (*EventStatus, error) {
	cdb := c.CDB()
	b, err := dataIn(t, "GET EVENT STATUS NOTIFICATION", cdb, int(be16(cdb[7:])))
	if err != nil {
		return nil, err
	}
	return ParseEventStatus(b)
}

// ParseEventStatus decodes a GET EVENT STATUS NOTIFICATION response.
func ParseEventStatus(b []byte) (*EventStatus, error) {
	if len(b) < 4 {
		return nil, badResponse("GET EVENT STATUS NOTIFICATION", "%d bytes, want the 4-byte header", len(b))
	}
	n := min(int(be16(b[0:2]))+2, len(b))
	if n < 4 {
		n = 4
	}
	e := &EventStatus{NEA: b[2]&0x80 != 0, Class: b[2] & 0x07, SupportedClasses: b[3], Data: b[4:n:n]}
	if e.Class == 4 && len(e.Data) >= 2 {
		e.MediaEvent = e.Data[0] & 0x0F
		e.MediaPresent = e.Data[1]&2 != 0
		e.DoorOpen = e.Data[1]&1 != 0
	}
	return e, nil
}
