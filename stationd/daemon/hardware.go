package daemon

import (
	"errors"
	"fmt"
	"path/filepath"

	"copystation/stationd/config"
	"copystation/stationd/journal"
	"copystation/stationd/kiosk"
)

// ErrNotWired: a part the daemon needs has no factory in Deps.
var ErrNotWired = errors.New("not available in this build")

// fillHardware puts the real parts behind every nil factory. The drives
// have no default here: their transports (SG_IO, the serial link, the
// simulator) are opened by URI in the stationd command, which passes
// Deps.Drives.
func fillHardware(deps *Deps) {
	if deps.Store == nil {
		deps.Store = func(c config.Config) (journal.Store, error) {
			return journal.OpenSQLite(filepath.Join(c.StateDir, "journal.db"), deps.Clock)
		}
	}
	if deps.Drives == nil {
		deps.Drives = func(config.Config) ([]Drive, error) {
			return nil, fmt.Errorf("drives: %w: Deps.Drives is nil (the stationd command opens drives by URI)", ErrNotWired)
		}
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
