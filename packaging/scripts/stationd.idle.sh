# stationd_wait_idle: wait until the running station daemon has no active
# job, at most STATIOND_UPGRADE_WAIT seconds (default 7200, two hours: a
# full dual-layer burn and its verify at a slow speed fit). Returns 0 when
# idle (or when no daemon answers: nothing to interrupt), 1 when still
# busy at the deadline. Shared by postinst and prerm; an update never
# interrupts a burn.
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
		if [ "$waited" = 0 ]; then
			echo "stationd: a burn is in progress; waiting for the station to be idle (up to ${limit}s, STATIOND_UPGRADE_WAIT)" >&2
		fi
		sleep 5
		waited=$((waited + 5))
	done
}
