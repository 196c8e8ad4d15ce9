package drive

// FeatureCode names an MMC feature in GET CONFIGURATION (MMC-6 section 5.3,
// table 86).
type FeatureCode uint16

const (
	FeatureProfileList            FeatureCode = 0x0000
	FeatureCore                   FeatureCode = 0x0001
	FeatureMorphing               FeatureCode = 0x0002
	FeatureRemovableMedium        FeatureCode = 0x0003
	FeatureWriteProtect           FeatureCode = 0x0004
	FeatureRandomReadable         FeatureCode = 0x0010
	FeatureIncrementalStreaming   FeatureCode = 0x0021
	FeatureFormattable            FeatureCode = 0x0023
	FeatureDefectManagement       FeatureCode = 0x0024
	FeatureRestrictedOverwrite    FeatureCode = 0x0026
	FeatureBDReadFeature          FeatureCode = 0x0040
	FeatureBDWriteFeature         FeatureCode = 0x0041
	FeaturePowerManagement        FeatureCode = 0x0100
	FeatureRealTimeStreaming      FeatureCode = 0x0107
	FeatureDriveSerialNumber      FeatureCode = 0x0108
	FeatureDiscControlBlocks      FeatureCode = 0x010A
	FeatureFirmwareInformation    FeatureCode = 0x010C
	FeatureAACS                   FeatureCode = 0x010D
	FeatureVCPS                   FeatureCode = 0x0110
	FeatureSecurDisc              FeatureCode = 0x0113
	FeatureOSSC                   FeatureCode = 0x0142
	FeatureMediaSerialNumber      FeatureCode = 0x0109
	FeatureTimeout                FeatureCode = 0x0105
	FeatureDVDCSS                 FeatureCode = 0x0106
	FeatureHybridDisc             FeatureCode = 0x0080
	FeatureSMART                  FeatureCode = 0x0101
	FeatureEmbeddedChanger        FeatureCode = 0x0102
	FeatureMicrocodeUpgrade       FeatureCode = 0x0104
	FeatureLayerJumpRecording     FeatureCode = 0x0033
	FeatureEnhancedDefectReport   FeatureCode = 0x0029
	FeatureHDDVDRead              FeatureCode = 0x0050
	FeatureHDDVDWrite             FeatureCode = 0x0051
	FeatureCDRead                 FeatureCode = 0x001E
	FeatureDVDRead                FeatureCode = 0x001F
	FeatureRandomWritable         FeatureCode = 0x0020
	FeatureSectorErasable         FeatureCode = 0x0022
	FeatureWriteOnce              FeatureCode = 0x0025
	FeatureMultiRead              FeatureCode = 0x001D
	FeatureBDRPseudoOverwrite     FeatureCode = 0x0038
	FeatureDVDPlusRW              FeatureCode = 0x002A
	FeatureDVDPlusR               FeatureCode = 0x002B
	FeatureRigidRestrictedOverwrt FeatureCode = 0x002C
)

// Request types of GET CONFIGURATION, byte 1 bits 1-0 (MMC-6 6.6.2.2).
const (
	RTAll     = 0x0 // all features
	RTCurrent = 0x1 // only features with the Current bit set
	RTOne     = 0x2 // exactly the starting feature
)
