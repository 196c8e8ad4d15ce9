#!/bin/sh
# Runs inside the systemd guest (systemd/guesttest) as copystation-check.service,
# after the guest booted to multi-user.target. Each check writes one line to
# the report port (ttyS1): "ok NAME detail" or "fail NAME detail"; the host
# test reads them. The last line is "done"; then the guest powers off.
set -u
exec 3>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo 2>/dev/null || true

# Each line also goes to the console (the unit's stdout), for a person
# watching the boot. A check's line ends with the guest's uptime when it
# was reported ("@123.45s"), so a slow run shows where the time went.
say() {
	printf '%s @%ss\n' "$*" "$(cut -d' ' -f1 /proc/uptime)" >&3
	printf 'check: %s\n' "$*"
}
oneline() { tr '\n' ' ' | cut -c1-600; }
# check NAME COMMAND...: ok when the command exits 0; its output is the detail.
check() {
	name="$1"
	shift
	if out="$("$@" 2>&1)"; then
		say "ok $name $(printf '%s' "$out" | oneline)"
	else
		say "fail $name $(printf '%s' "$out" | oneline)"
	fi
}
prop() { systemctl show -p "$2" --value "$1"; }
# is NAME WANT COMMAND...: ok when the command prints exactly WANT.
is() {
	name="$1" want="$2"
	shift 2
	got="$("$@" 2>&1)"
	if [ "$got" = "$want" ]; then say "ok $name $got"; else say "fail $name got '$(printf '%s' "$got" | oneline)' want '$want'"; fi
}
# waitfor SECONDS COMMAND...: retries the command once a second.
waitfor() {
	n="$1"
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 1
	done
}
exposure() {
	systemd-analyze security --no-pager "$1" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

say "start $(uname -r) systemd $(systemctl --version | head -n 1)"

# --- the kiosk's GPIO, before the install -------------------------------------
# gpio-sim (built for the guest's kernel by .ci/guest-kernel-gpio) makes a
# GPIO chip through configfs whose lines are named as a kiosk's wiring and
# whose inputs the host side drives through sysfs (sim_gpioN/pull) and
# whose outputs it reads (sim_gpioN/value). It exists before the package is
# installed, as a kiosk's chip does, so the postinst's udev trigger is what
# must give it to the gpio group.
sim=/sys/kernel/config/gpio-sim/kiosk
gpio_sim() {
	modprobe gpio-sim || return 1
	mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config || return 1
	mkdir $sim $sim/bank0 && echo 5 >$sim/bank0/num_lines || return 1
	i=0
	for n in door tamper led-ready led-busy led-error; do
		mkdir $sim/bank0/line$i && echo $n >$sim/bank0/line$i/name || return 1
		i=$((i + 1))
	done
	echo 1 >$sim/live && echo "$(cat $sim/dev_name) $(cat $sim/bank0/chip_name)" && ls -l /dev/gpiochip*
}
check gpio-sim gpio_sim
chip="$(cat $sim/bank0/chip_name 2>/dev/null)"
simdir="/sys/devices/platform/$(cat $sim/dev_name 2>/dev/null)/$chip"
# pull LINE pull-up|pull-down: the host side of an input (the door switch).
pull() { echo "$2" >"$simdir/sim_gpio$1/pull"; }
# leds: what stationd drives on the ready, busy and error lines.
leds() { echo "$(cat $simdir/sim_gpio2/value) $(cat $simdir/sim_gpio3/value) $(cat $simdir/sim_gpio4/value)"; }
leds_are() { [ "$(leds)" = "$1" ]; }

# --- install -----------------------------------------------------------------
check install dpkg -i /payload/stationd.deb /payload/validatord.deb
is stationd-unit-after-install inactive systemctl is-active stationd.service
is stationd-enabled enabled systemctl is-enabled stationd.service
check man-pages sh -c 'test -s /usr/share/man/man8/stationd.8.gz && test -s /usr/share/man/man8/validatord.8.gz'
check stationd-groups sh -c 'id -nG stationd | tr " " "\n" | sort | tr "\n" " " | grep -q "cdrom dialout gpio stationd tss"; id -nG stationd'

# --- devices and the udev rule ------------------------------------------------
# No udevadm settle here: the postinst's trigger waits for udev, so the
# groups are on the devices once dpkg -i returns.
is tpmrm0 "/dev/tpmrm0 tss 660" stat -c "%n %G %a" /dev/tpmrm0
journalctl --no-pager -u systemd-udevd -n 8 2>&1 | sed 's/^/journal /' >&3
check tpmrm0-device-unit sh -c 'systemctl is-active dev-tpmrm0.device'
check sg-node sh -c 'ls -l /dev/sg* && for d in /dev/sg*; do stat -c "%n %G %a" "$d"; done | grep -q " cdrom 660$"'
is gpiochip "/dev/$chip gpio 660" stat -c "%n %G %a" "/dev/$chip"
# The rule grants the group, not the world: a user outside gpio is refused
# the chip, the stationd user opens it.
refused() {
	if id -nG nobody | grep -qw gpio; then echo "nobody is in group gpio"; return 1; fi
	if out="$(runuser -u nobody -- sh -c "exec 3<>/dev/$chip" 2>&1)"; then echo "nobody opened /dev/$chip"; return 1; fi
	echo "nobody: $out" && echo "$out" | grep -q 'Permission denied'
}
check gpio-refused-outside-group refused
check gpio-stationd-opens runuser -u stationd -- sh -c "exec 3<>/dev/$chip && echo stationd opened /dev/$chip"

# --- validatord ----------------------------------------------------------------
umask 077
check validatord-init sh -c 'validatord init --json --home /var/lib/validatord --kek-file /root/kek --make-kek >/root/node.json && chown -R validatord:validatord /var/lib/validatord && cat /root/node.json'
check validatord-kek sh -c 'mkdir -p /etc/credstore.encrypted && systemd-creds encrypt --name=validatord-kek /root/kek /etc/credstore.encrypted/validatord-kek'
mkdir -p /etc/systemd/system/validatord.service.d /etc/systemd/system/stationd.service.d
# A shorter watchdog, so that a daemon that stopped answering it would be
# killed within the test's time, and a longer start timeout: under software
# emulation on a busy host (load 25) stationd's start took 28 s and
# validatord's 65 s, at or past the shipped 30 s and the default 90 s.
for u in validatord stationd; do
	printf '[Service]\nWatchdogSec=20s\nTimeoutStartSec=300s\n' >/etc/systemd/system/$u.service.d/test.conf
done
systemctl daemon-reload
check validatord-start timeout 320 systemctl start validatord.service
is validatord-ready active prop validatord.service ActiveState

# --- stationd ------------------------------------------------------------------
# The station's configuration pins what the node published at init: its
# gateway, Noise and signing keys and the network's custody group
# (validatord init --json), and the player tree ([players], validatord player
# tree, read from the running node).
field() { sed -n "s/.*\"$1\": \"\([^\"]*\)\".*/\1/p" /root/node.json; }
noise="$(field noise_key)" signer="$(field signer_key)" gateway="$(field gateway)" group="$(field custody_group)"
check validatord-node-info sh -c "test -n '$noise' && test -n '$signer' && test -n '$gateway' && test -n '$group' && echo gateway $gateway custody_group $group"
check validatord-player-tree sh -c 'validatord player tree --home /var/lib/validatord >/root/players.toml && grep -q "^tree = " /root/players.toml && grep -q "^depth = " /root/players.toml && cat /root/players.toml'
players="$(grep -v '^#' /root/players.toml)"
check stationd-tpm-init runuser -u stationd -- stationd tpm init --tpm /dev/tpmrm0 --state /var/lib/stationd/tpm
cat >/etc/stationd/station.toml <<TOML
state_dir = "/var/lib/stationd"
custody_group = "$group"
socket = "/run/stationd/stationd.sock"
metrics_listen = "127.0.0.1:9464"
max_attempts = 3

[tpm]
uri = "/dev/tpmrm0"

$players

[kiosk]
enabled = true
door_pin = "door"
tamper_pin = "tamper"
led_ready_pin = "led-ready"
led_busy_pin = "led-busy"
led_error_pin = "led-error"
tamper_clear_code = "guest-clear-1234"

[[drive]]
device = "sim:"

[[node]]
address = "$gateway"
static_key = "$noise"
signing_key = "$signer"

[[node]]
address = "127.0.0.1:9"
static_key = "$noise"
signing_key = "$signer"
TOML
chgrp stationd /etc/stationd/station.toml
chmod 0640 /etc/stationd/station.toml
check stationd-start timeout 320 systemctl start stationd.service
journalctl --no-pager -u stationd -n 15 2>&1 | sed 's/^/journal /' >&3
is stationd-ready active prop stationd.service ActiveState
check stationd-status sh -c 'waitfor() { n=$1; shift; while ! "$@"; do n=$((n-1)); [ $n -gt 0 ] || return 1; sleep 1; done; }; waitfor 60 sh -c "stationd status --json | grep -q reachable" && stationd status'

# --- the kiosk through stationd ----------------------------------------------------
# The daemon, as the unit runs it (user stationd, DevicePolicy=closed with
# char-gpiochip allowed), found the lines by name and requested them: it
# drives the ready LED, and reads the door switch as the host side moves it.
# status_has KEY VALUE: stationd status --json (indented) says "KEY": VALUE.
status_has() { stationd status --json | grep -Eq "\"$1\": ?$2(,|\$)"; }
is gpio-leds-ready "1 0 0" leds
door() {
	status_has door_open false || { echo "door open before the switch moved"; return 1; }
	pull 0 pull-up && waitfor 10 status_has door_open true || { echo "door_open never true"; return 1; }
	pull 0 pull-down && waitfor 10 status_has door_open false || { echo "door_open never false again"; return 1; }
	echo "door_open false, true at pull-up, false at pull-down"
}
check gpio-door door

# --- exposure, watchdog, crash, stop -------------------------------------------------
for u in stationd validatord; do
	e="$(exposure $u.service)"
	case $u in stationd) max=1.6 ;; *) max=1.2 ;; esac
	if [ -n "$e" ] && le "$e" "$max"; then say "ok $u-exposure $e"; else say "fail $u-exposure '$e' want <= $max"; fi
