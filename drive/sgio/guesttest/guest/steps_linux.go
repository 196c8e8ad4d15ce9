package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"copystation/drive"
	"copystation/drive/sgio/guesttest/report"
)

// stepTimeout bounds every step; a healthy one takes milliseconds.
const stepTimeout = 20 * time.Second

// sentinels are the drive package's typed errors, by name, so the host can
// assert which ones an error matched under errors.Is.
var sentinels = []struct {
	name string
	err  error
}{
	{"ErrTimeout", drive.ErrTimeout},
	{"ErrTransport", drive.ErrTransport},
	{"ErrBusy", drive.ErrBusy},
	{"ErrBadResponse", drive.ErrBadResponse},
	{"ErrNotReady", drive.ErrNotReady},
	{"ErrBecomingReady", drive.ErrBecomingReady},
	{"ErrLongWriteInProgress", drive.ErrLongWriteInProgress},
	{"ErrMediumNotPresent", drive.ErrMediumNotPresent},
	{"ErrMediumError", drive.ErrMediumError},
	{"ErrWriteError", drive.ErrWriteError},
	{"ErrUnrecoveredRead", drive.ErrUnrecoveredRead},
	{"ErrHardwareError", drive.ErrHardwareError},
	{"ErrIllegalRequest", drive.ErrIllegalRequest},
	{"ErrInvalidAddress", drive.ErrInvalidAddress},
	{"ErrUnitAttention", drive.ErrUnitAttention},
	{"ErrDataProtect", drive.ErrDataProtect},
	{"ErrBlankCheck", drive.ErrBlankCheck},
	{"ErrAborted", drive.ErrAborted},
	{"ErrIncompatibleMedium", drive.ErrIncompatibleMedium},
}

// stepper runs named steps against one device node and reports each.
// With att set (the logger of the step's Drive), a step also reports the
// unit attentions the Drive absorbed during it, as "absorbed".
type stepper struct {
	rep  *report.Writer
	node string
	att  *attentionLog
}

// do runs fn with a deadline, timing it, and reports what it observed and
// how it failed: the error text, the sentinels it matches and, for a
// *drive.SenseError, the sense key and ASC/ASCQ.
func (s stepper) do(name string, fn func(ctx context.Context, f map[string]string) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	f := map[string]string{}
	start, mark := time.Now(), s.att.mark()
	err := fn(ctx, f)
	if a := s.att.since(mark); a != "" {
		f["absorbed"] = a
	}
	rec := report.Record{Device: s.node, Step: name, Fields: f, Millis: time.Since(start).Milliseconds()}
	if err != nil {
		rec.Err = err.Error()
		for _, sn := range sentinels {
			if errors.Is(err, sn.err) {
				rec.Is = append(rec.Is, sn.name)
			}
		}
		var se *drive.SenseError
		if errors.As(err, &se) {
			f["sense"] = fmt.Sprintf("%X/%02X/%02X", uint8(se.Key), se.ASC, se.ASCQ)
			f["op"] = se.Op
			f["format"] = fmt.Sprintf("%02X", se.Sense.ResponseCode)
			if se.LBAValid {
				f["lba"] = strconv.FormatUint(uint64(se.LBA), 10)
			}
		}
	}
	s.rep.Write(rec)
	return err
}

// capacity reads READ CAPACITY's sector count (last LBA + 1).
func capacity(t drive.Transport) (uint32, error) {
	c, err := drive.ReadCapacity{}.Execute(t)
	if err != nil {
		return 0, err
	}
	return c.LastLBA + 1, nil
}

// readAll reads sectors [0, n) in cluster-sized commands made by read and
// records their SHA-256 and count, for the host to compare with the image.
func readAll(f map[string]string, n uint32, read func(lba uint32, buf []byte) error) error {
	h := sha256.New()
	buf := make([]byte, drive.ClusterSize)
	for lba := uint32(0); lba < n; lba += drive.ClusterSectors {
		k := min(n-lba, drive.ClusterSectors)
		if err := read(lba, buf[:k*drive.SectorSize]); err != nil {
			return err
		}
		h.Write(buf[:k*drive.SectorSize])
	}
	f["sectors"] = strconv.FormatUint(uint64(n), 10)
	f["sha256"] = hex.EncodeToString(h.Sum(nil))
	return nil
}

func identityFields(f map[string]string, id *drive.Identity) {
	f["vendor"], f["product"], f["revision"] = id.Vendor, id.Product, id.Revision
	f["profile"] = fmt.Sprintf("%04X", uint16(id.CurrentProfile))
	f["profiles"] = fmt.Sprint(id.Profiles)
	f["canWriteBD"] = strconv.FormatBool(id.CanWriteBD)
}

func mediaFields(f map[string]string, mi *drive.MediaInfo) {
	f["profile"] = fmt.Sprintf("%04X", uint16(mi.Profile))
	f["state"] = mi.State.String()
	f["erasable"] = strconv.FormatBool(mi.Erasable)
	f["capacity"] = strconv.FormatUint(uint64(mi.CapacitySectors), 10)
	f["lastRecorded"] = strconv.FormatUint(uint64(mi.LastRecorded), 10)
	f["nextWritable"] = strconv.FormatUint(uint64(mi.NextWritable), 10)
	f["mediaID"] = hex.EncodeToString(mi.MediaID)
	if mi.MediaIDErr != nil {
		f["mediaIDErr"] = mi.MediaIDErr.Error()
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
