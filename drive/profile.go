package drive

import "fmt"

var profileNames = map[Profile]string{
	ProfileNone: "none", ProfileCDROM: "CD-ROM", ProfileCDR: "CD-R", ProfileCDRW: "CD-RW",
	ProfileDVDROM: "DVD-ROM", ProfileDVDR: "DVD-R", ProfileDVDRAM: "DVD-RAM", ProfileDVDRWRO: "DVD-RW RO",
	ProfileDVDRWSeq: "DVD-RW Seq", ProfileDVDRDL: "DVD-R DL", ProfileDVDPlusRW: "DVD+RW", ProfileDVDPlusR: "DVD+R",
	ProfileDVDPlusRDL: "DVD+R DL", ProfileBDROM: "BD-ROM", ProfileBDRSRM: "BD-R SRM", ProfileBDRRRM: "BD-R RRM",
	ProfileBDRE: "BD-RE",
}

func (p Profile) String() string {
	if s, ok := profileNames[p]; ok {
		return s
	}
	return fmt.Sprintf("Profile(0x%04X)", uint16(p))
}

// Writable reports whether the profile is a recordable or rewritable
// medium: a drive listing it in GET CONFIGURATION can write such discs.
// ROM profiles, none and unknown ones are not.
func (p Profile) Writable() bool {
	switch p {
	case ProfileCDR, ProfileCDRW, ProfileDVDR, ProfileDVDRAM, ProfileDVDRWRO, ProfileDVDRWSeq, ProfileDVDRDL,
		ProfileDVDPlusRW, ProfileDVDPlusR, ProfileDVDPlusRDL, ProfileBDRSRM, ProfileBDRRRM, ProfileBDRE:
		return true
	}
	return false
}
