//go:build !linux

package serial

func isPTY(string) bool { return false }
