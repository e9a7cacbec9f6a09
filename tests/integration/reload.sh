#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Reload without a restart (docs/config.md, "What reloads"), on the XDP path
# (reload.sh xdp) or through strata-dpdk (reload.sh dpdk), under a steady
# 10,000 requests/s from strata-gen:
#   - stratad --check: 0 for a valid file, 78 (EX_CONFIG) and FILE:LINE for
#     a broken one;
#   - SIGHUP adding a service address and a deny prefix: no request lost
#     (against a window of the same length without a reload, where the veth
#     path itself drops some), the new address answered (the time from the
#     signal to its first answer is printed, not judged), the prefix denied;
#   - the metrics listener moves to a new port; a privileged port, a new
#     interface and another user are named as needing a restart, the rest
#     applies;
#   - a SIGHUP with a broken file changes nothing (same generation, still
#     answering, still denying);
#   - stratactl reload exits 1 for the broken file, 0 for a good one;
#   - a new register line registers, one whose key file only root can read
#     is named as needing a restart, a removed one leaves its pool;
#   - a time line (local stratum) applies through the reference pipeline;
#   - systemd's notifications (sd_notify(3)), to a socket standing in for
#     systemd's: READY=1 once the XDP program is attached (xdp) or the
#     shared memory made (dpdk), from stratad's PID and after its drop to
#     _strata; RELOADING=1 then READY=1 with the outcome around each reload,
#     a refused one included; WATCHDOG=1 pings with WATCHDOG_USEC set;
#     STOPPING=1 on SIGTERM. strata-dpdk likewise: READY=1 once its workers
#     run, its pings, STOPPING=1; its --check exits 78 on a configuration
#     error.
#
# Environment (set by meson): STRATAD, STRATACTL, STRATA_GEN, XDP_PASS_OBJ,
# and STRATA_DPDK for the dpdk mode.
set -eu
. "$(dirname "$0")/lib.sh"
PROBE="python3 $(dirname "$0")/ntp_probe.py"

MODE=${1:-xdp}
require_root
require_cmd ip python3
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
[ -x "${STRATA_GEN:-}" ] || skip "STRATA_GEN not set to the strata-gen binary"
case "$MODE" in
xdp) LISTEN="listen xdp s0" ;;
dpdk)
	require_cmd ethtool
	[ -x "${STRATA_DPDK:-}" ] || skip "STRATA_DPDK not set to the strata-dpdk binary"
	LISTEN="listen dpdk net_af_xdp0,iface=s0"
	;;
*) fail "usage: reload.sh xdp|dpdk" ;;
esac
RATE=10000
WINDOW=4 # seconds of load in each window

setup_topology
ip -n "$NS_C" addr add 192.0.2.66/24 dev c0 # a client the reload denies
if [ "$MODE" = dpdk ]; then
	# strata-dpdk owns s0 and answers ARP for the service addresses only: the
	# client knows the new one's MAC already, as it would on a routed network
	mac=$(ip -n "$NS_S" -br link show s0 | awk '{print $3}')
	ip -n "$NS_S" addr flush dev s0
	ip -n "$NS_C" neigh replace 192.0.2.10 lladdr "$mac" dev c0 nud permanent
	in_c ethtool -K c0 tx off >/dev/null
else
	# the new service address needs ARP from the server's kernel
	ip -n "$NS_S" addr add 192.0.2.10/24 dev s0
fi
SOCK="$TMP/stratad.sock"
LOG="$TMP/stratad.log"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }
metrics_up() { # PORT: stratad answers GET /metrics there
	in_s python3 -c 'import sys, urllib.request
urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2).read()' "$1"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

conf() { # EXTRA-LINES: the base configuration and more
	printf '%s address 192.0.2.1%s\nlocal stratum 5\ncontrol %s\n%b' \
		"$LISTEN" "${ADDR:-}" "$SOCK" "$1" >"$TMP/stratad.conf"
}
ADDR=""
conf 'metrics 127.0.0.1:11123\n'

# systemd's notification socket (lib.sh notify_start)
if [ "$MODE" = xdp ]; then
	notify_start "ip -n $NS_S link show s0 | grep -q xdp"
else
	notify_start "test -s /dev/shm$SHM"
fi
at_ready=$NOTIFY_AT_READY

