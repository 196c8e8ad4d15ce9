// Package systemd holds the daemons' unit files and their sysusers.d and
// tmpfiles.d companions; its test checks them with systemd-analyze.
package systemd
