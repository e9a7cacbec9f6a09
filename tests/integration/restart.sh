#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Restart without a gap (issue 13, item 5).
#
#   restart.sh xdp    (the default) the XDP path: stratad pins
# its program, link and maps in a bpffs it mounts here (`ip netns exec`
# mounts a fresh /sys, so not /sys/fs/bpf), synchronised to an upstream whose
# clock is 3 ms ahead of the host's (so a restarted stratad that served the
# host clock instead of the adopted snapshot would show a 3 ms jump).
# Under a steady 10,000 requests/s from strata-gen, stratad is
#   (a) killed with SIGKILL and started again,
#   (b) stopped with SIGTERM, then started again (as systemctl restart does):
# no more requests lost than in a window of the same length without a
# restart (the veth path drops a few on this shared machine), none answered
# unsynchronised, and the served time continuous across the restart within
# 100 us, measured from replies by a probe 20 times a second. Then
# `stratad --remove` is refused while stratad runs, and after it stops,
# detaches the program and removes the pins and the shared memory. Last,
# a bpffs directory others can write stops stratad, pinned maps of another
# layout are replaced with a logged gap, and on a read-only bpffs stratad
# serves unpinned.
#   restart.sh dpdk   the same restarts and figures with strata-dpdk serving
#                     s0 through net_af_xdp: the dataplane keeps running and
#                     answering from the shared memory while stratad restarts
#
# Environment (set by meson): STRATAD, STRATACTL, STRATA_GEN, XDP_PASS_OBJ,
# and STRATA_DPDK for the dpdk mode.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip python3 mount umount
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
[ -x "${STRATA_GEN:-}" ] || skip "STRATA_GEN not set to the strata-gen binary"

MODE=${1:-xdp}
case $MODE in
xdp) ;;
dpdk)
	[ -x "${STRATA_DPDK:-}" ] || skip "STRATA_DPDK not set to the strata-dpdk binary"
	require_cmd ethtool
	;;
*) fail "usage: restart.sh xdp|dpdk" ;;
esac
# The upstream's offset: what a restart that served the host clock would step
# by. continuity() sees that step whenever the two quarters' shortest round
# trips are under 1.45 ms each: each offset is off by at most half its round
# trip, so 3 ms less both halves is still 100 us beyond both halves (here the
# round trips are 0.1 to 0.5 ms). Not more: stratad's loop (poll 2, time
# constant 16 s, stratad/disc.c) overshoots by some 13 % of the first offset,
# and the overshoot decays with the frequency's 64 s; from the 12 ms this test
# had, that was 1.6 ms, beyond synced()'s 1 ms, and settling took 115 s of its
# 150. From 3 ms it settles in some 35 s; synced() asks the same as before.
OFFSET=0.003
SECONDS_RUN=8
RATE=10000

BPF="$TMP/bpf"
mkdir "$BPF"
# in the host's mount namespace: `ip netns exec` copies it, so stratad sees it
mount -t bpf bpf "$BPF" || skip "cannot mount a bpffs"
test_cleanup() {
	umount "$BPF" 2>/dev/null || true
}

setup_topology
SOCK="$TMP/stratad.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }
if [ "$MODE" = xdp ]; then
	LISTEN="listen xdp s0 address 192.0.2.1"
else
	# strata-dpdk takes s0: the server kernel's address moves to the
	# exception path's TAP, through which stratad reaches its upstream
	ip -n "$NS_S" addr flush dev s0
	# veth leaves the client's checksums to "hardware" that is not there; the
	# kernel behind the TAP would drop those frames (as in dpdk.sh)
	in_c ethtool -K c0 tx off >/dev/null
	LISTEN="listen dpdk net_af_xdp0,iface=s0 address 192.0.2.1"
fi
cat >"$TMP/stratad.conf" <<EOF
$LISTEN
server 192.0.2.2 iburst minpoll 2 maxpoll 2
bpffs $BPF/strata
control $SOCK
EOF

# the upstream: a stratum-1 server 3 ms ahead, in the client's namespace
spawn ip netns exec "$NS_C" python3 "$(dirname "$0")/ntp_probe.py" liar 192.0.2.2 "$OFFSET" 280

start_stratad() {
	spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf"
	SPID=$LAST_PID
	wait_for 20 ctl tracking || fail "stratad did not come up"
}