# --- stratad --check --------------------------------------------------------------
out=$("$STRATAD" --check -c "$TMP/stratad.conf" 2>&1) || fail "--check of a valid file: $out"
ok "--check, valid file: exit 0: $out"
printf 'listen xdp s0 address 192.0.2.1\nlocal stratum 5\nratelimit burst 0\n' >"$TMP/broken.conf"
rc=0
out=$("$STRATAD" --check -c "$TMP/broken.conf" 2>&1) || rc=$?
[ "$rc" -eq 78 ] || fail "--check of a broken file: exit $rc, not 78: $out"
echo "$out" | grep -qF "$TMP/broken.conf:3:" || fail "--check does not name the line: $out"
ok "--check, broken file: exit 78: $out"
if [ "$MODE" = dpdk ]; then
	# strata-dpdk --check (its unit's ExecStartPre=): the file and EAL's -l and
	# -a, without starting EAL; 78 for each error
	out=$("$STRATA_DPDK" --check -c "$TMP/stratad.conf" -- -l 0-1 -a 0000:01:00.0,x=1 2>&1) ||
		fail "strata-dpdk --check of a valid file: $out"
	printf 'listen xdp s0 address 192.0.2.1\nlocal stratum 5\n' >"$TMP/nodpdk.conf"
	for bad in "$TMP/broken.conf --" "$TMP/stratad.conf -- -l zero" \
		"$TMP/stratad.conf -- -a eth0" "$TMP/nodpdk.conf --"; do
		rc=0
		# shellcheck disable=SC2086 # split on purpose: the file, then EAL's arguments
		out=$("$STRATA_DPDK" --check -c $bad 2>&1) || rc=$?
		[ "$rc" -eq 78 ] || fail "strata-dpdk --check -c $bad: exit $rc, not 78: $out"
	done
	ok "strata-dpdk --check: 0 for a valid file, 78 for a broken one, a bad -l or -a, no 'listen dpdk'"
fi

# shellcheck disable=SC2086 # split on purpose: two VAR=VALUE words
spawn ip netns exec "$NS_S" env $SD_ENV "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf" 2>"$LOG"
SPID=$LAST_PID
wait_for 10 ctl tracking || fail "stratad did not come up: $(cat "$LOG")"
adopted() { :; } # XDP: the maps are written when stratad logs the generation
if [ "$MODE" = dpdk ]; then
	# shellcheck disable=SC2086 # split on purpose: two VAR=VALUE words
	spawn ip netns exec "$NS_S" env $SD_ENV "$STRATA_DPDK" -c "$TMP/stratad.conf" \
		--shm "$SHM" -- --no-huge -m 1024 --no-pci -l 0-1 --file-prefix "strata$$" \
		--log-level 4 >"$TMP/dp.log" 2>&1
	DPID=$LAST_PID
	wait_for 20 grep -q 'ready:' "$TMP/dp.log" ||
		fail "strata-dpdk did not come up: $(cat "$TMP/dp.log")"
	wait_for 5 sh -c "grep -q '^$DPID 0 READY=1|STATUS=[0-9]* workers* serving 1 port$' '$NLOG'" ||
		fail "no READY=1 from strata-dpdk ($DPID): $(cat "$NLOG")"
	ok "strata-dpdk: READY=1 once its workers run"
	adopted() { # GEN: strata-dpdk's workers serve generation GEN
		wait_for 5 grep -q "generation $1 adopted" "$TMP/dp.log" ||
			fail "strata-dpdk did not adopt generation $1: $(tail -3 "$TMP/dp.log")"
	}
fi
wait_for 10 in_c $PROBE send 192.0.2.1 client || fail "no answer from the XDP path"
wait_for 5 metrics_up 11123 || fail "no metrics on port 11123: $(cat "$LOG")"
gen0=$(sed -n 's/.*fast paths: generation \([0-9]*\):.*/\1/p' "$LOG" | tail -1)
adopted "$gen0"
ok "stratad up: generation $gen0, metrics on 11123"
uid=$(id -u _strata)
wait_for 5 grep -q '^CMD-AT-READY' "$NLOG" ||
	fail "no READY=1 from stratad ($SPID) as _strata ($uid): $(cat "$NLOG")"
first=$(grep -v 'WATCHDOG=1$' "$NLOG" | head -2 | tr '\n' ' ')
echo "$first" | grep -q "^$SPID $uid READY=1|STATUS=serving NTP .* CMD-AT-READY 0 $" ||
	fail "READY=1 is not stratad's first notification, or came before it served ($at_ready): $first"
ok "READY=1 from stratad's PID, sent as _strata after the drop, once it served ($at_ready): $(notes "$SPID" 0 | head -1)"

# before: the address is not served, the client not denied
in_c $PROBE send 192.0.2.10 client --expect none || fail "192.0.2.10 answered before the reload"
d=$(in_c $PROBE flood 192.0.2.66 192.0.2.1 5 50)
[ "$(field "$d" reply)" -eq 5 ] || fail "192.0.2.66 not answered before the reload: $d"

