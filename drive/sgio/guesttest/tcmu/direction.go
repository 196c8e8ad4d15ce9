package tcmu

import "copystation/drive"

// dataOut lists the opcodes whose data phase goes to the device, from
// SPC-4 and MMC-6. TCMU does not pass the direction to user space, so the
// handler infers it from the command, as tcmu-runner's handlers do.
var dataOut = map[byte]bool{
	byte(drive.OpFormatUnit):   true, // MMC-6 6.5: format descriptor list
	byte(drive.OpWrite10):      true,
	byte(drive.OpWrite12):      true,
	byte(drive.OpSetStreaming): true, // MMC-6 6.39: performance descriptor
	0x0A:                       true, // WRITE(6)
	0x15:                       true, // MODE SELECT(6)
	0x2E:                       true, // WRITE AND VERIFY(10)
	0x3B:                       true, // WRITE BUFFER
	0x54:                       true, // SEND OPC INFORMATION
	0x55:                       true, // MODE SELECT(10)
	0x5D:                       true, // SEND CUE SHEET
	0x8A:                       true, // WRITE(16)
	0xA3:                       true, // SEND KEY
	0xBF:                       true, // SEND DISC STRUCTURE
}

// Direction is the data direction of cdb with a data buffer of n bytes.
func Direction(cdb []byte, n int) drive.Direction {
	switch {
	case n == 0 || len(cdb) == 0:
		return drive.DirNone
	case dataOut[cdb[0]]:
		return drive.DirOut
	}
	return drive.DirIn
}
