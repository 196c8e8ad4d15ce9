package chain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGatherMSBounds: node.json's gather_ms loads when absent or within 0
// to MaxGatherMS, and otherwise the node refuses to start with a message
// that names the field and its range.
func TestGatherMSBounds(t *testing.T) {
	for _, c := range []struct {
		json string
		want string // "" loads; else the error mentions it
	}{
		{`{"moniker":"a"}`, ""},
		{`{"moniker":"a","gather_ms":0}`, ""},
		{`{"moniker":"a","gather_ms":1000}`, ""},
		{`{"moniker":"a","gather_ms":1001}`, "gather_ms is 1001; give 0"},
		{`{"moniker":"a","gather_ms":-5}`, "gather_ms is -5; give 0"},
	} {
		nc, err := loadNodeJSON(t, c.json)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: LoadNodeConfig = %v, want it loaded", c.json, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: LoadNodeConfig = %+v, %v; want an error with %q", c.json, nc, err, c.want)
		}
	}
}

// TestBackgroundMiBsBounds: node.json's background_mib_s loads when absent
// (the default rate), 0 (unpaced) or within MaxBackgroundMiBs, and
// otherwise the node refuses to start naming the field and its range.
func TestBackgroundMiBsBounds(t *testing.T) {
	for _, c := range []struct {
		json string
		rate int64 // the rate loaded
		want string
	}{
		{`{"moniker":"a"}`, DefaultBackgroundMiBs, ""},
		{`{"moniker":"a","background_mib_s":0}`, 0, ""},
		{`{"moniker":"a","background_mib_s":64}`, 64, ""},
		{`{"moniker":"a","background_mib_s":-1}`, 0, "background_mib_s is -1; give 0"},
		{`{"moniker":"a","background_mib_s":16385}`, 0, "background_mib_s is 16385; give 0"},
	} {
		nc, err := loadNodeJSON(t, c.json)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: LoadNodeConfig = %v, want it loaded", c.json, err)
		case c.want == "" && nc.backgroundRate() != c.rate:
			t.Errorf("%s: rate %d MiB/s, want %d", c.json, nc.backgroundRate(), c.rate)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: LoadNodeConfig = %+v, %v; want an error with %q", c.json, nc, err, c.want)
		}
	}
}

// loadNodeJSON loads a node.json holding js from a new home.
func loadNodeJSON(t *testing.T, js string) (*NodeConfig, error) {
	t.Helper()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, FileNodeConfig), []byte(js), 0o600); err != nil {
		t.Fatal(err)
	}
	return LoadNodeConfig(home)
}
