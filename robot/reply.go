package robot

import (
	"fmt"
	"strconv"
	"strings"
)

// Reply is a decoded answer: OK with key=value fields, or an error.
type Reply struct {
	Seq    int
	OK     bool
	Fields map[string]string // OK replies: KEY=VALUE words
	Err    *DeviceError      // ERR replies
}

// ParseReply decodes a reply line to the command op.
func ParseReply(b []byte, op string) (Reply, error) {
	l, err := ParseLine(b)
	if err != nil {
		return Reply{}, err
	}
	r := Reply{Seq: l.Seq}
	if len(l.Words) == 0 {
		return Reply{}, fmt.Errorf("%w: reply without OK or ERR", ErrMalformed)
	}
	switch l.Words[0] {
	case "OK":
		r.OK = true
		r.Fields = make(map[string]string, len(l.Words)-1)
		for _, w := range l.Words[1:] {
			k, v, ok := strings.Cut(w, "=")
			if !ok || k == "" {
				return Reply{}, fmt.Errorf("%w: field %q is not KEY=VALUE", ErrMalformed, w)
			}
			r.Fields[k] = v
		}
	case "ERR":
		if len(l.Words) < 2 {
			return Reply{}, fmt.Errorf("%w: ERR without a code", ErrMalformed)
		}
		r.Err = &DeviceError{Op: op, Code: l.Words[1], Message: strings.Join(l.Words[2:], " ")}
	default:
		return Reply{}, fmt.Errorf("%w: reply word %q, want OK or ERR", ErrMalformed, l.Words[0])
	}
	return r, nil
}

// Status is the robot's state as STATUS reports it.
type Status struct {
	Input, Output, Rejected int  // discs in each bin
	Gripper                 bool // the gripper holds a disc
	Jammed                  bool
	Drives                  []DriveSlot // drive 1 first
}

// DriveSlot is one drive as the robot sees it.
type DriveSlot struct {
	HasDisc  bool
	TrayOpen bool
}

// maxDrives bounds the drive count a STATUS reply may claim.
const maxDrives = 16

func parseStatus(f map[string]string) (Status, error) {
	var s Status
	ints := []struct {
		key string
		dst *int
	}{{"IN", &s.Input}, {"OUT", &s.Output}, {"REJ", &s.Rejected}}
	for _, kv := range ints {
		n, err := strconv.Atoi(f[kv.key])
		if err != nil || n < 0 || n > 9999 {
			return Status{}, fmt.Errorf("%w: STATUS field %s=%q", ErrMalformed, kv.key, f[kv.key])
		}
		*kv.dst = n
	}
	var err error
	if s.Gripper, err = flag(f, "GRIP"); err != nil {
		return Status{}, err
	}
	if s.Jammed, err = flag(f, "JAM"); err != nil {
		return Status{}, err
	}
	n, err := strconv.Atoi(f["DRIVES"])
	if err != nil || n < 0 || n > maxDrives {
		return Status{}, fmt.Errorf("%w: STATUS field DRIVES=%q", ErrMalformed, f["DRIVES"])
	}
	for i := 1; i <= n; i++ {
		v := f["D"+strconv.Itoa(i)]
		disc, tray, ok := strings.Cut(v, "/")
		if !ok || (disc != "FULL" && disc != "EMPTY") || (tray != "OPEN" && tray != "CLOSED") {
			return Status{}, fmt.Errorf("%w: STATUS field D%d=%q", ErrMalformed, i, v)
		}
		s.Drives = append(s.Drives, DriveSlot{HasDisc: disc == "FULL", TrayOpen: tray == "OPEN"})
	}
	return s, nil
}

func flag(f map[string]string, key string) (bool, error) {
	switch f[key] {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fmt.Errorf("%w: STATUS field %s=%q, want 0 or 1", ErrMalformed, key, f[key])
}

// StatusFields encodes a Status as the words of an OK reply; the device
// side uses it.
func StatusFields(s Status) []string {
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	w := []string{"OK", "IN=" + strconv.Itoa(s.Input), "OUT=" + strconv.Itoa(s.Output),
		"REJ=" + strconv.Itoa(s.Rejected), "GRIP=" + b(s.Gripper), "JAM=" + b(s.Jammed),
		"DRIVES=" + strconv.Itoa(len(s.Drives))}
	for i, d := range s.Drives {
		disc, tray := "EMPTY", "CLOSED"
		if d.HasDisc {
			disc = "FULL"
		}
		if d.TrayOpen {
			tray = "OPEN"
		}
		w = append(w, fmt.Sprintf("D%d=%s/%s", i+1, disc, tray))
	}
	return w
}
