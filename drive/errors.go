package drive

import "errors"

// Sentinel errors. A *SenseError matches the sentinel of its sense key or
// ASC/ASCQ under errors.Is; transports wrap ErrTimeout and ErrTransport.
var (
	// ErrTimeout: a command did not complete within its deadline.
	ErrTimeout = errors.New("drive: command timed out")
	// ErrTransport: the command could not be delivered or its answer was
	// lost (host adapter, driver or link failure).
	ErrTransport = errors.New("drive: transport failure")
)
