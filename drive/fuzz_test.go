package drive

import (
	"bytes"
	"testing"
)

// Each fuzz target feeds arbitrary device output to one parser: it must
// return a value or an error, never panic, and never hand back slices that
// reach past its input.

func FuzzParseInquiry(f *testing.F) {
	f.Add(inquiryData())
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := ParseInquiry(b); err == nil && len(r.Vendor) > 8 {
			t.Fatalf("ParseInquiry vendor %q longer than its field", r.Vendor)
		}
	})
}

func FuzzParseConfiguration(f *testing.F) {
	f.Add(h("00 00 00 20 00 00 00 41 00 00 03 08 00 43 00 00 00 41 01 00 00 01 0b 04 00 00 00 08 00 41 05 04 00 00 00 00"))
	f.Add(h("ff ff ff ff 00 00 00 43 00 00 03 ff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfiguration(b)
		if err != nil {
			return
		}
		total := 0
		for _, ft := range c.Features {
			total += 4 + len(ft.Data)
		}
		if total > len(b) {
			t.Fatalf("ParseConfiguration features cover %d bytes of %d", total, len(b))
		}
		c.Profiles()
	})
}

func FuzzParseDiscInformation(f *testing.F) {
	f.Add(h("00 20 05 01 02 03 04 00 00 01 02 03 00 00 00 00 00 00 00 00 00 ba 74 00"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseDiscInformation(b) })
}

func FuzzParseTrackInformation(f *testing.F) {
	f.Add(h("00 2e 01 01 00 05 40 01 00 00 00 00 00 00 00 40 00 ba 73 c0 00 00 00 20 00 ba 74 00 00 00 00 3f 00 00 00 00"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseTrackInformation(b) })
}

func FuzzParseCapacity(f *testing.F) {
	f.Add(h("00 ba 73 ff 00 00 08 00"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseCapacity(b) })
}

func FuzzParseFormatCapacities(f *testing.F) {
	f.Add(h("00 00 00 18 00 ba 74 00 02 00 08 00 00 ba 74 00 c0 00 30 00 00 c0 00 00 c4 00 00 00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if fc, err := ParseFormatCapacities(b); err == nil && 12+8*len(fc.Formattable) > len(b) {
			t.Fatalf("ParseFormatCapacities decoded %d descriptors from %d bytes", len(fc.Formattable), len(b))
		}
	})
}

func FuzzParseDiscStructure(f *testing.F) {
	f.Add(h("00 22 00 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := ParseDiscStructure(b)
		if err != nil {
			return
		}
		if id, mac, err := ds.AACSMediaID(); err == nil && (!bytes.Contains(b, id) || !bytes.Contains(b, mac)) {
			t.Fatalf("AACSMediaID returned bytes not in the input")
		}
	})
}

func FuzzParseEventStatus(f *testing.F) {
	f.Add(h("00 06 04 10 02 02 00 00"))
	f.Add(h("00 02 80 10"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseEventStatus(b) })
}

func FuzzParsePerformance(f *testing.F) {
	f.Add(h("00 00 00 24 02 00 00 00 02 00 00 00 00 ba 73 ff 00 00 8c a0 00 00 8c a0 00 00 00 00 00 ba 73 ff 00 00 8c a0 00 01 19 40"), uint8(3))
	f.Add(h("00 00 00 14 00 00 00 00 00 00 00 00 00 00 8c a0 00 ba 73 ff 00 01 19 40"), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, typ uint8) { ParsePerformance(b, typ) })
}

func FuzzParseModeSense10(f *testing.F) {
	f.Add(h("00 1c 00 00 00 00 00 00 2a 04 01 02 03 04 45 0a 00 0c 01 02 03 04 05 06 07 08 09 0a 0b 0c"))
	f.Add(h("00 0e 00 00 00 00 00 08 00 00 00 00 00 00 08 00"))
	f.Fuzz(func(t *testing.T, b []byte) { ParseModeSense10(b) })
}

func FuzzParseSense(f *testing.F) {
	f.Add(h("f0 00 03 00 ba 74 00 0a 00 00 00 00 0c 00 00 00 00 00"))
	f.Add(h("72 05 21 02 00 00 00 0c 00 0a 80 00 00 00 00 00 00 00 12 34"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSense(b)
		if err != nil {
			return
		}
		_ = s.String()
		_ = NewSenseError("FUZZ", s).Error()
	})
}
