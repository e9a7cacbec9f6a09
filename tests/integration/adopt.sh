#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Restart continuity (reference.c, ref_adopt()): stratad synchronised to an
# upstream 0.2 s away from this host's clock is killed (SIGKILL) while the
# upstream is unreachable, and started again. The new stratad continues the
# snapshot the old one left in the shared memory: its first replies say
# leap 0, stratum 2, with the time where the old one served it (within
# 100 us, beyond what the exchanges' delays leave open), not the host clock
# and not "unsynchronised". When the upstream is back, it is selected again
# and the time goes on without a jump.
#
# Environment (set by meson): STRATAD, STRATACTL, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"
PROBE="python3 $(dirname "$0")/ntp_probe.py"

require_root
require_cmd ip python3
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"

setup_lan
SOCK="$TMP/stratad.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }
UP="strata-u1-$$"
lan_host "$UP" eth0 192.0.2.11 2001:db8::11
# a stratum-1 server 0.2 s ahead of this host's clock, for at most 120 s
liar() {
	spawn ip netns exec "$UP" python3 "$(dirname "$0")/ntp_probe.py" liar 192.0.2.11 0.2 120
	LIAR=$LAST_PID
}
liar
wait_for 10 in_c $PROBE measure 192.0.2.11 1 || fail "the upstream does not answer"

cat >"$TMP/stratad.conf" <<EOF
listen xdp s0 address 192.0.2.1
server 192.0.2.11 iburst minpoll -2 maxpoll -2
holdover 60
control $SOCK
EOF
start() {
	spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf"
	SPID=$LAST_PID
	wait_for 10 ctl tracking || fail "stratad did not come up"
}
synced() { ctl sources | grep -q '^\*192\.0\.2\.11 '; }
# |$1 - $2| < $3, in seconds
near() { python3 -c "import sys; a, b, c = map(float, sys.argv[1:]); sys.exit(abs(a - b) >= c)" "$@"; }

start
wait_for 10 synced || fail "no system peer within 10 s: $(ctl sources)"
# the first offset (0.2 s) is stepped; what follows is slewed in: let it settle
sleep 3
in_c $PROBE measure 192.0.2.1 16 >"$TMP/before" || fail "strata does not answer"
read -r off1 delay1 leap1 stratum1 <"$TMP/before"
[ "$leap1/$stratum1" = 0/2 ] || fail "before the restart: leap $leap1, stratum $stratum1"
near "$off1" 0.2 0.002 || fail "strata is $off1 s from the host clock, not its upstream's 0.2 s"
ok "synchronised to the upstream 0.2 s away: offset $off1 s, delay $delay1 s"

# the upstream goes, then stratad dies without a word
kill "$LIAR"
wait "$LIAR" 2>/dev/null || true
kill -KILL "$SPID"
wait "$SPID" 2>/dev/null || true
start
in_c $PROBE measure 192.0.2.1 16 >"$TMP/after" || fail "strata does not answer after the restart"
read -r off2 delay2 leap2 stratum2 <"$TMP/after"
[ "$leap2/$stratum2" = 0/2 ] ||
	fail "after the restart: leap $leap2, stratum $stratum2 (the snapshot was not continued)"
# each offset is within half its exchange's delay of the truth
python3 - "$off1" "$delay1" "$off2" "$delay2" <<'PY' || fail "the served time jumped at the restart"
import sys
o1, d1, o2, d2 = map(float, sys.argv[1:])
slack = 100e-6 + (d1 + d2) / 2
print("offset %+.6f s before, %+.6f s after: %+.1f us (allowed %.1f us)"
      % (o1, o2, (o2 - o1) * 1e6, slack * 1e6))
sys.exit(0 if abs(o2 - o1) <= slack else 1)
PY
ctl --json tracking | grep -q '"adopted snapshot (holdover)"' ||
	fail "tracking does not say the snapshot was adopted: $(ctl tracking)"
ok "restarted with the upstream away: leap 0, stratum 2, the time continued"

# the upstream is back: selected again, no jump
liar
wait_for 10 synced || fail "the upstream was not selected again: $(ctl sources)"
in_c $PROBE measure 192.0.2.1 16 >"$TMP/again" || fail "strata does not answer"
read -r off3 delay3 leap3 stratum3 <"$TMP/again"
[ "$leap3/$stratum3" = 0/2 ] || fail "after the reselection: leap $leap3, stratum $stratum3"
near "$off3" 0.2 0.002 || fail "strata is $off3 s from the host clock after the reselection"
ctl --json tracking | grep -q 'adopted' && fail "still serving the adopted fields: $(ctl tracking)"
ok "the upstream is back and selected: offset $off3 s"
kill -TERM "$SPID"
wait "$SPID" || fail "stratad did not exit 0 on SIGTERM"
echo "1 passed, 0 failed"