# load() WINDOW JSON: the steady load on 192.0.2.1, in the background
load() {
	in_c "$STRATA_GEN" --quiet --rate "$RATE" --duration "$1" --ports 64 --json "$2" \
		192.0.2.1 &
	GEN=$!
	PIDS="$PIDS $GEN"
}
lost() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d["sent"], d["valid"], d["lost"], d["invalid"])' "$1"; }

# --- a window without a reload: what the veth path loses by itself ---------------
load "$WINDOW" "$TMP/base.json"
wait "$GEN" || fail "strata-gen (baseline) failed"
set -- $(lost "$TMP/base.json")
base_sent=$1 base_lost=$3
[ "$4" -eq 0 ] || fail "invalid replies without a reload: $(cat "$TMP/base.json")"
ok "baseline, ${WINDOW} s at $RATE/s without a reload: sent $1, valid $2, lost $3"

# --- the same window with SIGHUPs: a new address, a deny prefix, new metrics -----
load "$WINDOW" "$TMP/reload.json"
sleep 1
mark=$(wc -l <"$NLOG")
ADDR=" address 192.0.2.10"
conf 'metrics 127.0.0.1:11125\ndeny 192.0.2.64/26\n'
# the prober asks the new address every 2 ms, each request carrying its send
# time as its transmit timestamp, which the reply returns as its origin: it
# prints the send times of the last request not answered and the first one
# answered, which bracket the moment the new generation took effect
in_c python3 -c '
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 10
last = 0.0
while time.time() < end:
	now = time.time()
	s.sendto(struct.pack("!B39xd", 0x23, now), ("192.0.2.10", 123))
	stop = now + 0.002
	while time.time() < stop:
		s.settimeout(max(stop - time.time(), 1e-4))
		try:
			r = s.recv(512)
		except socket.timeout:
			break
		if len(r) >= 48:
			sent = struct.unpack("!d", r[24:32])[0]
			print("%.6f %.6f" % (last, sent))
			sys.exit(0)
	if last == 0.0:
		open(sys.argv[1], "w").close() # probing, unanswered: ready for the signal
	last = now
