package guesttest

import (
	"path/filepath"
	"strconv"
	"testing"
)

// TestGuestSGIO boots the guest with two of QEMU's scsi-cd drives, a disc
// at SCSI target 0 and an empty tray at target 1, and checks everything
// the drive package did through SG_IO on /dev/sg* and /dev/sr* of each.
func TestGuestSGIO(t *testing.T) {
	t.Parallel() // each guest is one QEMU process on its own core
	dir := t.TempDir()
	img := filepath.Join(dir, "disc.iso")
	data := writeImage(t, img, imageSectors)
	run := bootGuest(t, bootSpec{dir: dir, modules: BootModules, args: []string{"-devices", "2"},
		discs: []Disc{{Target: 0, Image: img}, {Target: 1}}})

	sectors, sum := strconv.Itoa(imageSectors), sha(data)
	for _, node := range run.nodes(t, "0", "0") {
		t.Run("disc"+node, func(t *testing.T) {
			run.verify(t, node, []expect{
				{"open", ok()},
				// A 4 MiB medium is a CD to QEMU (DVD-ROM above 700 MB).
				{"identify", ok("vendor", "QEMU", "product", "QEMU CD-ROM", "profile", "0008")},
				{"waitready", ok()},
				// QEMU has no READ FORMAT CAPACITIES (20/00) nor READ TRACK
				// INFORMATION: the capacity of the complete disc is READ
				// CAPACITY's.
				{"mediainfo", ok("profile", "0008", "state", "complete", "lastRecorded", strconv.Itoa(imageSectors-1), "capacity", sectors)},
				{"readcapacity", ok("sectors", sectors)},
				{"read10", ok("sectors", sectors, "sha256", sum)},
				{"read12", ok("sectors", sectors, "sha256", sum)},
				{"read", ok("sectors", sectors, "sha256", sum)},
				{"lock", ok()},
				{"eject-locked", fails("ErrIllegalRequest", "sense", "5/53/02")},
				{"unlock", ok()},
				{"eject", ok()},
				{"tur-ejected", fails("ErrMediumNotPresent", "sense", "2/3A/00")},
				{"waitready-ejected", fails("ErrMediumNotPresent")},
				{"mediainfo-ejected", fails("ErrMediumNotPresent")},
				{"read-ejected", fails("ErrMediumNotPresent")},
				{"load", ok()},
				{"read-loaded", ok("sectors", sectors, "sha256", sum)},
			})
		})
	}
	for _, node := range run.nodes(t, "1", "0") {
		t.Run("empty"+node, func(t *testing.T) {
			run.verify(t, node, []expect{
				{"open", ok()},
				{"identify", ok("vendor", "QEMU", "profile", "0000")},
				{"waitready", fails("ErrMediumNotPresent")},
				{"mediainfo", fails("ErrMediumNotPresent")},
				{"readcapacity", fails("ErrMediumNotPresent")},
				{"lock", ok()},
				// QEMU reports removal prevented on an empty drive as NOT READY.
				{"eject-locked", fails("ErrNotReady", "sense", "2/53/02")},
				{"unlock", ok()},
				{"eject", ok()},
				{"tur-ejected", fails("ErrMediumNotPresent")},
				{"load", fails("ErrMediumNotPresent")},
			})
		})
	}
}
