// Package robot drives a disc autoloader (robot) over a serial line: pick a
// blank, load it into a drive, unload a finished disc to the output bin or
// reject it, read the robot's status.
//
// # Concepts
//
// Line: one ASCII line per command and per reply, "SEQ WORD...*CCCC\n",
// where CCCC is the CRC-16/CCITT-FALSE of everything before '*' in four
// upper-case hex digits. docs/robot-protocol.md gives the grammar.
//
// Sequence: the host numbers its commands; the robot echoes the number and
// answers a repeated number from its last reply without moving again, so
// the host may retransmit a command whose reply was lost.
//
// Bins and gripper: the input bin holds blanks, the output bin finished
// discs, the reject bin spoiled ones. PICK takes a blank into the gripper,
// LOAD n puts it into drive n, UNLOAD n and REJECT n take the disc out of
// drive n (whose tray the host has opened) into the output or reject bin.
//
// Errors: a refused command is a *DeviceError matching a sentinel such as
// ErrJam or ErrInputEmpty under errors.Is.
package robot
