package drivetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"copystation/drive"
)

// RunConformance checks the behaviour every drive backend must share.
// open is called once per subtest and must return a transport to a drive
// holding a blank BD-R (it may still be becoming ready); it arranges its
// own cleanup with t.Cleanup.
func RunConformance(t *testing.T, open func(t *testing.T) drive.Transport) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, tr drive.Transport)
	}{
		{"ready", conformReady},
		{"inquiry", conformInquiry},
		{"short allocation length", conformShortAlloc},
		{"check condition carries sense", conformCheckCondition},
		{"write then read", conformWriteRead},
		{"write-once", conformWriteOnce},
		{"commands in a row", conformSequence},
		{"concurrent callers", conformConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := open(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := drive.New(tr, drive.WithBackoff(time.Millisecond, 20*time.Millisecond, 20*time.Second)).WaitReady(ctx); err != nil {
				t.Fatalf("WaitReady() = %v, want nil", err)
			}
			tc.run(t, tr)
		})
	}
}

func conformReady(t *testing.T, tr drive.Transport) {
	res, err := tr.Do(drive.TestUnitReady{}.CDB(), drive.DirNone, nil, 5*time.Second)
	if err != nil || res.Status != drive.StatusGood || res.Transferred != 0 {
		t.Errorf("Do(TEST UNIT READY) = %+v, %v; want GOOD, 0 transferred", res, err)
	}
}

func conformInquiry(t *testing.T, tr drive.Transport) {
	buf := make([]byte, 96)
	res, err := tr.Do(drive.Inquiry{}.CDB(), drive.DirIn, buf, 5*time.Second)
	if err != nil || res.Status != drive.StatusGood || res.Transferred < 36 || res.Transferred > 96 {
		t.Fatalf("Do(INQUIRY) = %+v, %v; want GOOD with 36..96 bytes", res, err)
	}
	inq, err := drive.ParseInquiry(buf[:res.Transferred])
	if err != nil || inq.PeripheralType != 5 || !inq.Removable {
		t.Errorf("ParseInquiry() = %+v, %v; want an MMC device (type 5), removable", inq, err)
	}
}

// conformShortAlloc: the device honours the allocation length and never
// writes past it.
func conformShortAlloc(t *testing.T, tr drive.Transport) {
	buf := bytes.Repeat([]byte{0xEE}, 16)
	res, err := tr.Do(drive.Inquiry{AllocationLength: 5}.CDB(), drive.DirIn, buf[:5], 5*time.Second)
	if err != nil || res.Status != drive.StatusGood || res.Transferred != 5 {
		t.Fatalf("Do(INQUIRY, 5) = %+v, %v; want GOOD, 5 transferred", res, err)
	}
	if !bytes.Equal(buf[5:], bytes.Repeat([]byte{0xEE}, 11)) {
		t.Errorf("Do(INQUIRY, 5) wrote past its buffer: %x", buf)
	}
}

// conformCheckCondition: a command the device refuses completes (nil
// error) with CHECK CONDITION and sense that decodes.
func conformCheckCondition(t *testing.T, tr drive.Transport) {
	tests := []struct {
		name string
		cdb  []byte
		buf  []byte
		dir  drive.Direction
		want error
	}{
		{"unsupported opcode", []byte{0xD7, 0, 0, 0, 0, 0, 0, 0, 0, 0}, nil, drive.DirNone, drive.ErrIllegalRequest},
		{"read past capacity", drive.Read12{LBA: drive.BDRDualLayer + 100, Blocks: 1}.CDB(), make([]byte, drive.SectorSize), drive.DirIn, drive.ErrInvalidAddress},
	}
	for _, tc := range tests {
		res, err := tr.Do(tc.cdb, tc.dir, tc.buf, 5*time.Second)
		if err != nil || res.Status != drive.StatusCheckCondition {
			t.Errorf("Do(%s) = %+v, %v; want CHECK CONDITION, nil error", tc.name, res, err)
			continue
		}
		s, err := drive.ParseSense(res.Sense)
		if err != nil {
			t.Errorf("ParseSense(%x) = %v", res.Sense, err)
			continue
		}
		if se := drive.NewSenseError(tc.name, s); !errors.Is(se, tc.want) {
			t.Errorf("Do(%s) sense = %v, want %v", tc.name, se, tc.want)
		}
	}
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed ^ byte(i>>11)
	}
	return b
}

func conformWriteRead(t *testing.T, tr drive.Transport) {
	data := pattern(drive.ClusterSize, 0x5A)
	res, err := tr.Do(drive.Write12{Streaming: true, LBA: 0, Blocks: drive.ClusterSectors}.CDB(), drive.DirOut, data, 10*time.Second)
	if err != nil || res.Status != drive.StatusGood || res.Transferred != len(data) {
		t.Fatalf("Do(WRITE(12) 32 sectors) = %+v, %v; want GOOD, %d transferred", res, err, len(data))
	}
	if res, err := tr.Do(drive.SynchronizeCache{}.CDB(), drive.DirNone, nil, time.Minute); err != nil || res.Status != drive.StatusGood {
		t.Fatalf("Do(SYNCHRONIZE CACHE) = %+v, %v; want GOOD", res, err)
	}
	got := make([]byte, len(data))
	res, err = tr.Do(drive.Read12{LBA: 0, Blocks: drive.ClusterSectors}.CDB(), drive.DirIn, got, 10*time.Second)
	if err != nil || res.Status != drive.StatusGood || res.Transferred != len(got) || !bytes.Equal(got, data) {
		t.Fatalf("Do(READ(12)) = %+v, %v, equal %v; want GOOD and the data written", res, err, bytes.Equal(got, data))
	}
}

// conformWriteOnce: on a BD-R, writing anywhere but the next writable
// address fails with ILLEGAL REQUEST / invalid address.
func conformWriteOnce(t *testing.T, tr drive.Transport) {
	res, err := tr.Do(drive.Write12{LBA: 4096, Blocks: 1}.CDB(), drive.DirOut, make([]byte, drive.SectorSize), 10*time.Second)
	if err != nil || res.Status != drive.StatusCheckCondition {
		t.Fatalf("Do(WRITE(12) at 4096 on a blank BD-R) = %+v, %v; want CHECK CONDITION", res, err)
	}
	s, err := drive.ParseSense(res.Sense)
	if se := drive.NewSenseError("WRITE(12)", s); err != nil || !errors.Is(se, drive.ErrInvalidAddress) {
		t.Errorf("WRITE(12) at 4096 sense = %v, %v; want %v", se, err, drive.ErrInvalidAddress)
	}
}

func conformSequence(t *testing.T, tr drive.Transport) {
	for i := range 50 {
		if res, err := tr.Do(drive.TestUnitReady{}.CDB(), drive.DirNone, nil, 5*time.Second); err != nil || res.Status != drive.StatusGood {
			t.Fatalf("Do(TEST UNIT READY) #%d = %+v, %v", i, res, err)
		}
	}
}

// conformConcurrent: two goroutines sharing a transport both get answers
// to their own commands (identical commands, so a recording replays in
// any order).
func conformConcurrent(t *testing.T, tr drive.Transport) {
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				buf := make([]byte, 8)
				res, err := tr.Do(drive.ReadCapacity{}.CDB(), drive.DirIn, buf, 5*time.Second)
				if err == nil && (res.Status != drive.StatusGood || res.Transferred != 8 || buf[6] != 0x08) {
					err = errors.New("bad READ CAPACITY answer")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Do(READ CAPACITY) = %v", err)
	}
}
