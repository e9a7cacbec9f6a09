#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The shared memory between stratad and strata-dpdk belongs to stratad alone
# (include/strata/shm.h, docs/dpdk.md): whoever can write it decides the time,
# leap indicator and stratum that strata-dpdk serves.
#
#   shm.sh owner     a local user (nobody) makes the object before stratad,
#                    mode 666: forged, strata-dpdk must refuse to serve it;
#                    empty, stratad must refuse to take it over. The object
#                    stratad makes itself is root's, mode 0600, a second
#                    stratad does not write it, and the systemd unit does
#                    not delete it when stratad stops.
#   shm.sh truncate  the object is truncated while both run: neither dies of
#                    SIGBUS, strata-dpdk answers nothing more and stops with a
#                    message, stratad goes on; a new stratad refuses the
#                    truncated object until it is removed, and then serves again.
#
# strata-dpdk runs on the server's veth through net_af_xdp, as in dpdk.sh.
# Environment (set by meson): STRATAD, STRATACTL, STRATA_DPDK, XDP_PASS_OBJ,
# STRATA_UNITS (the configured units, build/systemd).
set -eu
. "$(dirname "$0")/lib.sh"
PROBE="python3 $(dirname "$0")/ntp_probe.py"
UNITS=${STRATA_UNITS:-}

require_root
require_cmd ip python3 runuser stat truncate
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
[ -x "${STRATA_DPDK:-}" ] || skip "STRATA_DPDK not set to the strata-dpdk binary"
[ -x "${STRATA_NTS:-}" ] || skip "STRATA_NTS not set to the strata-nts binary"
[ -f "$UNITS/strata.service" ] || skip "STRATA_UNITS not set to the configured units"
id nobody >/dev/null 2>&1 || skip "no user nobody"

MODE=${1:-owner}
OBJ="/dev/shm$SHM"

ip netns add "$NS_S" || skip "cannot create network namespaces"
ip netns add "$NS_C"
ip -n "$NS_S" link add s0 type veth peer name c0 netns "$NS_C"
for ns in "$NS_S" "$NS_C"; do
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0
done
ip -n "$NS_C" addr add 192.0.2.2/24 dev c0
ip -n "$NS_S" link set s0 up
ip -n "$NS_C" link set c0 up
ip -n "$NS_C" link set dev c0 xdp obj "$XDP_PASS_OBJ" sec xdp ||
	fail "cannot attach the XDP_PASS program to the client veth"

SOCK="$TMP/stratad.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }
cat >"$TMP/strata.conf" <<CONF
listen dpdk net_af_xdp0,iface=s0 address 192.0.2.1
local stratum 5
control $SOCK
CONF

start_stratad() { # LOG [setpriv options]
	log=$1
	shift
	spawn ip netns exec "$NS_S" "$@" "$STRATAD" --shm "$SHM" -c "$TMP/strata.conf" >"$log" 2>&1
	STRATAD_PID=$LAST_PID
}
start_dp() {
	spawn ip netns exec "$NS_S" "$STRATA_DPDK" -c "$TMP/strata.conf" --shm "$SHM" -- \
		--no-huge -m 1024 --no-pci -l 0-1 --file-prefix "strata$$" --log-level 4 \
		>"$TMP/dp.log" 2>&1
	DP_PID=$LAST_PID
}
# ready, or gone
settled() { grep -q 'ready:' "$1" || ! kill -0 "$2" 2>/dev/null; }
exit_status() { # PID: its exit status into $st (not in a subshell: wait needs ours)
	wait_for 10 sh -c "! kill -0 $1" || true
	st=0
	wait "$1" || st=$?
}
signal_name() { [ "$1" -gt 128 ] && kill -l "$(($1 - 128))" || echo "exit $1"; }
# leap and stratum of the dataplane's answer ("leap stratum offset"), or "none"
answer() {
	out=$(in_c $PROBE measure 192.0.2.1 3 2>/dev/null) || {
		echo none
		return
	}
	echo "$out" | awk '{print $3, $4, $1}'
}

# As nobody: a snapshot that claims stratum 1, leap 1 (a leap second
# tonight), reference "GPS" and a clock a day ahead, laid out as
# include/strata/shm.h and snapshot.h say, mode 666, bigger than needed.
forge() {
	runuser -u nobody -- python3 - "$OBJ" <<'PY'
import os, struct, sys, time

def slot():
    maps = b""
    for scale in range(4):
        if scale == 1:  # SNAP_SCALE_TSC, what strata-dpdk stamps with
            base = int((time.time() + 2208988800 + 86400) * 2**32) % 2**64
            maps += struct.pack("<QQQII", 0, base, 0, 1, 1)
        else:
            maps += bytes(32)
    srv = struct.pack("<QQQQII4sBBbBQ", 0, 0, 0, 0, 0, 0, b"GPS\0", 1, 1, -20, 0, 0)
    return maps + srv + bytes(8)

snap = struct.pack("<III", 0x53545254, 1, 0) + bytes(52) + slot() + slot()
shm = snap + struct.pack("<IIII", 0x53544D31, 0, 0, 0) + bytes(48)
os.umask(0)
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
os.write(fd, shm + bytes(65536 - len(shm)))
PY
}

