#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# stratad disciplined by real upstream servers, each in its own namespace on
# one LAN: three chronyd servers and one that lies by 3 s. strata syncs with
# iburst, marks the liar a falseticker, serves the upstreams' time within
# 100 us as a client's exchanges prove it, fails over without a step when its
# system peer dies, and says leap 3 once every upstream is gone for the
# holdover.
#
# Environment (set by meson): STRATAD, STRATACTL, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"
PROBE="python3 $(dirname "$0")/ntp_probe.py"

require_root
require_cmd ip python3 chronyd
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"

setup_lan
SOCK="$TMP/stratad.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }

# chronyd upstream N at 192.0.2.1N: a stratum-1 server on the host clock
upstream() {
	ns="strata-u$1-$$"
	lan_host "$ns" eth0 "192.0.2.1$1" "2001:db8::1$1"
	cat >"$TMP/u$1.conf" <<EOF
local stratum 1
allow all
pidfile $TMP/u$1.pid
bindcmdaddress $TMP/u$1.sock
cmdport 0
EOF
	spawn ip netns exec "$ns" chronyd -x -d -u root -f "$TMP/u$1.conf"
	eval "UPID$1=\$LAST_PID"
}
for i in 1 2 3; do upstream $i; done
lan_host "strata-u4-$$" eth0 192.0.2.14 2001:db8::14
spawn ip netns exec "strata-u4-$$" python3 "$(dirname "$0")/ntp_probe.py" liar 192.0.2.14 3.0 120
LIAR=$LAST_PID
wait_for 10 in_c $PROBE measure 192.0.2.11 1 || fail "chronyd upstream does not answer"

cat >"$TMP/stratad.conf" <<EOF
listen xdp s0 address 192.0.2.1 address 2001:db8::1
server 192.0.2.11 iburst minpoll -2 maxpoll -2
server 192.0.2.12 iburst minpoll -2 maxpoll -2
server 192.0.2.13 iburst minpoll -2 maxpoll -2
server 192.0.2.14 iburst minpoll -2 maxpoll -2
minsources 2
holdover 3
control $SOCK
EOF
t0=$(date +%s)
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf"
STRATAD_PID=$LAST_PID
synced() { ctl sources | grep -q '^\*'; }
wait_for 10 synced || fail "no system peer within 10 s: $(ctl sources)"
ok "synchronised with iburst in $(($(date +%s) - t0)) s"
sleep 2
ctl sources
ctl sources | grep -q '^x192\.0\.2\.14 ' || fail "the liar is not marked a falseticker"
ok "the upstream 3 s off is a falseticker"

# what a client sees: strata against an upstream, both measured from the client
agree() {
	u=$($PROBE measure 192.0.2.11 8 | cut -d' ' -f1)
	s=$(in_c $PROBE measure 192.0.2.1 8)
	python3 -c "import sys; u, s = float(sys.argv[1]), float(sys.argv[2].split()[0]); \
print('strata %+.1f us, upstream %+.1f us' % (s * 1e6, u * 1e6)); \
sys.exit(0 if abs(s - u) < 100e-6 and sys.argv[2].split()[2] == '0' else 1)" "$u" "$s"
}
in_c $PROBE measure 192.0.2.1 8 >"$TMP/m" || fail "strata does not answer"
read -r off delay leap stratum <"$TMP/m"
[ "$stratum" = 2 ] || fail "strata serves stratum $stratum, not 2"
[ "$leap" = 0 ] || fail "strata serves leap $leap"
ok "a client sees strata at stratum 2 (offset $off s, delay $delay s, shown only)"
# Is strata's time right? The upstreams serve this host's kernel clock and
# the client reads it too, so strata's error E against its upstreams' time is
# proven from the exchanges, however long either leg waits (ntp_probe.py
# bound); a client's offset cannot prove it, being off by half the difference
# of the legs' waits, which on this shared machine can be milliseconds.
# The limit, 100 us, is what the discipline promises here with room to
# spare, and what the measurement can prove under load. strata itself bounds
# its error by the root distance it announces, root delay / 2 + root
# dispersion (RFC 5905 7.3, A.5.5.2): every offset it measures is
# within half its delay of the truth, the root delay carries that delay, the
# root dispersion the offset left to correct, the jitter and the dispersion
# since (stratad/upstream.c). On this LAN that was 23 to 92 us, loaded or not.
# The proof resolves to the shortest one-way leg, the client's own delay plus
# |E|: 15 to 65 us here. Also, E must not be proven beyond the root distance
# strata announces: a server whose claim is refuted fails even under 100 us.
served_within() { # MIN MAX exchanges
	in_c $PROBE bound 192.0.2.1 100e-6 "$1" "$2" --rootdist
}
served_within 32 160 || fail "strata's time is not proven within 100 us"
ok "strata's time is within 100 us of its upstreams' and its root distance"

