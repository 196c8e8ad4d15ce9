package simdaemon

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"copystation/burn"
	"copystation/burn/disc"
	"copystation/custody/playertree"
	"copystation/drive"
	"copystation/simulator/drivesim"
)

// Playback is what a player found on a disc.
type Playback struct {
	Header     *disc.Header
	DiscDigest []byte // SHA-256 of the decrypted image
}

// Play reads the newest disc in the robot's output bin in a separate
// simulated drive, as a player does: header, media ID binding, disc key
// block opened with the player's device keys, every cluster checked and
// decrypted.
func (s *Station) Play(ctx context.Context, player *playertree.DeviceKeys) (*Playback, error) {
	return s.PlayTo(ctx, player, io.Discard)
}

// PlayTo is Play that also writes the decrypted image to w.
func (s *Station) PlayTo(ctx context.Context, player *playertree.DeviceKeys, w io.Writer) (*Playback, error) {
	out := s.Robot.Sim.Output()
	if len(out) == 0 {
		return nil, errors.New("simstation.Play: the output bin is empty")
	}
	d := out[len(out)-1]
	sim, err := drivesim.New(drivesim.Options{})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	if err := sim.InsertDisc(d); err != nil {
		return nil, err
	}
	defer sim.Remove() // the disc stays the robot's
	rd := drive.New(sim)
	if err := rd.WaitReady(ctx); err != nil {
		return nil, fmt.Errorf("simstation.Play: %w", err)
	}
	h := sha256.New()
	hdr, err := burn.ReadDisc(ctx, rd, player, io.MultiWriter(h, w), burn.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("simstation.Play: %w", err)
	}
	return &Playback{Header: hdr, DiscDigest: h.Sum(nil)}, nil
}