done
# ran_for UNIT: whole seconds since the unit became active (monotonic).
ran_for() {
	awk -v t="$(prop "$1" ActiveEnterTimestampMonotonic)" '{ print int($1 - t / 1000000) }' /proc/uptime
}
for u in validatord stationd; do
	# More than two watchdog periods since the start, counting the checks
	# above (no sleep of its own when they took that long): still active,
	# never restarted, and systemd has a ping later than the start.
	while [ "$(ran_for $u.service)" -lt 45 ]; do sleep 1; done
	got="$(prop $u.service ActiveState) $(prop $u.service NRestarts)"
	if [ "$(prop $u.service WatchdogTimestampMonotonic)" -gt "$(prop $u.service ActiveEnterTimestampMonotonic)" ]; then
		got="$got pinged"
	fi
	is $u-watchdog "active 0 pinged" echo "$got"
	pid="$(prop $u.service MainPID)"
	kill -SEGV "$pid"
	if waitfor 180 sh -c "[ \"\$(systemctl show -p NRestarts --value $u.service)\" = 1 ] && systemctl -q is-active $u.service"; then
		say "ok $u-restart-after-crash old pid $pid new pid $(prop $u.service MainPID)"
	else
		say "fail $u-restart-after-crash $(systemctl status --no-pager $u.service 2>&1 | oneline)"
	fi