case "$MODE" in
owner)
	require_cmd setpriv

	# 1. a forged object and no stratad: strata-dpdk must not serve it
	forge
	ok "user nobody made $OBJ first: $(stat -c '%U %a, %s bytes' "$OBJ"), stratum 1 forged"
	start_dp
	wait_for 20 settled "$TMP/dp.log" "$DP_PID" || fail "strata-dpdk neither ready nor gone"
	if kill -0 "$DP_PID" 2>/dev/null; then
		lie=$(answer)
		fail "strata-dpdk serves the snapshot user nobody forged: leap, stratum, offset: $lie"
	fi
	exit_status "$DP_PID"
	[ "$st" -eq 1 ] || fail "strata-dpdk: $(signal_name "$st") on a forged object: $(cat "$TMP/dp.log")"
	grep -q "strata-dpdk: warning: shared memory $OBJ is owned by uid 65534 (mode 0666).*remove $OBJ.*strata-dpdk stops" \
		"$TMP/dp.log" || fail "strata-dpdk's message: $(cat "$TMP/dp.log")"
	ok "strata-dpdk refuses it: $(grep -o 'is owned by[^:]*' "$TMP/dp.log")"
	[ "$(answer)" = none ] || fail "an answer after strata-dpdk refused"

	# 2. an empty object of nobody's: stratad must not take it over
	rm -f "$OBJ"
	runuser -u nobody -- sh -c "umask 0; : >'$OBJ'"
	start_stratad "$TMP/stratad.log"
	wait_for 10 settled "$TMP/stratad.log" "$STRATAD_PID" || fail "stratad neither ready nor gone"
	if kill -0 "$STRATAD_PID" 2>/dev/null; then
		w=$(runuser -u nobody -- python3 -c "open('$OBJ', 'r+b'); print('writable')" 2>&1)
		fail "stratad took over $OBJ of user nobody ($(stat -c 'mode %a, now %s bytes' "$OBJ"); for nobody: $w)"
	fi
	exit_status "$STRATAD_PID"
	[ "$st" -eq 1 ] || fail "stratad: $(signal_name "$st"): $(cat "$TMP/stratad.log")"
	grep -q "stratad: warning: shared memory $OBJ is owned by uid 65534 (mode 0666), not by uid 0: stratad stops.*remove $OBJ" \
		"$TMP/stratad.log" || fail "stratad's message: $(cat "$TMP/stratad.log")"
	[ "$(stat -c %s "$OBJ")" -eq 0 ] || fail "stratad resized nobody's object"
	ok "stratad refuses it and leaves it alone: $(grep -o 'is owned by.*stops' "$TMP/stratad.log")"

	# 3. stratad's own, started as strata.service starts it (root, and the
	# group of its Group= line if it has one)
	unit_group=$(sed -n 's/^Group=//p' "$UNITS/strata.service")
	rm -f "$OBJ"
	start_stratad "$TMP/stratad2.log" setpriv --regid="${unit_group:-root}" --clear-groups
	wait_for 10 ctl tracking || fail "stratad did not come up: $(cat "$TMP/stratad2.log")"
	got=$(stat -c '%U %G %a' "$OBJ")
	[ "$got" = "root ${unit_group:-root} 600" ] || fail "stratad's object: $got, not root's mode 600"
	if runuser -u nobody -- sh -c ": >>'$OBJ'" 2>/dev/null; then
		fail "user nobody can write stratad's object"
	fi
	ok "stratad's own object: $(stat -c '%U:%G mode %a, %s bytes' "$OBJ"), not writable by nobody"
	start_dp
	wait_for 20 settled "$TMP/dp.log" "$DP_PID" || fail "strata-dpdk neither ready nor gone"
	kill -0 "$DP_PID" 2>/dev/null || fail "strata-dpdk refused stratad's object: $(cat "$TMP/dp.log")"
	got=$(answer)
	[ "${got% *}" = "0 5" ] || fail "strata-dpdk answers leap, stratum, offset: $got (want 0 5)"
	ok "strata-dpdk maps it and serves stratad's time: leap, stratum, offset: $got"
	# a second stratad on the same object would tear the snapshot: one writer
	sed "s|^control .*|control $TMP/second.sock|" "$TMP/strata.conf" >"$TMP/second.conf"
	set +e
	msg=$(in_s "$STRATAD" --shm "$SHM" -c "$TMP/second.conf" 2>&1)
	st=$?
	set -e
	[ "$st" -eq 1 ] || fail "a second stratad on the same object: exit $st: $msg"
	echo "$msg" | grep -q "shared memory $OBJ: another stratad publishes into it: stratad stops" ||
		fail "the second stratad's message: $msg"
	ok "a second stratad stops: $(echo "$msg" | grep -o 'another stratad.*stops')"
	kill -TERM "$STRATAD_PID"
	wait "$STRATAD_PID" || fail "stratad did not exit 0"
	start_stratad "$TMP/stratad3.log" setpriv --regid="${unit_group:-root}" --clear-groups
	wait_for 10 ctl tracking || fail "a new stratad did not take its own object over: $(cat "$TMP/stratad3.log")"
	ok "a new stratad takes its own object over"

	# systemd's RemoveIPC= deletes the POSIX shared memory of the unit's
	# user and group when the unit stops (systemd.exec(5)): with the strata
	# group, the object above, and strata-dpdk would lose its restarts
	# without a gap
	if grep -q '^RemoveIPC=yes' "$UNITS/strata.service" && [ "${unit_group:-root}" = "$(stat -c %G "$OBJ")" ]; then
		fail "strata.service: RemoveIPC=yes with Group=$unit_group deletes $OBJ (group $unit_group) whenever stratad stops"
	fi
	ok "strata.service keeps the object when stratad stops (no RemoveIPC=yes for group ${unit_group:-root})"
	;;