# synchronised and settled: replies with leap 0, the upstream's time within
# 1 ms, and no more than 100 us from the measure 2 s before (the discipline
# slews at first, and a slew would look like a step to the checks below)
PREV=1
synced() {
	in_c python3 "$(dirname "$0")/ntp_probe.py" measure 192.0.2.1 8 >"$TMP/measure" ||
		return 1
	cur=$(cut -d' ' -f1 "$TMP/measure")
	r=0
	awk -v o="$OFFSET" -v p="$PREV" '{ d = $1 - o; if (d < 0) d = -d; s = $1 - p; if (s < 0) s = -s
		exit !($3 == 0 && d < 0.001 && s < 0.0001) }' "$TMP/measure" || r=1
	PREV=$cur
	[ $r -eq 0 ] || sleep 2
	return $r
}

start_stratad
if [ "$MODE" = xdp ]; then
	[ -d "$BPF/strata" ] || fail "nothing pinned in $BPF/strata"
	[ "$(stat -c %a "$BPF/strata")" = 700 ] ||
		fail "$BPF/strata has mode $(stat -c %a "$BPF/strata")"
	ls "$BPF/strata/link_s0" "$BPF/strata/strata_snap" >/dev/null ||
		fail "link or maps not pinned"
	ok "program, link and maps pinned in $BPF/strata (mode 0700)"
else
	spawn ip netns exec "$NS_S" "$STRATA_DPDK" -c "$TMP/stratad.conf" --shm "$SHM" -- \
		--no-huge -m 1024 --no-pci -l 0-1 --file-prefix "strata$$" --log-level 4 \
		>"$TMP/dp.log" 2>&1
	wait_for 20 grep -q 'ready:' "$TMP/dp.log" ||
		fail "strata-dpdk did not come up: $(cat "$TMP/dp.log")"
	wait_for 10 in_s ip link show strata0 || fail "no exception-path TAP interface strata0"
	in_s ip addr add 192.0.2.1/24 dev strata0
	in_s ip link set strata0 up
	ok "strata-dpdk up on s0"
fi
wait_for 150 synced || fail "stratad never served the upstream's time: $(cat "$TMP/measure")"
ok "synchronised: offset, delay, leap, stratum $(cat "$TMP/measure")"

# A probe for the served time: 20 exchanges a second for SECONDS, each line
# "MONOTONIC OFFSET DELAY LEAP" (offset against this host's clock), "- - -"
# for a request without an answer.
cat >"$TMP/probe.py" <<'EOF'
import os, socket, struct, sys, time
host, seconds, out = sys.argv[1], float(sys.argv[2]), open(sys.argv[3], "w")
EPOCH = 2208988800
def ts(b):
    s, f = struct.unpack("!II", b)
    return s - EPOCH + f / 2**32
end = time.monotonic() + seconds
while time.monotonic() < end:
    start = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    req = bytes([0x23, 0, 6, 0]) + bytes(36) + os.urandom(8)
    t1 = time.time()
    s.sendto(req, (host, 123))
    try:
        d, _ = s.recvfrom(512)
        t4 = time.time()
        if len(d) >= 48 and d[24:32] == req[40:48]:
            t2, t3 = ts(d[32:40]), ts(d[40:48])
            out.write("%.6f %.9f %.9f %d\n" % (start, ((t2 - t1) + (t3 - t4)) / 2,
                                                (t4 - t1) - (t3 - t2), d[0] >> 6))
        else:
            out.write("%.6f - - -\n" % start)
    except socket.timeout:
        out.write("%.6f - - -\n" % start)
    s.close()
    time.sleep(max(0.0, 0.05 - (time.monotonic() - start)))
out.close()
EOF

mono() { python3 -c 'import time; print("%.6f" % time.monotonic())'; }

# window NAME ACTION: strata-gen at $RATE/s for $SECONDS_RUN s, the probe
# alongside, and ACTION (none, kill, term) 2 s in
window() {
	name=$1
	spawn ip netns exec "$NS_C" "$STRATA_GEN" --quiet --rate "$RATE" --duration "$SECONDS_RUN" \
		--count $((RATE * SECONDS_RUN)) --ports 16 --tolerance 0.1 --json "$TMP/$name.json" \
		192.0.2.1
	gpid=$LAST_PID
	spawn ip netns exec "$NS_C" python3 "$TMP/probe.py" 192.0.2.1 "$SECONDS_RUN" "$TMP/$name.probe"
	ppid=$LAST_PID
	sleep 2
	echo "$(mono)" >"$TMP/$name.at"
	case $2 in
	kill)
		kill -KILL "$SPID"
		wait "$SPID" 2>/dev/null || true
		start_stratad
		;;
	term)
		kill -TERM "$SPID"
		wait "$SPID" 2>/dev/null || true
		start_stratad
		;;
	esac
	wait "$gpid" || fail "$name: strata-gen failed"
	wait "$ppid" || fail "$name: the probe failed"
}

