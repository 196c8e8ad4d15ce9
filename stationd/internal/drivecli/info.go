package drivecli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"copystation/drive"
)

// Info is what `drive info` reports (and prints with --json). With no
// disc in the drive, Medium is "none", Tray says where the tray is and
// the medium fields stay zero.
type Info struct {
	Device           string   `json:"device"`
	Vendor           string   `json:"vendor"`
	Product          string   `json:"product"`
	Revision         string   `json:"revision"`
	Profiles         []string `json:"profiles"`
	WritableProfiles []string `json:"writable_profiles"`
	Medium           string   `json:"medium"`         // "present" or "none"
	Tray             string   `json:"tray,omitempty"` // with no medium: "tray closed", "tray open" or "tray state not reported"
	Profile          string   `json:"profile"`
	ProfileCode      uint16   `json:"profile_code"`
	MediaState       string   `json:"media_state"`
	Erasable         bool     `json:"erasable"`
	CapacitySectors  uint32   `json:"capacity_sectors"`
	NextWritable     *uint32  `json:"next_writable,omitempty"`
	FreeSectors      uint32   `json:"free_sectors"`
	LastRecorded     uint32   `json:"last_recorded"`
	MediaID          string   `json:"media_id,omitempty"`
	MediaIDError     string   `json:"media_id_error,omitempty"`
}

// info reports the drive (INQUIRY, GET CONFIGURATION) and, when a disc is
// in it, the disc. An empty drive is reported, not a failure.
func info(ctx context.Context, d *drive.Drive, device string, asJSON bool, w io.Writer) error {
	present, tray, err := d.Medium(ctx)
	if err != nil {
		return err
	}
	id, err := d.Identify(ctx)
	if err != nil {
		return err
	}
	in := Info{Device: device, Vendor: id.Vendor, Product: id.Product, Revision: id.Revision, Medium: "present",
		Profiles: []string{}, WritableProfiles: []string{}}
	for _, p := range id.Profiles {
		in.Profiles = append(in.Profiles, p.String())
	}
	in.WritableProfiles = writable(id)
	if !present {
		in.Medium, in.Tray, in.Profile, in.MediaState = "none", tray.String(), drive.ProfileNone.String(), "none"
	} else if err := mediaFields(ctx, d, &in); err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(in)
	}
	printInfo(w, in)
	return nil
}

func mediaFields(ctx context.Context, d *drive.Drive, in *Info) error {
	mi, err := d.MediaInfo(ctx)
	if err != nil {
		return err
	}
	in.Profile, in.ProfileCode, in.MediaState, in.Erasable = mi.Profile.String(), uint16(mi.Profile), mi.State.String(), mi.Erasable
	in.CapacitySectors, in.FreeSectors, in.LastRecorded = mi.CapacitySectors, mi.FreeSectors, mi.LastRecorded
	in.MediaID = hex.EncodeToString(mi.MediaID)
	if mi.NextWritableValid {
		in.NextWritable = &mi.NextWritable
	}
	if mi.MediaIDErr != nil {
		in.MediaIDError = mi.MediaIDErr.Error()
	}
	return nil
}

func printInfo(w io.Writer, in Info) {
	fmt.Fprintf(w, "device:        %s\n", in.Device)
	fmt.Fprintf(w, "drive:         %s %s %s\n", in.Vendor, in.Product, in.Revision)
	writes := strings.Join(in.WritableProfiles, ", ")
	if writes == "" {
		writes = "nothing (a read-only drive)"
	}
	fmt.Fprintf(w, "writes:        %s\n", writes)
	if in.Medium == "none" {
		fmt.Fprintf(w, "medium:        no medium, %s\n", in.Tray)
		return
	}
	fmt.Fprintf(w, "profile:       %s (0x%04X)\n", in.Profile, in.ProfileCode)
	fmt.Fprintf(w, "media state:   %s\n", in.MediaState)
	fmt.Fprintf(w, "capacity:      %d sectors of 2048 bytes (%d bytes)\n", in.CapacitySectors, uint64(in.CapacitySectors)*drive.SectorSize)
	if in.NextWritable != nil {
		fmt.Fprintf(w, "next writable: %d\n", *in.NextWritable)
	}
	fmt.Fprintf(w, "free:          %d sectors\n", in.FreeSectors)
	if in.MediaIDError != "" {
		fmt.Fprintf(w, "media ID:      unavailable: %s\n", in.MediaIDError)
	} else {
		fmt.Fprintf(w, "media ID:      %s\n", in.MediaID)
	}
}

// writable names the profiles the drive can write (never nil: JSON shows []).
func writable(id *drive.Identity) []string {
	w := []string{}
	for _, p := range id.Profiles {
		if p.Writable() {
			w = append(w, p.String())
		}
	}
	return w
}
