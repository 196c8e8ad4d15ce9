package main

import (
	"bytes"
	"fmt"
	"golang.org/x/sys/unix"
	"os"
	"time"

	"copystation/drive"
	"copystation/drive/sgio/guesttest/report"
)

func probe(rep *report.Writer, node string, t drive.Transport) {
	cmds := []struct {
		name string
		cdb  []byte
		n    int
	}{
		{"getconf", []byte{0x46, 0, 0, 0, 0, 0, 0, 0, 64, 0}, 64},
		{"discinfo", []byte{0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0}, 34},
		{"trackinfo", []byte{0x52, 1, 0, 0, 0, 1, 0, 0, 48, 0}, 48},
		{"discstruct86", []byte{0xAD, 1, 0, 0, 0, 0, 0, 0x86, 0, 36, 0, 0}, 36},
		{"gesn", []byte{0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8, 0}, 8},
		{"modesense2a", []byte{0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 64, 0}, 64},
		{"getperf", []byte{0xAC, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0}, 40},
		{"readfmtcap", []byte{0x23, 0, 0, 0, 0, 0, 0, 0, 12, 0}, 12},
		{"read12", []byte{0xA8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}, 2048},
		{"lock", []byte{0x1E, 0, 0, 0, 1, 0}, 0},
		{"eject-locked", []byte{0x1B, 0, 0, 0, 2, 0}, 0},
		{"unlock", []byte{0x1E, 0, 0, 0, 0, 0}, 0},
		{"eject", []byte{0x1B, 0, 0, 0, 2, 0}, 0},
		{"tur-ejected", []byte{0, 0, 0, 0, 0, 0}, 0},
		{"gesn-ejected", []byte{0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8, 0}, 8},
		{"load", []byte{0x1B, 0, 0, 0, 3, 0}, 0},
		{"tur-loaded", []byte{0, 0, 0, 0, 0, 0}, 0},
		{"tur-loaded2", []byte{0, 0, 0, 0, 0, 0}, 0},
	}
	for _, c := range cmds {
		buf := make([]byte, c.n)
		dir := drive.DirIn
		if c.n == 0 {
			dir = drive.DirNone
		}
		res, err := t.Do(c.cdb, dir, buf, 5*time.Second)
		f := map[string]string{"status": fmt.Sprint(res.Status), "sense": fmt.Sprintf("%x", res.Sense), "n": fmt.Sprint(res.Transferred)}
		if c.n > 0 && c.n <= 64 {
			f["data"] = fmt.Sprintf("%x", buf[:min(res.Transferred, len(buf))])
		}
		r := report.Record{Device: node, Step: "probe-" + c.name, Fields: f}
		if err != nil {
			r.Err = err.Error()
		}
		rep.Write(r)
	}
}

func runBurnSteps(rep *report.Writer, d device, node string) {
	f, err := os.OpenFile(node, os.O_RDWR|unix.O_NONBLOCK, 0)
	if err != nil {
		rep.Write(report.Record{Device: node, Step: "open", Err: err.Error()})
		return
	}
	defer f.Close()
	t := &rawSGIO{fd: int(f.Fd())}
	data := make([]byte, 65536)
	for i := range data {
		data[i] = byte(i * 7)
	}
	lba := byte(0)
	if node[5:7] == "sr" {
		lba = 32
	}
	cmds := []struct {
		name string
		cdb  []byte
		n    int
		out  []byte
	}{
		{"inquiry", []byte{0x12, 0, 0, 0, 36, 0}, 36, nil},
		{"tur", []byte{0, 0, 0, 0, 0, 0}, 0, nil},
		{"tur2", []byte{0, 0, 0, 0, 0, 0}, 0, nil},
		{"getconf", []byte{0x46, 0, 0, 0, 0, 0, 0, 0, 16, 0}, 16, nil},
		{"discinfo", []byte{0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0}, 34, nil},
		{"write12", []byte{0xAA, 0x80, 0, 0, 0, lba, 0, 0, 0, 32, 0, 0}, 0, data},
		{"sync", []byte{0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, nil},
		{"read10", []byte{0x28, 0, 0, 0, 0, lba, 0, 0, 32, 0}, 65536, nil},
	}
	for _, c := range cmds {
		buf := make([]byte, c.n)
		dir := drive.DirIn
		if c.out != nil {
			buf, dir = c.out, drive.DirOut
		} else if c.n == 0 {
			dir = drive.DirNone
		}
		res, err := t.Do(c.cdb, dir, buf, 20*time.Second)
		f := map[string]string{"status": fmt.Sprint(res.Status), "sense": fmt.Sprintf("%x", res.Sense), "n": fmt.Sprint(res.Transferred)}
		if c.n > 0 && c.n <= 64 {
			f["data"] = fmt.Sprintf("%x", buf[:min(res.Transferred, len(buf))])
		}
		if c.name == "read10" {
			f["same"] = fmt.Sprint(bytes.Equal(buf, data))
		}
		r := report.Record{Device: node, Step: "burn-" + c.name, Fields: f}
		if err != nil {
			r.Err = err.Error()
		}
		rep.Write(r)
	}
}