# figures NAME: "sent lost unsync" of strata-gen's summary
figures() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["sent"], d["lost"], d["unsync"])' "$TMP/$1.json"
}


# continuity NAME: from the probe, the served time's offset from the host
# clock every 0.25 s: no step between one quarter and the next above
# 100 us, no reply unsynchronised, no request unanswered. A stratad that
# served the host clock after the restart would step by the upstream's 3 ms.
# Each quarter's offset is that of its exchange with the shortest round
# trip (of 5): an exchange's offset is off by at most half its delay, by how
# much longer one leg waited than the other (RFC 5905 section 8), and the
# shortest waited least (the clock filter's rule, section 10). So a step
# counts only beyond those two half-delays: on a loaded machine (CI beside
# other builds) a median of 5 moved by 650 us with no restart at all, while
# the served time did not move; on a quiet one the shortest delays are some
# 50 us, and the check stays near 100 us.
continuity() {
	python3 - "$TMP/$1.probe" "$(cat "$TMP/$1.at")" <<'EOF' 2>&1
import sys
rows = [l.split() for l in open(sys.argv[1])]
at = float(sys.argv[2])
lost = [r for r in rows if r[1] == "-"]
ok = [(float(r[0]), float(r[1]), float(r[2]), int(r[3])) for r in rows if r[1] != "-"]
if lost:
    sys.exit("%d of %d probe requests unanswered, the first %.3f s after the restart"
             % (len(lost), len(rows), float(lost[0][0]) - at))
unsync = [t for t, _, _, l in ok if l == 3]
if unsync:
    sys.exit("%d replies unsynchronised, the first %.3f s after the restart"
             % (len(unsync), unsync[0] - at))
# each quarter: (time, offset, delay) of its shortest exchange
best = [min(ok[i:i + 5], key=lambda r: r[2])[:3] for i in range(0, len(ok) - 4, 5)]
# (step beyond what the two measurements can tell, step, their half-delays, when)
steps = [(abs(b[1] - a[1]) - (a[2] + b[2]) / 2, abs(b[1] - a[1]), (a[2] + b[2]) / 2,
          b[0] - at) for a, b in zip(best, best[1:])]
worst = max(steps)
offs = [o for _, o, _ in best]
if worst[0] > 100e-6:
    sys.exit("served time stepped %.1f us %.2f s after the restart (limit 100 us beyond "
             "the half-delays, %.1f us); offsets %.6f .. %.6f s"
             % (worst[1] * 1e6, worst[3], worst[2] * 1e6, min(offs), max(offs)))
big = max(steps, key=lambda x: x[1])
print("offset %.6f .. %.6f s, largest step %.1f us (half-delays %.1f us), %d replies"
      % (min(offs), max(offs), big[1] * 1e6, big[2] * 1e6, len(ok)))
EOF
}

window base none
set -- $(figures base)
base_lost=$2
[ "$3" -eq 0 ] || fail "no restart: $3 replies unsynchronised"
c=$(continuity base) || fail "no restart: $c"
ok "no restart: sent $1, lost $2, unsync $3; $c"

# a restart may lose no more than the same window without one, plus a little
# noise; a gap at this rate loses hundreds (10 per millisecond)
allowed=$((2 * base_lost + 10))
for how in kill term; do
	window "$how" "$how"
	set -- $(figures "$how")
	[ "$2" -le "$allowed" ] ||
		fail "SIG$(echo "$how" | tr a-z A-Z) and start: lost $2 of $1 (without a restart $base_lost)"
	[ "$3" -eq 0 ] || fail "SIG$(echo "$how" | tr a-z A-Z) and start: $3 replies unsynchronised"
	c=$(continuity "$how") || fail "SIG$(echo "$how" | tr a-z A-Z) and start: $c"
	ok "SIG$(echo "$how" | tr a-z A-Z) and start: sent $1, lost $2, unsync $3; $c"
done

if [ "$MODE" = dpdk ]; then
	echo "1 passed, 0 failed"
	exit 0
fi

# stopping for good: refused while stratad runs, then everything goes
if in_s "$STRATAD" --remove --shm "$SHM" -c "$TMP/stratad.conf" 2>"$TMP/remove.err"; then
	fail "stratad --remove went ahead while stratad runs"
fi
grep -q "stop it first" "$TMP/remove.err" || fail "no reason for refusing: $(cat "$TMP/remove.err")"
kill -TERM "$SPID"
wait "$SPID" 2>/dev/null || true
in_c python3 "$(dirname "$0")/ntp_probe.py" send 192.0.2.1 client --expect reply ||
	fail "no answer after SIGTERM: the pinned program should go on"
