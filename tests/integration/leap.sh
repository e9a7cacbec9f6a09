#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# A leap second from upstream: an upstream whose clock reaches the end of
# the next 30 June or 31 December a few seconds from now announces an
# insertion (LI 1) and inserts it there. strata steps to its time at start,
# passes the announcement on to its clients, inserts the second at the same
# instant (stepping its clock back one second) and stays with its upstream
# afterwards. At the same time, a second strata's upstream does the same at
# the end of an ordinary day: strata, without a leapfile, neither announces
# nor inserts it (leap seconds end only 30 June or 31 December;
# docs/control.md).
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
SOCK2="$TMP/stratad2.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }
# The two upstreams and their strata run side by side: each waits out its
# upstream's midnight, 10 s after its start, and the second, in its own
# namespace on the LAN with its own shared memory, no longer waits for the
# first to end (25 s in sequence, 14 side by side).
S2="strata-s2-$$"
ctl2() { ip netns exec "$S2" "$STRATACTL" -s "$SOCK2" "$@"; }
test_cleanup() { rm -f "/dev/shm$SHM-2"; }
lan_host "strata-u1-$$" eth0 192.0.2.11 2001:db8::11
lan_host "strata-u2-$$" eth0 192.0.2.12 2001:db8::12
lan_host "$S2" eth0 192.0.2.3 2001:db8::3
spawn ip netns exec "strata-u1-$$" python3 "$(dirname "$0")/ntp_probe.py" leapserver 192.0.2.11 10 40
# the same from an upstream whose midnight ends an ordinary day
spawn ip netns exec "strata-u2-$$" python3 "$(dirname "$0")/ntp_probe.py" leapserver 192.0.2.12 10 30 anyday
t0=$(date +%s)

cat >"$TMP/stratad.conf" <<CONF
listen xdp s0 address 192.0.2.1
server 192.0.2.11 iburst minpoll -2 maxpoll -2
control $SOCK
CONF
cat >"$TMP/stratad2.conf" <<CONF
listen xdp eth0 address 192.0.2.3
server 192.0.2.12 iburst minpoll -2 maxpoll -2
control $SOCK2
CONF
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf"
STRATAD_PID=$LAST_PID
spawn ip netns exec "$S2" "$STRATAD" --shm "$SHM-2" -c "$TMP/stratad2.conf"
STRATAD2_PID=$LAST_PID
synced() { ctl sources | grep -q '^\*'; }
synced2() { ctl2 sources | grep -q '^\*'; }
wait_for 8 synced || fail "no system peer: $(ctl sources)"
wait_for 8 synced2 || fail "no system peer (ordinary day): $(ctl2 sources)"

# before midnight: clients are told a second will be inserted
in_c $PROBE measure 192.0.2.1 4 >"$TMP/m"
read -r off delay leap stratum <"$TMP/m"
[ "$leap" = 1 ] || fail "strata does not announce the leap second (LI $leap)"
ok "before midnight: leap indicator 1 (insert), strata $off s from the host clock"
# the start-up step (a day here) is not charged to the root dispersion; what
# remains is the clock filter's, large until its eight stages fill (RFC 5905
# section 10)
ctl --json tracking | python3 -c "import json,sys; d=json.load(sys.stdin)['root_dispersion_s']; \
print('root dispersion %s s' % d); sys.exit(0 if d < 1.5 else 1)" ||
	fail "the root dispersion carries the start-up step"
in_c $PROBE measure 192.0.2.3 4 >"$TMP/m"
read -r off1 delay leap stratum <"$TMP/m"
[ "$leap" = 0 ] || fail "strata announces a leap second at the end of an ordinary day (LI $leap)"
ok "ordinary day: leap indicator 0 though the upstream announces a leap second"

# wait past the upstreams' midnight (10 s after they started)
while [ $(($(date +%s) - t0)) -lt 13 ]; do sleep 0.5; done
up=$(in_c $PROBE measure 192.0.2.11 4)
st=$(in_c $PROBE measure 192.0.2.1 4)
python3 - "$up" "$st" <<'PY' || fail "after midnight strata and its upstream disagree"
import sys
u, s = sys.argv[1].split(), sys.argv[2].split()
d = float(s[0]) - float(u[0])
print("after midnight: strata - upstream = %+.6f s, strata LI %s" % (d, s[2]))
# without the insertion strata would be a whole second ahead; the upstream
# here is a Python script, whose own timing is good to a few milliseconds
sys.exit(0 if abs(d) < 50e-3 and s[2] == "0" else 1)
PY
ok "the leap second was inserted at the upstream's instant"

st=$(in_c $PROBE measure 192.0.2.3 4)
python3 - "$off1" "$st" <<'PY' || fail "strata stepped at the end of an ordinary day"
import sys
before, s = float(sys.argv[1]), sys.argv[2].split()
d = float(s[0]) - before
print("ordinary midnight: strata moved %+.6f s against the host clock, LI %s" % (d, s[2]))
# a step would be -1 s; the loop slews at most 500 ppm toward the upstream's second
sys.exit(0 if abs(d) < 50e-3 and s[2] == "0" else 1)
PY
ok "no leap second inserted at an ordinary midnight"

kill -TERM "$STRATAD_PID"
wait "$STRATAD_PID" || fail "stratad did not exit 0 on SIGTERM"
kill -TERM "$STRATAD2_PID"
wait "$STRATAD2_PID" || fail "stratad (ordinary day) did not exit 0 on SIGTERM"
echo "2 passed, 0 failed"
