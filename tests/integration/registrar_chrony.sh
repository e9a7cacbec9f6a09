#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The failover of issue 8: four stratad members register with strata-pool
# (registrar_lib.sh); a chronyd client with "pool pool.strata.test iburst",
# resolving the name through the registrar's DNS, synchronises to them. Then
# the member chronyd follows is killed, three times, until one member is
# left: each time the registrar drops it from the answer, chronyd selects a
# live member, and it never reports "Not synchronised" meanwhile. When the
# last member dies too, chronyd has no source left to select: the measure
# can fail.
#
# Environment (set by meson): STRATAD, STRATACTL, STRATA_POOL, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registrar_lib.sh"
require_cmd chronyd chronyc
test_cleanup() { pool_test_cleanup; }

INTERVAL=1 # probes: out after 2 failures, at most 2 intervals and a timeout
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }

setup_pool_lan
start_registrar $INTERVAL
ALIVE="1 2 3 4"
for n in $ALIVE; do
	member_host "$n"
	start_member "$n"
done
# shellcheck disable=SC2086
wait_member $ALIVE
wait_for 20 answer_is A "$(sorted 192.0.2.11 192.0.2.12 192.0.2.13 192.0.2.14)" ||
	fail "the pool does not resolve to its four members: '$(answer A)'"
ok "dig A $POOL: $(answer A)"
in_c getent ahostsv4 "$POOL" | grep -q '^192\.0\.2\.1[1-4] ' ||
	fail "the client's resolver does not reach the registrar"

# chronyd as the pool user: its own files, IPv4 only (one address per member),
# the host clock left alone (-x); polls every 0.25 s so that failover is quick
# (chronyd wants its socket's directory root's and private: $TMP is stratad's)
CHRONY="$TMP/chrony"
mkdir -m 700 "$CHRONY"
cat >"$CHRONY/chronyd.conf" <<EOF
pool $POOL iburst maxsources 4 minpoll -2 maxpoll -2
pidfile $CHRONY/chronyd.pid
bindcmdaddress $CHRONY/chronyd.sock
cmdport 0
EOF
spawn ip netns exec "$NS_C" chronyd -4 -x -d -u root -f "$CHRONY/chronyd.conf"
chronyc() { in_c chronyc -h "$CHRONY/chronyd.sock" -n "$@"; }
selected() { chronyc sources | awk '/^\^\*/ {print $2}'; }
# synchronised: a selected source ('*') and leap status normal; chronyd keeps
# the leap status for a while without sources, the selection it drops at once
synced() { chronyc tracking | grep -q '^Leap status *: Normal' && [ -n "$(selected)" ]; }
wait_for 20 synced || fail "chronyd does not synchronise: $(chronyc sources)"

# what chronyd and the live members saw, for a failure message
diag() {
	chronyc sources
	ip -n "$NS_C" neigh show dev c0
	for n in $ALIVE; do
		echo "member $n:"
		member_ctl "$n" counters | grep -v '^[0-9]'
	done
}

# the Reach column (octal): members that answered
reached() { [ "$(chronyc sources | awk '/^\^/ && $4 != "0"' | wc -l)" -ge "$1" ]; }
wait_for 10 reached 4 || fail "not every pool member answers chronyd: $(diag)"
ok "chronyd synchronised to $(selected) through the pool name"
chronyc sources

# kill the member chronyd follows; it must move to a live one, synchronised
# all along (every sample, 0.2 s apart)
for round in 1 2 3; do
	peer=$(selected)
	victim=${peer#192.0.2.1}
	case " $ALIVE " in
	*" $victim "*) ;;
	*) fail "chronyd follows $peer, not a live member ($ALIVE)" ;;
	esac
	eval "kill -KILL \$MPID_$victim"
	ALIVE=$(echo " $ALIVE " | sed "s/ $victim / /; s/^ *//; s/ *$//")
	i=0
	while :; do
		synced || fail "round $round: chronyd lost synchronisation:" \
			"$(chronyc tracking | grep Leap) $(chronyc sources)"
		now=$(selected)
		case " $ALIVE " in
		*" ${now#192.0.2.1} "*) [ -n "$now" ] && break ;;
		esac
		[ $i -lt 150 ] || fail "round $round: chronyd still on $now after 30 s: $(diag)"
		sleep 0.2
		i=$((i + 1))
	done
	want=""
	for n in $ALIVE; do want="$want 192.0.2.1$n"; done
	# shellcheck disable=SC2086
	wait_for $((2 * INTERVAL + 3)) answer_is A "$(sorted $want)" ||
		fail "round $round: the registrar still serves '$(answer A)'"
	ok "round $round: killed member $victim ($peer); chronyd moved to $now, synchronised;" \
		"the pool answers $(answer A)"
done
chronyc sources
synced || fail "chronyd not synchronised at the end"
chronyc tracking | grep -q "^Reference ID *: [0-9A-F]* (192\.0\.2\.1$ALIVE)" ||
	fail "chronyd's reference is not the last member: $(chronyc tracking | head -1)"
ok "one member left (192.0.2.1$ALIVE), chronyd synchronised to it"

# the measure is sensitive: with the last member gone, chronyd says so
eval "kill -KILL \$MPID_$ALIVE"
unsynced() { [ -z "$(selected)" ]; }
wait_for 60 unsynced || fail "chronyd still synchronised with every member dead"
wait_for $((2 * INTERVAL + 3)) answer_is A "" || fail "the pool still answers '$(answer A)'"
ok "every member dead: chronyd has no selectable source, the pool answers NODATA"
echo "1 passed, 0 failed"