in_s "$STRATAD" --remove --shm "$SHM" -c "$TMP/stratad.conf" || fail "stratad --remove failed"
ip -n "$NS_S" link show s0 | grep -q "xdp" && fail "an XDP program is still on s0"
[ -e "$BPF/strata" ] && fail "$BPF/strata is still there"
[ -e "/dev/shm$SHM" ] && fail "the shared memory /dev/shm$SHM is still there"
in_c python3 "$(dirname "$0")/ntp_probe.py" send 192.0.2.1 client --expect none ||
	fail "answered after stratad --remove"
ok "stratad --remove: refused while running; then detached, unpinned, shared memory removed"

# only its own directory is used: one that others can write stops stratad
mkdir "$BPF/strata"
chmod 0777 "$BPF/strata"
rc=0
timeout 20 ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf" \
	>"$TMP/own.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "stratad used a bpffs directory of mode 0777 (exit $rc)"
grep -q "is not stratad's" "$TMP/own.log" || fail "no reason given: $(cat "$TMP/own.log")"
ip -n "$NS_S" link show s0 | grep -q "xdp" && fail "attached from a directory not its own"
ok "a bpffs directory of mode 0777 stops stratad: $(grep -o "is not stratad's[^:]*" "$TMP/own.log")"

# pinned maps of another layout (another version) are replaced, with a word
chmod 0700 "$BPF/strata"
command -v bpftool >/dev/null 2>&1 || PATH="$PATH:/usr/sbin"
require_cmd bpftool
bpftool map create "$BPF/strata/strata_svc" type array key 4 value 8 entries 1 name strata_svc ||
	fail "cannot pin a map with bpftool"
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf" 2>"$TMP/other.log"
SPID=$LAST_PID
wait_for 20 ctl tracking || fail "stratad did not come up beside another version's maps"
grep -q "not this stratad's layout" "$TMP/other.log" ||
	fail "no word on the replaced maps: $(cat "$TMP/other.log")"
wait_for 10 in_c python3 "$(dirname "$0")/ntp_probe.py" send 192.0.2.1 client --expect reply ||
	fail "no answer with the replaced maps"
kill -TERM "$SPID"
wait "$SPID" 2>/dev/null || true
in_s "$STRATAD" --remove --shm "$SHM" -c "$TMP/stratad.conf" || fail "stratad --remove failed"
ok "pinned maps of another layout: replaced, logged, answering"

# a first start that fails after attaching (here: no control socket, in a
# "directory" that is a file) leaves nothing attached or pinned: the pinned
# program is for a stratad that ran, not for one that never started
sed "s|^control .*|control $TMP/stratad.conf/sock|" "$TMP/stratad.conf" >"$TMP/nosock.conf"
rc=0
timeout 20 ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/nosock.conf" \
	>"$TMP/nosock.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "stratad started without its control socket (exit $rc)"
grep -q "XDP attached" "$TMP/nosock.log" ||
	fail "the start failed before attaching, so this proves nothing: $(cat "$TMP/nosock.log")"
ip -n "$NS_S" link show s0 | grep -q "xdp" && fail "a failed first start left XDP on s0"
ls "$BPF/strata" 2>/dev/null | grep -q "link_" && fail "a failed first start left a pinned link"
in_s "$STRATAD" --remove --shm "$SHM" -c "$TMP/stratad.conf" >/dev/null 2>&1 || true
ok "a failed first start leaves nothing attached or pinned"

# a bpffs it cannot write (systemd's ProtectKernelTunables=): it serves
# unpinned, with a word, and the program goes with it
mount -o remount,bind,ro "$BPF" || fail "cannot make the bpffs read-only"
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf" 2>"$TMP/ro.log"
SPID=$LAST_PID
wait_for 20 ctl tracking || fail "stratad did not come up on a read-only bpffs: $(cat "$TMP/ro.log")"
grep -q "is not pinned" "$TMP/ro.log" || fail "no word on running unpinned: $(cat "$TMP/ro.log")"
wait_for 10 in_c python3 "$(dirname "$0")/ntp_probe.py" send 192.0.2.1 client --expect reply ||
	fail "no answer on a read-only bpffs"
kill -TERM "$SPID"
wait "$SPID" 2>/dev/null || true
ip -n "$NS_S" link show s0 | grep -q "xdp" && fail "unpinned, the program outlived stratad"
mount -o remount,bind,rw "$BPF"
ok "a read-only bpffs: served unpinned, detached at exit"
echo "1 passed, 0 failed"
