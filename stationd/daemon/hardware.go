package daemon

import (
	"errors"
	"fmt"
	"path/filepath"

	"copystation/stationd/config"
	"copystation/stationd/journal"
	"copystation/stationd/kiosk"
)

// ErrNotWired is returned by a real-hardware factory this build lacks.
var ErrNotWired = errors.New("not available in this build")

// fillHardware puts the real parts behind every nil factory.
func fillHardware(deps *Deps) {
	if deps.Store == nil {
		deps.Store = func(c config.Config) (journal.Store, error) {
			return journal.OpenSQLite(filepath.Join(c.StateDir, "journal.db"), deps.Clock)
		}
	}
	if deps.Drives == nil {
		deps.Drives = RealDrives
	}
	if deps.Robot == nil {
		deps.Robot = RealRobot
	}
	if deps.Ledger == nil {
		deps.Ledger = RealLedger
	}
	if deps.Pipeline == nil {
		deps.Pipeline = RealPipeline
	}
	if deps.Panel == nil {
		deps.Panel = func(c config.Config, wipe func()) (*kiosk.Panel, error) {
			if !c.Kiosk.Enabled {
				return nil, nil
			}
			pins, err := kiosk.OpenPins(kiosk.Names{Door: c.Kiosk.Door, Tamper: c.Kiosk.Tamper,
				Ready: c.Kiosk.LEDReady, Busy: c.Kiosk.LEDBusy, Error: c.Kiosk.LEDError})
			if err != nil {
				return nil, err
			}
			return kiosk.New(pins, c.Kiosk.TamperKey, wipe)
		}
	}
}

// Real-part factories; set by hardware_*.go once the parts exist.
var (
	RealDrives   = func(config.Config) ([]Drive, error) { return nil, fmt.Errorf("drives: %w", ErrNotWired) }
	RealRobot    = func(config.Config, []Drive) (Robot, error) { return nil, nil }
	RealLedger   = func(config.Config) (Ledger, error) { return nil, fmt.Errorf("ledger: %w", ErrNotWired) }
	RealPipeline = func(config.Config) (Pipeline, error) { return nil, fmt.Errorf("pipeline: %w", ErrNotWired) }
)
