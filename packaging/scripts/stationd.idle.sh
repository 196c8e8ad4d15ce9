# stationd_drain: drain the running station daemon for an update, so that
# an update never interrupts a burn. While it drains, the daemon starts no
# new copy (a customer is told the station is being updated; the robot
# loads no blank) and its running jobs finish: write, verify, finalise,
# report. It waits at most STATIOND_UPGRADE_WAIT seconds (default 7200,
# two hours: a full dual-layer burn and its verify at a slow speed fit).
# Returns 0 once no job runs, or when no daemon answers (nothing to
# interrupt): the caller restarts or stops the daemon, which ends the
# drain (it lives in the daemon's memory only). At the deadline it
# cancels the drain, so copies start again, and returns 1: the caller
# answers "retry later", as a Mender state script does. Unlike polling
# for idle and then restarting, nothing is admitted between the check and
# the restart. Shared by postinst and prerm.
stationd_drain() {
	limit="${STATIOND_UPGRADE_WAIT:-7200}"
	echo "stationd: draining for the update: no new copy starts; waiting for running burns to finish (up to ${limit}s, STATIOND_UPGRADE_WAIT)" >&2
	rc=0
	stationd drain --wait "${limit}s" >&2 || rc=$?
	case "$rc" in
	0 | 3) return 0 ;; # drained, or no daemon answers
	4) # a daemon older than the drain (the upgrade from it): poll
		stationd_wait_idle
		return $?
		;;
	esac
	stationd drain --cancel >/dev/null 2>&1 || true
	return 1
}

# stationd_wait_idle: for a running daemon that predates the drain, wait
# until it has no active job, at most STATIOND_UPGRADE_WAIT seconds.
# Returns 0 when idle (or when no daemon answers), 1 when still busy at
# the deadline. A job admitted between the last look and the restart can
# still be interrupted; only the drain closes that gap.
stationd_wait_idle() {
	waited=0
	limit="${STATIOND_UPGRADE_WAIT:-7200}"
	while :; do
		out="$(stationd jobs --active --json 2>/dev/null)" || return 0
		case "$out" in
		*'"id"'*) ;;
		*) return 0 ;;
		esac
		if [ "$waited" -ge "$limit" ]; then
			return 1
		fi
		sleep 5
		waited=$((waited + 5))
	done
}
