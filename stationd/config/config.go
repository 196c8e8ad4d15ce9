// Package config reads the station daemon's one TOML configuration file and
// checks it, naming the key and the problem for every mistake.
package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole station configuration.
type Config struct {
	// StateDir holds the journal, the TPM key blobs and the title packages.
	StateDir string `toml:"state_dir"`
	// Socket is the local API's Unix socket.
	Socket string `toml:"socket"`
	// MetricsListen is the Prometheus endpoint (host:port); empty turns it off.
	MetricsListen string `toml:"metrics_listen"`
	// TitlesDir holds title packages; default StateDir/titles.
	TitlesDir string `toml:"titles_dir"`
	// MaxAttempts bounds the blanks one spend may use (spoiled retries + 1).
	MaxAttempts int `toml:"max_attempts"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level"`
	// ChainID pins the ledger network: a node whose challenge names
	// another is refused before anything is signed. Empty: the network the
	// nodes name (every statement still covers it).
	ChainID string `toml:"chain_id"`
	// CustodyGroup is the network's custody group, the genesis
	// custody.group bytes in hex, pinned at enrollment as the node keys
	// are: the station checks every node's partial signature and each
	// copy's group signature against it and never takes a group from a
	// node (docs/key-custody.md).
	CustodyGroup string `toml:"custody_group"`
	// DriveReprobe is the first pause before a drive out of service is
	// probed again (opened again if its device went away); each failed
	// probe doubles it, up to DriveReprobeMax. TOML: "30s", "10m".
	DriveReprobe    time.Duration `toml:"drive_reprobe"`
	DriveReprobeMax time.Duration `toml:"drive_reprobe_max"`

	TPM     TPM     `toml:"tpm"`
	Players Players `toml:"players"`
	Drives  []Drive `toml:"drive"`
	Robot   Robot   `toml:"robot"`
	Nodes   []Node  `toml:"node"`
	Kiosk   Kiosk   `toml:"kiosk"`
}

// TPM names the station's TPM.
type TPM struct {
	// URI: /dev/tpmrm0, swtpm:unix:/path, swtpm:tcp:host:port or sim:/dir.
	URI string `toml:"uri"`
}

// Players pins the network's player tree, as the operator gives it at
// enrollment (validatord player tree): the station writes every disc's key
// block for that tree under the group key of the pinned custody_group,
// and never takes either from a node it talks to.
type Players struct {
	Tree  string `toml:"tree"`
	Depth int    `toml:"depth"`
}

// Drive is one burner in the tower.
type Drive struct {
	// Device: sg:/dev/sgN, serial:/dev/ttyX or sim:.
	Device string `toml:"device"`
}

// Robot is the shared disc autoloader; an empty device means discs are
// loaded by hand.
type Robot struct {
	Device string `toml:"device"`
}

// Node is one validation node, with the Noise static key pinned at
// enrollment.
type Node struct {
	Address    string `toml:"address"`
	StaticKey  string `toml:"static_key"`  // Noise static key, 32 bytes, hex
	SigningKey string `toml:"signing_key"` // P-256 key, uncompressed SEC1, 65 bytes, hex
}

// Kiosk is the GPIO wiring of a kiosk; disabled on a home appliance.
type Kiosk struct {
	Enabled   bool   `toml:"enabled"`
	Door      string `toml:"door_pin"`   // high = door open
	Tamper    string `toml:"tamper_pin"` // high = enclosure opened
	LEDReady  string `toml:"led_ready_pin"`
	LEDBusy   string `toml:"led_busy_pin"`
	LEDError  string `toml:"led_error_pin"`
	TamperKey string `toml:"tamper_clear_code"` // a code the operator types to clear a tamper
}

// Error is one problem with one key.
type Error struct {
	Key     string
	Problem string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Key, e.Problem) }

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("invalid configuration")

// Defaults returns the values used for keys the file leaves out.
func Defaults() Config {
	return Config{
		StateDir:    "/var/lib/stationd",
		Socket:      "/run/stationd/stationd.sock",
		MaxAttempts: 3,
		LogLevel:    "info",
		TPM:         TPM{URI: "/dev/tpmrm0"},

		DriveReprobe:    30 * time.Second,
		DriveReprobeMax: 10 * time.Minute,
	}
}

// Load reads and checks the file at path.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config.Load: %w", err)
	}
	defer f.Close()
	c, err := Parse(io.LimitReader(f, 1<<20))
	if err != nil {
		return Config{}, fmt.Errorf("config.Load %s: %w", path, err)
	}
	return c, nil
}