truncate)
	start_stratad "$TMP/stratad.log"
	wait_for 10 ctl tracking || fail "stratad did not come up: $(cat "$TMP/stratad.log")"
	start_dp
	wait_for 20 settled "$TMP/dp.log" "$DP_PID" || fail "strata-dpdk neither ready nor gone"
	got=$(answer)
	[ "${got% *}" = "0 5" ] || fail "strata-dpdk answers leap, stratum, offset: $got (want 0 5)"
	ok "stratad and strata-dpdk up: leap, stratum, offset: $got"

	truncate -s 0 "$OBJ"
	# requests make the dataplane's workers read the snapshot
	got=$(answer)
	[ "$got" = none ] || fail "strata-dpdk answered after the truncation: $got"
	exit_status "$DP_PID"
	[ "$st" -eq 1 ] || fail "strata-dpdk: $(signal_name "$st") after the truncation: $(tail -3 "$TMP/dp.log")"
	grep -q "strata-dpdk: warning: shared memory $OBJ was truncated under strata-dpdk: .*strata-dpdk stops" \
		"$TMP/dp.log" || fail "strata-dpdk's message: $(cat "$TMP/dp.log")"
	ok "strata-dpdk answered nothing more and stopped, exit 1: $(grep -o 'was truncated[^(]*' "$TMP/dp.log")"
	if ! kill -0 "$STRATAD_PID" 2>/dev/null; then
		exit_status "$STRATAD_PID"
		fail "stratad: $(signal_name "$st") after the truncation: $(tail -3 "$TMP/stratad.log")"
	fi
	ctl tracking >/dev/null || fail "stratad no longer answers stratactl"
	grep -q "stratad: warning: shared memory $OBJ was truncated under stratad" "$TMP/stratad.log" ||
		fail "stratad's message: $(cat "$TMP/stratad.log")"
	ok "stratad goes on and says so: $(grep -o 'was truncated[^;]*' "$TMP/stratad.log")"

	# the recovery its messages give: a new stratad refuses the truncated
	# object; removed, it makes a new one and strata-dpdk serves again
	kill -TERM "$STRATAD_PID"
	wait "$STRATAD_PID" || fail "stratad did not exit 0"
	start_stratad "$TMP/stratad2.log"
	exit_status "$STRATAD_PID"
	[ "$st" -eq 1 ] || fail "a new stratad on the truncated object: $(signal_name "$st")"
	grep -q "shared memory $OBJ has 0 bytes, not [0-9]*: stratad stops" "$TMP/stratad2.log" ||
		fail "stratad's message: $(cat "$TMP/stratad2.log")"
	ok "a new stratad refuses the truncated object: $(grep -o 'has 0 bytes.*stops' "$TMP/stratad2.log")"
	rm -f "$OBJ"
	start_stratad "$TMP/stratad3.log"
	wait_for 10 ctl tracking || fail "stratad did not come up: $(cat "$TMP/stratad3.log")"
	start_dp
	wait_for 20 settled "$TMP/dp.log" "$DP_PID" || fail "strata-dpdk neither ready nor gone"
	got=$(answer)
	[ "${got% *}" = "0 5" ] || fail "strata-dpdk answers leap, stratum, offset: $got (want 0 5)"
	ok "removed and restarted: strata-dpdk serves again: $got"
	;;
*) fail "usage: shm.sh owner|truncate" ;;
esac

echo "1 passed, 0 failed"