done
# The tamper switch (after the crash: the restarted daemon requested the
# lines again): the enclosure opening latches the alarm and lights the
# error LED; closed again and cleared with the code, the station is ready.
tamper() {
	pull 1 pull-up && waitfor 10 status_has tampered true || { echo "tampered never true"; return 1; }
	waitfor 5 leds_are "0 0 1" || { echo "leds $(leds), want 0 0 1"; return 1; }
	pull 1 pull-down && stationd tamper-clear --code guest-clear-1234 >/dev/null || return 1
	status_has tampered false && [ "$(leds)" = "1 0 0" ] || { echo "after the clear: leds $(leds) $(stationd status)"; return 1; }
	echo "tampered true with leds 0 0 1, cleared to leds 1 0 0"
}
check gpio-tamper tamper

for u in stationd validatord; do
	check $u-stop timeout 90 systemctl stop $u.service
	is $u-stopped-cleanly "inactive success" sh -c "echo \$(systemctl show -p ActiveState --value $u.service) \$(systemctl show -p Result --value $u.service)"
done

# --- removal keeps state ---------------------------------------------------------
check remove dpkg --purge stationd validatord
check state-kept sh -c 'test -d /var/lib/stationd/tpm && test -s /var/lib/validatord/genesis.json && ls /var/lib/stationd /var/lib/validatord'

journalctl --no-pager -u stationd -u validatord -n 40 2>&1 | sed 's/^/journal /' >&3
say done
systemctl poweroff --no-block