// Parse reads a configuration from r, applies defaults and checks it. Keys
// it does not know are errors, so a misspelt key never silently falls back
// to a default.
func Parse(r io.Reader) (Config, error) {
	c := Defaults()
	md, err := toml.NewDecoder(r).Decode(&c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Config{}, fmt.Errorf("%w: line %d: %s", ErrInvalid, pe.Position.Line, pe.Message)
		}
		return Config{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, fmt.Errorf("%w: %w", ErrInvalid, &Error{Key: k.String(), Problem: "unknown key (misspelt, or in the wrong table?)"}))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	if c.TitlesDir == "" {
		c.TitlesDir = filepath.Join(c.StateDir, "titles")
	}
	return c, c.Check()
}

// Check returns every problem with c, joined.
func (c *Config) Check() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: %w", ErrInvalid, &Error{Key: key, Problem: fmt.Sprintf(format, a...)}))
	}
	if !filepath.IsAbs(c.StateDir) {
		bad("state_dir", "%q must be an absolute path", c.StateDir)
	}
	if !filepath.IsAbs(c.Socket) {
		bad("socket", "%q must be an absolute path", c.Socket)
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 10 {
		bad("max_attempts", "%d is out of range: give 1 to 10 blanks per spend", c.MaxAttempts)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	if c.TPM.URI == "" {
		bad("tpm.uri", "missing: give /dev/tpmrm0, swtpm:unix:/path or sim:/dir")
	}
	if c.Players.Tree == "" || len(c.Players.Tree) > 64 {
		bad("players.tree", "missing or longer than 64 bytes: give the network's player tree ID ('validatord player tree' prints the [players] table)")
	}
	if c.Players.Depth < 1 || c.Players.Depth > 32 {
		bad("players.depth", "%d is out of range: give the player tree's depth, 1 to 32", c.Players.Depth)
	}
	if len(c.Drives) == 0 {
		bad("drive", "no [[drive]] tables: give at least one drive with device = \"sg:/dev/sgN\"")
	}
	for i, d := range c.Drives {
		if !hasScheme(d.Device, "sg:", "serial:", "sim:") {
			bad(fmt.Sprintf("drive[%d].device", i), "%q does not start with sg:, serial: or sim:", d.Device)
		}
	}
	if c.DriveReprobe < 100*time.Millisecond || c.DriveReprobe > c.DriveReprobeMax || c.DriveReprobeMax > 24*time.Hour {
		bad("drive_reprobe", "%v (max %v): give drive_reprobe of at least 100ms, at most drive_reprobe_max, itself at most 24h (defaults 30s and 10m)", c.DriveReprobe, c.DriveReprobeMax)
	}
	if g, err := hex.DecodeString(c.CustodyGroup); err != nil || len(g) == 0 {
		bad("custody_group", "must be the network's custody group in hex, as `validatord station enroll` prints it (the genesis custody.group)")
	}
	if len(c.Nodes) == 0 {
		bad("node", "no [[node]] tables: give at least one validation node (address and static_key)")
	}
	for i, n := range c.Nodes {
		if n.Address == "" || !strings.Contains(n.Address, ":") {
			bad(fmt.Sprintf("node[%d].address", i), "%q is not host:port", n.Address)
		}
		if k, err := hex.DecodeString(n.StaticKey); err != nil || len(k) != 32 {
			bad(fmt.Sprintf("node[%d].static_key", i), "must be the node's 32-byte Noise static key in hex (64 characters)")
		}
		if k, err := hex.DecodeString(n.SigningKey); err != nil || len(k) != 65 || k[0] != 4 {
			bad(fmt.Sprintf("node[%d].signing_key", i), "must be the node's P-256 signing key, uncompressed SEC1 in hex (130 characters starting 04)")
		}
	}
	if c.Kiosk.Enabled {
		for key, v := range map[string]string{"door_pin": c.Kiosk.Door, "tamper_pin": c.Kiosk.Tamper,
			"led_ready_pin": c.Kiosk.LEDReady, "led_busy_pin": c.Kiosk.LEDBusy, "led_error_pin": c.Kiosk.LEDError} {
			if v == "" {
				bad("kiosk."+key, "missing while kiosk.enabled = true: name the GPIO line (e.g. \"GPIO17\")")
			}
		}
		if len(c.Kiosk.TamperKey) < 8 {
			bad("kiosk.tamper_clear_code", "must be at least 8 characters while kiosk.enabled = true")
		}
	}
	return errors.Join(errs...)
}

func hasScheme(s string, schemes ...string) bool {
	for _, p := range schemes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
