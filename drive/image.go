package drive

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// WriteOptions steer WriteImage.
type WriteOptions struct {
	// StartLBA is where the image goes; it must be cluster-aligned (a
	// multiple of 32). For a BD-R it is MediaInfo's NextWritable.
	StartLBA uint32
	// Total is the image size in bytes if known, passed on in progress
	// reports; 0 if unknown.
	Total int64
	// Progress, if set, is called after every unit written.
	Progress func(WriteProgress)
}

// WriteProgress reports how far WriteImage has come.
type WriteProgress struct {
	Bytes   int64  // image bytes written so far
	Total   int64  // WriteOptions.Total
	NextLBA uint32 // the sector the next unit goes to
}

// WriteResult sums up a finished WriteImage.
type WriteResult struct {
	Bytes   int64  // image bytes read from r
	Sectors uint32 // sectors written (the last one zero-padded)
	NextLBA uint32 // StartLBA + Sectors
}

// unitBuffers is how many 64 KiB units may be read ahead of the drive.
const unitBuffers = 4

type unit struct {
	buf []byte
	n   int // image bytes in buf
	err error
}

// WriteImage streams r to the disc from opts.StartLBA in 32-sector (64 KiB)
// units aligned to the ECC cluster, reading ahead while the drive writes
// and never holding more than a few units in memory. A final partial
// sector is zero-padded. The error of a failed unit names its LBA; on any
// error the WriteResult says how much was written before it.
func (d *Drive) WriteImage(ctx context.Context, r io.Reader, opts WriteOptions) (WriteResult, error) {
	res := WriteResult{NextLBA: opts.StartLBA}
	if opts.StartLBA%ClusterSectors != 0 {
		return res, fmt.Errorf("drive.WriteImage: start LBA %d is not aligned to a %d-sector cluster: %w",
			opts.StartLBA, ClusterSectors, ErrInvalidAddress)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full := make(chan unit, unitBuffers)
	free := make(chan []byte, unitBuffers)
	for range unitBuffers {
		free <- make([]byte, ClusterSize)
	}
	go readUnits(ctx, r, free, full)
	for u := range full {
		if u.n > 0 {
			sectors := (u.n + SectorSize - 1) / SectorSize
			clear(u.buf[u.n : sectors*SectorSize])
			if err := d.Write(ctx, res.NextLBA, u.buf[:sectors*SectorSize]); err != nil {
				return res, fmt.Errorf("drive.WriteImage: %w", err)
			}
			res.Bytes += int64(u.n)
			res.Sectors += uint32(sectors)
			res.NextLBA += uint32(sectors)
			if opts.Progress != nil {
				opts.Progress(WriteProgress{Bytes: res.Bytes, Total: opts.Total, NextLBA: res.NextLBA})
			}
		}
		if u.err != nil {
			if errors.Is(u.err, io.EOF) {
				return res, nil
			}
			return res, fmt.Errorf("drive.WriteImage: reading the image after %d bytes: %w", res.Bytes, u.err)
		}
		free <- u.buf
	}
	return res, ctx.Err()
}

// readUnits fills free buffers from r and hands them on in order; the last
// unit carries io.EOF or the read error.
func readUnits(ctx context.Context, r io.Reader, free <-chan []byte, full chan<- unit) {
	defer close(full)
	for {
		var buf []byte
		select {
		case buf = <-free:
		case <-ctx.Done():
			return
		}
		n, err := io.ReadFull(r, buf)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		select {
		case full <- unit{buf: buf, n: n, err: err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}
