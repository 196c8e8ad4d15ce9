package drive

import "fmt"

func (p Profile) String() string {
	switch p {
	case ProfileNone:
		return "none"
	case ProfileCDROM:
		return "CD-ROM"
	case ProfileDVDROM:
		return "DVD-ROM"
	case ProfileBDROM:
		return "BD-ROM"
	case ProfileBDRSRM:
		return "BD-R SRM"
	case ProfileBDRRRM:
		return "BD-R RRM"
	case ProfileBDRE:
		return "BD-RE"
	}
	return fmt.Sprintf("Profile(0x%04X)", uint16(p))
}
