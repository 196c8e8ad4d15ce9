package drive

// Opcode is the first byte of a command block. Values come from SPC-4
// (section 4.2 and the command tables) and MMC-6 (section 6, table 209).
type Opcode uint8

const (
	OpTestUnitReady              Opcode = 0x00 // SPC-4 6.47
	OpRequestSense               Opcode = 0x03 // SPC-4 6.39
	OpFormatUnit                 Opcode = 0x04 // MMC-6 6.5
	OpInquiry                    Opcode = 0x12 // SPC-4 6.6
	OpStartStopUnit              Opcode = 0x1B // MMC-6 6.40
	OpPreventAllowMediumRemoval  Opcode = 0x1E // MMC-6 6.12
	OpReadFormatCapacities       Opcode = 0x23 // MMC-6 6.24
	OpReadCapacity               Opcode = 0x25 // MMC-6 6.23
	OpRead10                     Opcode = 0x28 // MMC-6 6.15
	OpWrite10                    Opcode = 0x2A // MMC-6 6.44
	OpSynchronizeCache           Opcode = 0x35 // MMC-6 6.41
	OpGetConfiguration           Opcode = 0x46 // MMC-6 6.6
	OpGetEventStatusNotification Opcode = 0x4A // MMC-6 6.7
	OpReadDiscInformation        Opcode = 0x51 // MMC-6 6.22
	OpReadTrackInformation       Opcode = 0x52 // MMC-6 6.27
	OpReserveTrack               Opcode = 0x53 // MMC-6 6.31
	OpModeSense10                Opcode = 0x5A // SPC-4 6.14
	OpCloseTrackSession          Opcode = 0x5B // MMC-6 6.3
	OpRead12                     Opcode = 0xA8 // MMC-6 6.16
	OpGetPerformance             Opcode = 0xAC // MMC-6 6.8
	OpReadDiscStructure          Opcode = 0xAD // MMC-6 6.22
	OpWrite12                    Opcode = 0xAA // MMC-6 6.45
	OpSetStreaming               Opcode = 0xB6 // MMC-6 6.39
)

// Profile is an MMC feature profile number: the kind of medium as the drive
// currently sees it (MMC-6 section 5.3.1, table 87).
type Profile uint16

const (
	ProfileNone       Profile = 0x0000
	ProfileCDROM      Profile = 0x0008
	ProfileCDR        Profile = 0x0009
	ProfileCDRW       Profile = 0x000A
	ProfileDVDROM     Profile = 0x0010
	ProfileDVDR       Profile = 0x0011 // DVD-R sequential recording
	ProfileDVDRAM     Profile = 0x0012
	ProfileDVDRWRO    Profile = 0x0013 // DVD-RW restricted overwrite
	ProfileDVDRWSeq   Profile = 0x0014 // DVD-RW sequential recording
	ProfileDVDRDL     Profile = 0x0015 // DVD-R dual layer, sequential
	ProfileDVDPlusRW  Profile = 0x001A
	ProfileDVDPlusR   Profile = 0x001B
	ProfileDVDPlusRDL Profile = 0x002B
	ProfileBDROM      Profile = 0x0040
	ProfileBDRSRM     Profile = 0x0041 // BD-R sequential recording mode
	ProfileBDRRRM     Profile = 0x0042 // BD-R random recording mode
	ProfileBDRE       Profile = 0x0043
	ProfileUnknown    Profile = 0xFFFF
)

// Physical constants of Blu-ray media.
const (
	SectorSize         = 2048 // logical sector (user data) size in bytes
	ClusterSectors     = 32   // ECC cluster: the write unit
	ClusterSize        = SectorSize * ClusterSectors
	BDRSingleLayer     = 12219392 // sectors on a 25 GB BD-R / BD-RE
	BDRDualLayer       = 24438784 // sectors on a 50 GB BD-R
	OneXBytesPerSecond = 4500000  // 1x BD = 36 Mbit/s
)