sys.exit(1)' "$TMP/probing" >"$TMP/first" &
PROBER=$!
PIDS="$PIDS $PROBER"
wait_for 5 test -e "$TMP/probing" || fail "the prober did not start"
t0=$(python3 -c 'import os, signal, sys, time
t = time.time()
os.kill(int(sys.argv[1]), signal.SIGHUP)
print("%.6f" % t)' "$SPID")
wait "$PROBER" || fail "192.0.2.10 not answered after the SIGHUP: $(tail -5 "$LOG")"
set -- $(cat "$TMP/first")
hup_ms=$(python3 -c "print('%.1f to %.1f' % (($1 - $t0) * 1000, ($2 - $t0) * 1000))")
wait_for 5 grep -q "reload applied" "$LOG" || fail "no reload line: $(tail -5 "$LOG")"
took=$(sed -n 's/.*reload applied: .*in \([0-9.]*\) ms.*/\1/p' "$LOG" | tail -1)
wait "$GEN" || fail "strata-gen (reload) failed"
set -- $(lost "$TMP/reload.json")
echo "reload window: sent $1, valid $2, lost $3, invalid $4 (baseline lost $base_lost of $base_sent)"
[ "$4" -eq 0 ] || fail "invalid replies across the reload: $(cat "$TMP/reload.json")"
# the veth path drops by itself under load: never more than the quiet window did
[ "$3" -eq 0 ] || [ "$3" -le "$base_lost" ] ||
	fail "lost $3 requests across the reload, $base_lost without one"
ok "SIGHUP under $RATE/s: lost $3 (baseline $base_lost); 192.0.2.10 answered from $hup_ms ms after the signal (stratad: reload in $took ms)"
gen1=$(sed -n 's/.*reload applied: generation \([0-9]*\).*/\1/p' "$LOG" | tail -1)
[ "$gen1" -gt "$gen0" ] || fail "generation $gen1 after the reload, $gen0 before"
wait_for 5 reload_notified "$SPID" "$mark" "reload applied: generation $gen1" ||
	fail "SIGHUP: not RELOADING=1 then READY=1 with the outcome: $(notes "$SPID" "$mark")"
ok "SIGHUP notified: $(notes "$SPID" "$mark" | tr '\n' ' ')"
adopted "$gen1"

d=$(in_c $PROBE flood 192.0.2.66 192.0.2.1 5 50)
[ "$(field "$d" reply)" -eq 0 ] || fail "192.0.2.66 still answered after deny 192.0.2.64/26: $d"
d=$(in_c $PROBE flood 192.0.2.2 192.0.2.10 5 50)
[ "$(field "$d" reply)" -eq 5 ] || fail "192.0.2.2 not answered on 192.0.2.10: $d"
wait_for 5 metrics_up 11125 || fail "no metrics on port 11125 after the reload: $(tail -5 "$LOG")"
metrics_up 11123 2>/dev/null && fail "metrics still on port 11123 after the reload"
ok "generation $gen0 -> $gen1: 192.0.2.66 denied, 192.0.2.10 answered, metrics moved to 11125"

# --- lines that need a restart: the rest still applies -----------------------------
conf 'metrics 127.0.0.1:80\ndeny 192.0.2.64/26\nuser nobody\nlisten xdp nosuch0 address 198.51.100.1\nratelimit interval 0 burst 16\n'
out=$(ctl reload) || fail "stratactl reload with lines to restart: exit $?: $out"
echo "$out"
echo "$out" | grep -q "^reload applied: generation [0-9]* (new)" || fail "not applied: $out"
for l in "line 4: metrics: port 80 is privileged" "line 6: user nobody" \
	"line 7: listen xdp nosuch0: a new interface"; do
	echo "$out" | grep -qF "$l" || fail "'$l' not listed as needing a restart: $out"
done
metrics_up 11125 || fail "the metrics listener did not stay on 11125"
grep -q "fast paths: generation .* rate limit on" "$LOG" || fail "the rate limit did not apply"
adopted "$(sed -n 's/.*reload applied: generation \([0-9]*\).*/\1/p' "$LOG" | tail -1)"
ok "metrics on a privileged port, another user, a new interface: named; the rate limit applied"

# --- a broken file changes nothing ----------------------------------------------------
gen2=$(sed -n 's/.*reload applied: generation \([0-9]*\).*/\1/p' "$LOG" | tail -1)
cp "$TMP/stratad.conf" "$TMP/good.conf"
printf 'allow 192.0.2.0/33\n' >>"$TMP/stratad.conf"
n=$(grep -c "reload refused" "$LOG" || true)
mark=$(wc -l <"$NLOG")
kill -HUP "$SPID"
wait_for 5 sh -c "[ \$(grep -c 'reload refused' '$LOG') -gt $n ]" ||
	fail "no refusal logged: $(tail -3 "$LOG")"
grep "reload refused" "$LOG" | tail -1 | grep -qF "$TMP/stratad.conf:9:" ||
	fail "the refusal does not name the line: $(grep 'reload refused' "$LOG" | tail -1)"
grep "reload refused" "$LOG" | tail -1 | grep -q "(generation $gen2)" ||
	fail "the generation changed: $(grep 'reload refused' "$LOG" | tail -1)"
d=$(in_c $PROBE flood 192.0.2.2 192.0.2.10 5 50)
[ "$(field "$d" reply)" -eq 5 ] || fail "192.0.2.10 not answered after a refused reload: $d"
d=$(in_c $PROBE flood 192.0.2.66 192.0.2.1 5 50)
[ "$(field "$d" reply)" -eq 0 ] || fail "192.0.2.66 answered after a refused reload: $d"
wait_for 5 reload_notified "$SPID" "$mark" "reload refused: $TMP/stratad.conf:9:" ||
	fail "a refused SIGHUP: not RELOADING=1 then READY=1 with the refusal: $(notes "$SPID" "$mark")"
ok "SIGHUP with a broken file: refused with file:line, generation $gen2 kept, still serving; READY=1 says so"

# --- stratactl reload: 1 for the broken file, 0 for a good one --------------------------
rc=0
mark=$(wc -l <"$NLOG")
out=$(ctl reload 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "stratactl reload of a broken file: exit $rc: $out"
wait_for 5 reload_notified "$SPID" "$mark" "reload refused: $TMP/stratad.conf:9:" ||
	fail "stratactl reload refused: not RELOADING=1 then READY=1: $(notes "$SPID" "$mark")"
echo "$out" | grep -qF "$TMP/stratad.conf:9:" || fail "stratactl does not show the error: $out"
ok "stratactl reload, broken file: exit 1: $out"
# root's alone: the dropped stratad cannot read it, and says so
cp "$TMP/good.conf" "$TMP/stratad.conf"
chmod 600 "$TMP/stratad.conf"
rc=0
out=$(ctl reload 2>&1) || rc=$?
[ "$rc" -eq 1 ] && echo "$out" | grep -q "make it readable" ||
	fail "stratactl reload of a file stratad cannot read: exit $rc: $out"
chmod 644 "$TMP/stratad.conf"
out=$(ctl reload) || fail "stratactl reload of a good file: exit $?: $out"
echo "$out" | head -1 | grep -q "^reload applied: generation $gen2 (unchanged)" ||
	fail "a reload of the running file changed the fast paths: $out"
ok "stratactl reload, good file: exit 0: $(echo "$out" | head -1)"

# --- registrations: a new line starts, one whose key stratad cannot read is named -----
# (XDP only: with strata-dpdk on s0 the server's kernel has no address to send from)
if [ "$MODE" = xdp ]; then
	new_key() { (umask 077 && head -c 32 /dev/urandom | base64 >"$1"); }
	new_key "$TMP/pool.key"
	chown _strata "$TMP/pool.key"
	new_key "$TMP/root.key" # root's alone: stratad, dropped to strata, cannot read it
	# a stand-in registrar: it only receives (stratad retries without its answers)
	spawn ip netns exec "$NS_C" python3 "$(dirname "$0")/ntp_probe.py" listen 192.0.2.2 8123 \
		"$TMP/reg.bin" 20
	printf 'register pool.example.net via 192.0.2.2:8123 key %s\nregister pool2.example.net via 192.0.2.2:8124 key %s\n' \
		"$TMP/pool.key" "$TMP/root.key" >>"$TMP/stratad.conf"
	out=$(ctl reload) || fail "stratactl reload with register lines: exit $?: $out"
	echo "$out" | grep -q "line 10: register pool2.example.net via 192.0.2.2: the key file .*cannot be read" ||
		fail "the unreadable key file is not named: $out"
	echo "$out" | grep -q "line 9:" && fail "the readable register line is named: $out"
	wait_for 10 test -s "$TMP/reg.bin" || fail "no registration reached 192.0.2.2:8123: $(tail -3 "$LOG")"
	cp "$TMP/good.conf" "$TMP/stratad.conf"
	out=$(ctl reload) || fail "stratactl reload without register lines: exit $?: $out"
	grep -q "deregistering from pool pool.example.net" "$LOG" ||
		fail "the removed register line did not leave its pool: $(tail -3 "$LOG")"
	ok "register lines: the new one registers, the root-only key is named, the removed one leaves"
fi

# --- a time line: the reference pipeline takes it --------------------------------------
stratum_is() { ctl tracking | grep -q "^Stratum *: $1\$"; }
stratum_is 5 || fail "not stratum 5 before: $(ctl tracking)"
sed -i 's/^local stratum 5$/local stratum 7/' "$TMP/stratad.conf"
out=$(ctl reload) || fail "stratactl reload of local stratum 7: exit $?: $out"
echo "$out" | grep -q "line 2" && fail "local stratum named as needing a restart: $out"
wait_for 2 stratum_is 7 || fail "local stratum 7 not served: $(ctl tracking)"
ok "local stratum 5 -> 7: served without a restart"

# --- the watchdog, and the end ----------------------------------------------------------
pings=$(grep -c "^$SPID [0-9]* WATCHDOG=1$" "$NLOG" || true)
[ "$pings" -ge 5 ] || fail "stratad: $pings WATCHDOG=1 pings with WATCHDOG_USEC=400000"
if [ "$MODE" = dpdk ]; then
	dpings=$(grep -c "^$DPID 0 WATCHDOG=1$" "$NLOG" || true)
	[ "$dpings" -ge 5 ] || fail "strata-dpdk: $dpings WATCHDOG=1 pings"
	mark=$(wc -l <"$NLOG")
	kill -TERM "$DPID"
	wait "$DPID" || fail "strata-dpdk did not exit 0 on SIGTERM: $(tail -5 "$TMP/dp.log")"
	wait_for 2 note_is "$DPID" "$mark" "STOPPING=1" ||
		fail "strata-dpdk on SIGTERM: $(notes "$DPID" "$mark")"
	ok "strata-dpdk: $dpings watchdog pings, STOPPING=1 on SIGTERM"
fi
mark=$(wc -l <"$NLOG")
kill -TERM "$SPID"
wait "$SPID" || fail "stratad did not exit 0 on SIGTERM: $(tail -5 "$LOG")"
wait_for 2 note_is "$SPID" "$mark" "STOPPING=1|STATUS=Terminated: stopping" ||
	fail "stratad on SIGTERM: $(notes "$SPID" "$mark")"
ok "stratad: $pings watchdog pings at 200 ms, STOPPING=1 on SIGTERM"
echo "1 passed, 0 failed"
