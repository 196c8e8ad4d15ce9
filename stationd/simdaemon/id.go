package simdaemon

import "copystation/protocol"

func daemonStationID(signing []byte) string { return protocol.KeyID(signing) }
