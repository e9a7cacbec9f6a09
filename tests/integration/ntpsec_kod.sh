#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# A real client honours strata's RATE kiss-o'-death: NTPsec's ntpd runs as a
# client in the client namespace against stratad's XDP program, whose rate
# limit (one answer per 32 s, no leak, kod) the client's address has already
# used up, so ntpd's first poll gets a RATE KoD. NTPsec must take it as one
# (its handle_procpkt(): the "rate_exceeded" peer event, burst and retries
# cancelled, its minimum poll raised since the KoD asks for a poll of 2^5 s,
# the limiter's interval, over its minpoll 3) rather than drop it: a KoD
# with a zero transmit timestamp, as strata sent before, repeats the
# transmit timestamp of "no answer yet", so NTPsec files it as a duplicate
# (BOGON1 in its rawstats) and goes on asking.
#
# ntpd never touches this host's clock: its bounding set lacks CAP_SYS_TIME,
# so the kernel refuses any clock change whatever it tries (NTPsec 1.2.2 does
# try at start, "disable kernel" or not: its log shows ntp_adjtime failing
# with EPERM), and its config disables the clock discipline ("disable ntp").
# Its config, drift, log, pid and statistics files are in $TMP; it runs
# under timeout and is killed by PID.
#
# Environment (set by meson): STRATAD, STRATACTL, XDP_PASS_OBJ; NTPSEC_ROOT
# where scripts/install-deps.sh unpacked the ntpsec package.
set -eu
. "$(dirname "$0")/lib.sh"
PROBE="python3 $(dirname "$0")/ntp_probe.py"
NTPSEC_ROOT=${NTPSEC_ROOT:-/usr/local/lib/strata-test/ntpsec}
NTPD="$NTPSEC_ROOT/usr/sbin/ntpd"

require_root
require_cmd ip python3 setpriv timeout
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
[ -x "$NTPD" ] || skip "NTPsec's ntpd is not in $NTPSEC_ROOT (sh scripts/install-deps.sh)"

setup_topology
SOCK="$TMP/stratad.sock"
cat >"$TMP/strata.conf" <<EOF
listen xdp s0 address 192.0.2.1
local stratum 5
control $SOCK
ratelimit interval 5 burst 1 leak 16 kod
EOF
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }
counter() {
	ctl --json counters >"$TMP/ctr.json"
	$PROBE counter "$TMP/ctr.json" "$1"
}
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/strata.conf"
wait_for 10 ctl tracking || fail "stratad did not come up"
# the client's one answer per 32 s, taken now: ntpd's first poll is over the limit
in_c $PROBE send 192.0.2.1 client || fail "no answer from the XDP fast path"
ok "stratad up; 192.0.2.2 has used its answer"

mkdir "$TMP/stats"
cat >"$TMP/ntp.conf" <<EOF
server 192.0.2.1 iburst minpoll 3 maxpoll 4
disable ntp
disable kernel
logconfig =allall
statsdir $TMP/stats/
statistics rawstats
filegen rawstats file rawstats type none enable
EOF
spawn ip netns exec "$NS_C" setpriv --bounding-set -sys_time \
	timeout 60 "$NTPD" -n -c "$TMP/ntp.conf" -f "$TMP/ntp.drift" -l "$TMP/ntpd.log" \
	-p "$TMP/ntpd.pid"
NTPD_PID=$LAST_PID

# the first poll goes out at once (iburst); a KoD honoured shows in the log
# as the peer event rate_exceeded; one refused is a rawstats line with its
# BOGON flags (the last field, hex; 1 is "duplicate")
if ! wait_for 15 grep -q '192.0.2.1 .* rate_exceeded' "$TMP/ntpd.log"; then
	echo "--- ntpd's log"
	cat "$TMP/ntpd.log"
	echo "--- ntpd's rawstats: the answers it refused"
	cat "$TMP/stats/rawstats" 2>/dev/null || true
	ctl counters
	fail "NTPsec did not honour strata's RATE kiss-o'-death"
fi
grep 'rate_exceeded' "$TMP/ntpd.log"
[ "$(counter reply_kod_rate)" -ge 1 ] || fail "strata counted no RATE KoD"
# rawstats prints the refid as a dotted quad: RATE is 82.65.84.69
if grep -q ' 82\.65\.84\.69 ' "$TMP/stats/rawstats" 2>/dev/null; then
	cat "$TMP/stats/rawstats"
	fail "NTPsec refused a RATE KoD as well"
fi
ok "NTPsec honoured the RATE KoD (rate_exceeded) and refused none"

# Its minimum poll is now past 2^5 s (NTPsec takes its cap, 2^10 s): it asks
# no more while the test watches. A KoD that repeated the client's own poll
# bought a pause of about 16 s (NTPsec's throttle), then polls every 8 s.
polls() { # requests from the client that reached the fast path
	ctl --json counters >"$TMP/ctr.json"
	n=0
	for c in reply reply_leak reply_kod_rate drop_rate; do
		n=$((n + $($PROBE counter "$TMP/ctr.json" $c)))
	done
	echo "$n"
}
before=$(polls)
sleep 24
after=$(polls)
[ "$after" -eq "$before" ] ||
	fail "NTPsec asked $((after - before)) more times within 24 s of the RATE KoD"
ok "NTPsec asked no more in the 24 s after the RATE KoD ($before requests in all)"

kill "$NTPD_PID" 2>/dev/null || true
wait "$NTPD_PID" 2>/dev/null || true
ctl counters