# a chronyd client behind strata, to follow through the failover
cat >"$TMP/client.conf" <<EOF
server 192.0.2.1 iburst minpoll -2 maxpoll -2
pidfile $TMP/client.pid
bindcmdaddress $TMP/client.sock
cmdport 0
EOF
spawn ip netns exec "$NS_C" chronyd -x -d -u root -f "$TMP/client.conf"
chronyc() { in_c /usr/bin/chronyc -h "$TMP/client.sock" "$@"; }
client_synced() { chronyc -n sources | grep -Eq '^\^\* 192\.0\.2\.1 +2 '; }
wait_for 20 client_synced || fail "the chronyd client did not select strata: $(chronyc -n sources)"
# chronyd's last sample of strata, shown only: one exchange's offset, off by
# half the legs' difference, and measured against the virtual clock chronyd
# -x steers after strata, so it passes a strata that is wrong (see above)
client_sample() {
	nd=$(chronyc ntpdata 192.0.2.1)
	echo "offset $(echo "$nd" | awk '/^Offset/ {print $3}') s, delay $(echo "$nd" |
		awk '/^Peer delay/ {print $4}') s"
}
ok "chronyd client synchronised to strata; its last sample: $(client_sample)"

# failover: kill the system peer; another takes over within two polls, no step
peer=$(ctl sources | awk '/^\*/ {print substr($1, 2)}')
killed=$(python3 -c "import time; print(time.monotonic())")
case "$peer" in
192.0.2.11) kill "$UPID1" ;;
192.0.2.12) kill "$UPID2" ;;
192.0.2.13) kill "$UPID3" ;;
*) fail "unexpected system peer $peer" ;;
esac
# Only stratactl in this loop: the time it reports is the takeover's, not
# that of measurements in between (a bound of 24 exchanges took up to 2 s
# on the loaded 2-CPU machine and made the limit below flaky).
t=0
while [ $t -lt 50 ]; do
	new=$(ctl sources | awk '/^\*/ {print substr($1, 2)}')
	[ -n "$new" ] && [ "$new" != "$peer" ] && break
	sleep 0.1
	t=$((t + 1))
done
[ -n "$new" ] && [ "$new" != "$peer" ] || fail "no new system peer after killing $peer: $(ctl sources)"
took=$(python3 -c "import sys, time; print('%.2f' % (time.monotonic() - float(sys.argv[1])))" "$killed")
# two lost polls of 0.25 s replace the system peer (docs/control.md,
# "Failover"); 2.5 s leaves the rest to the scheduler of a loaded machine
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 2.5 else 1)" "$took" ||
	fail "the new system peer came after $took s"
# a step in the failover would stay in strata's clock: proven absent here
served_within 2 24 || fail "strata's time is not proven within 100 us after the failover"
ok "system peer $peer killed: $new took over after $took s, served time proven right after"
sleep 2
chronyc -n sources | grep -Eq '^\^\* 192\.0\.2\.1 +2 ' ||
	fail "the chronyd client lost strata in the failover: $(chronyc -n sources)"
ok "chronyd client still synchronised to strata after the failover; its last sample: $(client_sample)"
served_within 32 160 || fail "strata's time is not proven within 100 us after the failover"
ok "strata's time is within 100 us of its upstreams' and its root distance after the failover"

# holdover: every upstream gone; after 3 s the replies say leap 3
for p in $UPID1 $UPID2 $UPID3 $LIAR; do kill "$p" 2>/dev/null || true; done
gone=$(date +%s)
unsync() { in_c $PROBE measure 192.0.2.1 1 | awk '{exit !($3 == 3)}'; }
wait_for 20 unsync || fail "replies never switched to leap 3: $(ctl tracking)"
ok "every upstream gone: leap 3 after $(($(date +%s) - gone)) s (holdover 3 s)"
ctl tracking

kill -TERM "$STRATAD_PID"
wait "$STRATAD_PID" || fail "stratad did not exit 0 on SIGTERM"
echo "1 passed, 0 failed"
