package simstation

import "copystation/stationd/simdaemon"

// The station side lives in simdaemon, which links no validation node;
// these names keep simstation's callers whole.
type (
	Options     = simdaemon.Options
	Station     = simdaemon.Station
	StationKeys = simdaemon.StationKeys
	Robot       = simdaemon.Robot
	MediaType   = simdaemon.MediaType
	Playback    = simdaemon.Playback
)

// OpenKeys, Start and ParseMedia are simdaemon's.
var (
	OpenKeys   = simdaemon.OpenKeys
	Start      = simdaemon.Start
	ParseMedia = simdaemon.ParseMedia
)
