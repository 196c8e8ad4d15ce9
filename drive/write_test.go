package drive_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"copystation/drive"
	"copystation/simulator/drivesim"
)

// counting passes commands on to the simulator and records the transfer
// length of every READ(12) and WRITE(12). It hides the simulator's own
// TransferLimiter; limited adds one with a chosen limit.
type counting struct {
	sim    *drivesim.Drive
	blocks map[drive.Opcode][]uint32
}

func (c *counting) Do(cdb []byte, dir drive.Direction, buf []byte, timeout time.Duration) (drive.Result, error) {
	if op := drive.Opcode(cdb[0]); op == drive.OpRead12 || op == drive.OpWrite12 {
		c.blocks[op] = append(c.blocks[op], binary.BigEndian.Uint32(cdb[6:10]))
	}
	return c.sim.Do(cdb, dir, buf, timeout)
}

type limited struct {
	*counting
	limit uint32
}

func (l limited) MaxTransferSectors() uint32 { return l.limit }

// TestTransferLimiter checks that Write and Read split a transfer into one
// cluster per command, or into the whole clusters a TransferLimiter
// allows, and that the data survives either way.
func TestTransferLimiter(t *testing.T) {
	tests := []struct {
		name  string
		limit uint32 // 0: the transport is no TransferLimiter
		want  []uint32
	}{
		{"no limiter", 0, []uint32{32, 32, 32, 4}},
		{"limiter below a cluster", 20, []uint32{32, 32, 32, 4}},
		{"limiter of 70 sectors", 70, []uint32{64, 36}},
		{"limiter above the transfer", 512, []uint32{100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &counting{sim: newSim(t, drivesim.Options{Media: drivesim.BDR25}), blocks: map[drive.Opcode][]uint32{}}
			var tr drive.Transport = c
			if tc.limit != 0 {
				tr = limited{c, tc.limit}
			}
			ctx := context.Background()
			d := fastDrive(tr)
			if err := d.WaitReady(ctx); err != nil {
				t.Fatalf("WaitReady() = %v", err)
			}
			img := image(100*drive.SectorSize, 3)
			if err := d.Write(ctx, 0, img); err != nil {
				t.Fatalf("Write() = %v", err)
			}
			back := make([]byte, len(img))
			if err := d.Read(ctx, 0, back); err != nil {
				t.Fatalf("Read() = %v", err)
			}
			if !bytes.Equal(back, img) {
				t.Errorf("Read() after Write() differs")
			}
			for _, op := range []drive.Opcode{drive.OpWrite12, drive.OpRead12} {
				if got := c.blocks[op]; !slices.Equal(got, tc.want) {
					t.Errorf("%v transfer lengths = %v, want %v", op, got, tc.want)
				}
			}
		})
	}
}
