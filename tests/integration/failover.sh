#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Failover never passes through "unsynchronised" (issue 12, item 3): three
# chronyd upstreams and one falseticker 0.5 s off, each its own host on one
# LAN, polled every 4 s, with "holdover 10" and "minsources 2". The system
# peer's chronyd is killed (its host stays up and answers ICMP port
# unreachable). A client asks strata every 0.5 s, from before the kill to
# 24 s (six polls) after it, and stratactl tracking is read each time:
# no reply may say stratum 16 or leap 3, tracking must say "NTP" throughout
# (neither unsynchronised nor holdover: two truechimers remain, a majority
# against the falseticker, RFC 5905 section 11.2.1), and another truechimer
# must become the system peer, its address the refid clients see.
#
# Environment (set by meson): STRATAD, STRATACTL, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip python3 chronyd
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"

setup_lan
SOCK="$TMP/stratad.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }

# chronyd upstream N at 192.0.2.1N: a stratum-1 server on the host clock
for i in 1 2 3; do
	lan_host "strata-u$i-$$" eth0 "192.0.2.1$i" "2001:db8::1$i"
	cat >"$TMP/u$i.conf" <<EOF
local stratum 1
allow all
pidfile $TMP/u$i.pid
bindcmdaddress $TMP/u$i.sock
cmdport 0
EOF
	spawn ip netns exec "strata-u$i-$$" chronyd -x -d -u root -f "$TMP/u$i.conf"
	eval "UPID$i=\$LAST_PID"
done
lan_host "strata-u4-$$" eth0 192.0.2.14 2001:db8::14
spawn ip netns exec "strata-u4-$$" python3 "$(dirname "$0")/ntp_probe.py" liar 192.0.2.14 0.5 150

cat >"$TMP/stratad.conf" <<EOF
listen xdp s0 address 192.0.2.1
server 192.0.2.11 iburst minpoll 2 maxpoll 2
server 192.0.2.12 iburst minpoll 2 maxpoll 2
server 192.0.2.13 iburst minpoll 2 maxpoll 2
server 192.0.2.14 iburst minpoll 2 maxpoll 2
minsources 2
holdover 10
control $SOCK
EOF
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf"
# the falseticker is told apart once the truechimers' root distances are
# below 0.25 s: about six samples, 2 s apart in the iburst, then 4 s
ready() {
	ctl sources >"$TMP/sources" &&
		grep -q '^\*192\.0\.2\.1[123] ' "$TMP/sources" &&
		grep -q '^x192\.0\.2\.14 ' "$TMP/sources"
}
wait_for 60 ready || fail "no system peer with the falseticker marked: $(ctl sources)"
ctl sources
peer=$(awk '/^\*/ {print substr($1, 2)}' "$TMP/sources")
ok "system peer $peer, the upstream 0.5 s off is a falseticker"

# What a client sees, every 0.5 s: one request (the reply's leap, stratum
# and refid) and stratactl tracking's time source, one line each:
# "MONOTONIC LEAP STRATUM REFID SOURCE..." ("- - -" for no reply)
cat >"$TMP/watch.py" <<'EOF'
import os, socket, subprocess, sys, time
host, seconds, stratactl, sock = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
end = time.monotonic() + seconds
while time.monotonic() < end:
    start = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    req = bytes([0x23, 0, 6, 0]) + bytes(36) + os.urandom(8)
    s.sendto(req, (host, 123))
    reply = "- - -"
    try:
        data = s.recv(2048)
        if len(data) >= 48 and data[24:32] == req[40:48]:
            reply = "%d %d %s" % (data[0] >> 6, data[1], data[12:16].hex())
    except socket.timeout:
        pass
    s.close()
    out = subprocess.run([stratactl, "-s", sock, "tracking"], capture_output=True,
                         text=True, timeout=5).stdout
    src = [l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Time source")]
    print("%.3f %s %s" % (start, reply, src[0] if src else "?"), flush=True)
    time.sleep(max(0.0, start + 0.5 - time.monotonic()))
EOF
spawn ip netns exec "$NS_C" python3 "$TMP/watch.py" 192.0.2.1 30 "$STRATACTL" "$SOCK" \
	>"$TMP/watch.log"
WATCH=$LAST_PID
sleep 6 # a stretch before the kill: the served fields must stand there too
killed=$(python3 -c "import time; print(time.monotonic())")
case "$peer" in
192.0.2.11) kill "$UPID1" ;;
192.0.2.12) kill "$UPID2" ;;
192.0.2.13) kill "$UPID3" ;;
esac
# the new system peer, the first time stratactl sources shows one
new=""
while kill -0 "$WATCH" 2>/dev/null; do
	if [ -z "$new" ]; then
		new=$(ctl sources | awk -v p="$peer" '/^\*/ && substr($1, 2) != p {print substr($1, 2)}')
		[ -n "$new" ] && took=$(python3 -c "import sys, time; \
print('%.2f' % (time.monotonic() - float(sys.argv[1])))" "$killed")
	fi
	sleep 0.25
done
wait "$WATCH" || fail "the client's watch failed"
ctl sources
ctl tracking
[ -n "$new" ] || fail "no new system peer within 24 s of killing $peer"
ok "system peer $peer killed: $new took over after $took s"

# every probe answered, none unsynchronised, tracking "NTP" at every one
python3 - "$TMP/watch.log" "$killed" "$new" <<'EOF' || fail "strata did not stay synchronised"
import ipaddress, sys
lines = [l.split() for l in open(sys.argv[1]) if l.strip()]
killed, new = float(sys.argv[2]), sys.argv[3]
bad = []
n_bad = [0, 0]
for t, leap, stratum, refid, *src in lines:
    src = " ".join(src)
    when = "%+.2f s" % (float(t) - killed)
    wrong = []
    if leap == "-":
        wrong.append("no reply")
    elif leap != "0" or stratum != "2":
        wrong.append("leap %s stratum %s" % (leap, stratum))
    if src != "NTP":
        wrong.append("tracking says %r" % src)
    if wrong:
        bad.append("%s: %s" % (when, ", ".join(wrong)))
        n_bad[float(t) > killed] += 1
after = [l for l in lines if float(l[0]) > killed]
print("%d probes, %d after the kill; wrong: %d before the kill, %d after; the last refid %s" %
      (len(lines), len(after), n_bad[0], n_bad[1], lines[-1][3] if lines else "-"))
if len(after) < 40:
    bad.append("only %d probes after the kill" % len(after))
elif lines[-1][3] != ipaddress.ip_address(new).packed.hex():
    bad.append("the last reply's refid %s is not the new system peer %s" % (lines[-1][3], new))
for b in bad[:20]:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF
ok "stratum 2, leap 0 and tracking \"NTP\" in every reply from 6 s before to 24 s after the kill"
echo "1 passed, 0 failed"
