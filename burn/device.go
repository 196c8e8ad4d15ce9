package burn

import (
	"context"

	"copystation/keys"
)

// media is what a copy needs to know about the disc in the drive.
type media struct {
	MediaID  []byte
	Profile  uint16
	Writable bool   // a blank BD-R, or a BD-RE
	Start    uint32 // next writable address: where the copy starts
	Free     uint32 // sectors free from Start
}

// device is the drive as the pipeline uses it. driveDevice adapts the
// drive package's Drive to it.
type device interface {
	media(ctx context.Context) (media, error)
	write(ctx context.Context, lba uint32, p []byte) error
	read(ctx context.Context, lba uint32, p []byte) error
	sync(ctx context.Context) error
	close(ctx context.Context, f keys.FormatMetadata) error
}
