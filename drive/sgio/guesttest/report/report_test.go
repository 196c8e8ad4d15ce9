package report

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	recs := []Record{
		{Step: StepBoot, Fields: map[string]string{"kernel": "6.1.0"}},
		{Device: "/dev/sg0", Step: "identify", Fields: map[string]string{"vendor": "QEMU"}, Millis: 3},
		{Device: "/dev/sr0", Step: "tur", Err: "not ready", Is: []string{"ErrMediumNotPresent"}},
		{Step: StepDone},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write(%+v) = %v", r, err)
		}
	}
	got, err := Decode(&buf)
	if err != nil {
		t.Fatalf("Decode = %v", err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Errorf("Decode(Write(recs)) = %+v, want %+v", got, recs)
	}
	if !got[2].Matches("ErrMediumNotPresent") || got[2].OK() || !got[1].OK() {
		t.Errorf("Matches/OK disagree with the records: %+v", got)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr error
	}{
		{"empty", "", 0, nil},
		{"tty line endings and NULs", "\x00\x00{\"step\":\"a\"}\r\n\r\n{\"step\":\"b\"}\r\n", 2, nil},
		{"no final newline", `{"step":"a"}`, 1, nil},
		{"garbage", "{\"step\":\"a\"}\nkernel panic\n", 1, ErrBadRecord},
		{"no step", `{"device":"/dev/sg0"}`, 0, ErrBadRecord},
		{"line too long", `{"step":"` + strings.Repeat("x", MaxLine) + `"}`, 0, ErrLineTooLong},
		{"too many", strings.Repeat("{\"step\":\"a\"}\n", MaxRecords+1), MaxRecords, ErrTooMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(strings.NewReader(tt.in))
			if len(got) != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("Decode = %d records, %v; want %d, %v", len(got), err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestWriteTooLong(t *testing.T) {
	r := Record{Step: "x", Err: strings.Repeat("e", MaxLine)}
	if err := NewWriter(new(bytes.Buffer)).Write(r); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("Write(huge) = %v, want %v", err, ErrLineTooLong)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("{\"step\":\"boot\"}\n{\"device\":\"/dev/sg0\",\"step\":\"read10\",\"fields\":{\"sha256\":\"00\"},\"ms\":5}\n"))
	f.Add([]byte("\x00\r\n{\"step\":\"done\"}"))
	f.Add([]byte("{\"step\":1}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := Decode(bytes.NewReader(b))
		if len(recs) > MaxRecords {
			t.Fatalf("Decode returned %d records, more than MaxRecords", len(recs))
		}
		for _, r := range recs {
			if r.Step == "" {
				t.Fatalf("Decode returned a record without a step (err %v)", err)
			}
		}
	})
}
