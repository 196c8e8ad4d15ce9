package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"copystation/drive"
	"copystation/drive/sgio/guesttest/report"
)

// runSteps runs every step on one device node.
func runSteps(rep *report.Writer, d device, node string) {
	f, err := os.OpenFile(node, os.O_RDWR|unix.O_NONBLOCK, 0)
	if err != nil {
		rep.Write(report.Record{Device: node, Step: "open", Err: err.Error()})
		return
	}
	defer f.Close()
	t := &rawSGIO{fd: int(f.Fd())}
	probe(rep, node, t)
	step(rep, node, "inquiry", func(fields map[string]string) error {
		buf := make([]byte, 96)
		if _, err := check(t.Do([]byte{byte(drive.OpInquiry), 0, 0, 0, 96, 0}, drive.DirIn, buf, 5*time.Second)); err != nil {
			return err
		}
		fields["vendor"] = strings.TrimSpace(string(buf[8:16]))
		fields["product"] = strings.TrimSpace(string(buf[16:32]))
		fields["type"] = strconv.Itoa(int(buf[0] & 0x1F))
		return nil
	})
	step(rep, node, "tur", func(fields map[string]string) error {
		res, err := t.Do([]byte{0, 0, 0, 0, 0, 0}, drive.DirNone, nil, 5*time.Second)
		fields["status"] = strconv.Itoa(int(res.Status))
		fields["sense"] = fmt.Sprintf("%x", res.Sense)
		return err
	})
	step(rep, node, "readcapacity", func(fields map[string]string) error {
		buf := make([]byte, 8)
		if _, err := check(t.Do([]byte{byte(drive.OpReadCapacity), 0, 0, 0, 0, 0, 0, 0, 0, 0}, drive.DirIn, buf, 5*time.Second)); err != nil {
			return err
		}
		fields["lastLBA"] = strconv.Itoa(int(binary.BigEndian.Uint32(buf)))
		fields["blockLen"] = strconv.Itoa(int(binary.BigEndian.Uint32(buf[4:])))
		return nil
	})
}

func check(r drive.Result, err error) (drive.Result, error) {
	if err == nil && r.Status != drive.StatusGood {
		err = fmt.Errorf("status %#x sense %x", r.Status, r.Sense)
	}
	return r, err
}

// step times fn and reports what it observed.
func step(rep *report.Writer, node, name string, fn func(fields map[string]string) error) {
	fields := map[string]string{}
	start := time.Now()
	err := fn(fields)
	rec := report.Record{Device: node, Step: name, Fields: fields, Millis: time.Since(start).Milliseconds()}
	if err != nil {
		rec.Err = err.Error()
	}
	rep.Write(rec)
}
