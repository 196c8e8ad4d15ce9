// Package systemd holds the daemons' unit files and their sysusers.d,
// tmpfiles.d and udev companions, one set per Debian package (packaging/
// installs them); its test checks them with systemd-analyze.
package systemd
