package sgio

import "testing"

func TestStatusCodesUnique(t *testing.T) {
	if len(hostNames) != 16 {
		t.Errorf("hostNames has %d entries, want 16 distinct DID_* codes", len(hostNames))
	}
	seen := map[DriverStatus]bool{}
	for _, s := range []DriverStatus{DriverOK, DriverBusy, DriverSoft, DriverMedia, DriverError, DriverInvalid, DriverTimeout, DriverHard, DriverSense} {
		if seen[s] {
			t.Errorf("DriverStatus 0x%02X defined twice", uint16(s))
		}
		seen[s] = true
	}
}
