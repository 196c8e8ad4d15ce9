package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const good = `
state_dir = "/var/lib/stationd"
custody_group = "ab"
[[drive]]
device = "sim:"
[[node]]
address = "127.0.0.1:26670"
static_key = "6a2f0d6c9e1b8f4a3c5d7e9f0a1b2c3d4e5f60718293a4b5c6d7e8f901a2b3c4"
signing_key = "04abababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababab"
[players]
tree = "players-1"
depth = 20
`

func TestExampleFile(t *testing.T) {
	c, err := Load("testdata/station.toml")
	if err != nil {
		t.Fatalf("Load(example) = %v", err)
	}
	if len(c.Drives) != 2 || c.Robot.Device != "/dev/ttyUSB0" || !c.Kiosk.Enabled {
		t.Errorf("Load(example) = %+v, want two drives, a robot and a kiosk", c)
	}
	if c.DriveReprobe != 30*time.Second || c.DriveReprobeMax != 10*time.Minute {
		t.Errorf("Load(example) drive_reprobe = %v, max %v; want 30s and 10m", c.DriveReprobe, c.DriveReprobeMax)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantKey string // "" means no error
		wantMsg string
	}{
		{"good", good, "", ""},
		{"defaults fill titles dir", good, "", ""},
		{"unknown key", "max_atempts = 3\n" + good, "max_atempts", "unknown key"},
		{"unknown key in table", good + "\n[tpm]\nurl = \"x\"\n", "tpm.url", "unknown key"},
		{"relative state dir", strings.Replace(good, `"/var/lib/stationd"`, `"state"`, 1), "state_dir", "absolute"},
		{"bad drive scheme", strings.Replace(good, `"sim:"`, `"/dev/sg1"`, 1), "drive[0].device", "sg:"},
		{"reprobe as durations", "drive_reprobe = \"5s\"\ndrive_reprobe_max = \"1m\"\n" + good, "", ""},
		{"reprobe too fast", "drive_reprobe = \"1ms\"\n" + good, "drive_reprobe", "at least 100ms"},
		{"reprobe above its max", "drive_reprobe = \"20m\"\n" + good, "drive_reprobe", "at most drive_reprobe_max"},
		{"short node key", strings.Replace(good, "c4\"", "\"", 1), "node[0].static_key", "32-byte"},
		{"attempts out of range", "max_attempts = 0\n" + good, "max_attempts", "1 to 10"},
		{"no drive", "state_dir = \"/x\"\n[[node]]\naddress=\"a:1\"\nstatic_key=\"" + strings.Repeat("00", 32) + "\"\nsigning_key=\"04" + strings.Repeat("ab", 64) + "\"\n", "drive", "at least one"},
		{"kiosk missing pin", good + "[kiosk]\nenabled = true\ntamper_clear_code = \"12345678\"\n", "kiosk.door_pin", "missing"},
		{"no player tree", strings.Replace(good, `tree = "players-1"`, "", 1), "players.tree", "player tree ID"},
		{"player tree too deep", strings.Replace(good, "depth = 20", "depth = 33", 1), "players.depth", "1 to 32"},
		{"bad log level", "log_level = \"loud\"\n" + good, "log_level", "debug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.in))
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("Parse = %v, want no error", err)
				}
				if c.TitlesDir != "/var/lib/stationd/titles" {
					t.Errorf("TitlesDir = %q, want the default under state_dir", c.TitlesDir)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse = %v, want a *config.Error wrapping ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), "config: "+tt.wantKey+":") || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Parse error = %q, want key %q and %q", err, tt.wantKey, tt.wantMsg)
			}
		})
	}
}

func TestParseSyntaxError(t *testing.T) {
	_, err := Parse(strings.NewReader("state_dir = \n"))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("Parse(bad syntax) = %v, want ErrInvalid naming line 1", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(good)
	f.Add("[[drive]]\n[[drive]]\n")
	f.Add("state_dir = 1\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(strings.NewReader(s))
		if err == nil {
			if cerr := c.Check(); cerr != nil {
				t.Errorf("Parse accepted a config Check rejects: %v", cerr)
			}
		}
	})
}
