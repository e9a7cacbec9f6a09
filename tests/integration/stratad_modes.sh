#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# stratad beyond the happy path of xdp_clients.sh: generic XDP, the kernel
# clock as a source (compared with adjtimex itself), SIGINT, and the errors an
# operator meets first: a driver without native XDP, a missing interface, a
# bad configuration line.
#
# Environment (set by meson): STRATAD, STRATACTL, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip python3 sntp
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"

setup_topology
SOCK="$TMP/stratad.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }

# Run stratad in the server namespace until it is ready.
start() {
	spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$1"
	SPID=$LAST_PID
	wait_for 10 ctl tracking || fail "stratad did not come up with $(cat "$1")"
}

# --- generic mode: the kernel runs the program after the driver -------------
cat >"$TMP/generic.conf" <<EOF
listen xdp s0 address 192.0.2.1
xdpmode generic
local stratum 7
control $SOCK
EOF
start "$TMP/generic.conf"
in_s ip link show s0 | grep -q 'xdpgeneric' || fail "not attached in generic mode"
out=$(in_c sntp -t 2 192.0.2.1 2>&1) || fail "sntp in generic mode: $out"
echo "$out" | grep -q " s7 " || fail "sntp in generic mode: $out"
ctl tracking | grep -q 'XDP generic' || fail "tracking does not say generic"
ok "xdpmode generic answers: $(echo "$out" | tail -1)"

# SIGINT is as good as SIGTERM
kill -INT "$SPID"
wait "$SPID" || fail "stratad did not exit 0 on SIGINT"
in_s ip link show s0 | grep -q 'xdp' && fail "XDP still attached after SIGINT"
ok "SIGINT: exit 0, detached"

# --- refclock system: what the kernel says, as adjtimex(2) says it ----------
cat >"$TMP/system.conf" <<EOF
listen xdp s0 address 192.0.2.1
refclock system
control $SOCK
EOF
start "$TMP/system.conf"
ctl --json tracking >"$TMP/tracking.json"
python3 - "$TMP/tracking.json" <<'EOF' || fail "tracking does not follow adjtimex"
import ctypes, json, sys

class Timex(ctypes.Structure):
    # struct timex (x86-64): modes, then longs; the tail is padding
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long),
                ("status", ctypes.c_int), ("rest", ctypes.c_byte * 256)]

tx = Timex()
state = ctypes.CDLL(None, use_errno=True).adjtimex(ctypes.byref(tx))
STA_UNSYNC, TIME_ERROR = 0x40, 5
synced = state != TIME_ERROR and not (tx.status & STA_UNSYNC)
t = json.load(open(sys.argv[1]))
print("kernel clock %s; strata says stratum %s, leap %s, source %r"
      % ("synchronised" if synced else "unsynchronised", t["stratum"], t["leap"], t["source"]))
if synced:
    ok = t["stratum"] == 1 and t["leap"] in (0, 1, 2) and t["refid"] == "SYS"
else:
    ok = t["stratum"] == 16 and t["leap"] == 3
sys.exit(0 if ok else 1)
EOF
ok "refclock system follows the kernel's synchronisation state"
kill -TERM "$SPID"
wait "$SPID" || fail "stratad did not exit 0 on SIGTERM"

# --- errors an operator meets (a bridge has no native XDP) ------------------
expect_error() { # RC CONF WORDS...: RC 78 (EX_CONFIG) for an error in the file
	want=$1
	conf=$2
	shift 2
	set +e
	msg=$(in_s "$STRATAD" --shm "$SHM" -c "$conf" 2>&1)
	rc=$?
	set -e
	[ $rc -eq "$want" ] || fail "stratad exited $rc, not $want, for $(cat "$conf" 2>&1)"
	for w in "$@"; do
		echo "$msg" | grep -qF -- "$w" || fail "message lacks '$w': $msg"
	done
	in_s ip -o link show | grep -q 'prog/xdp' && fail "a failed start left XDP attached"
	echo "$msg" | tail -1
}

ip -n "$NS_S" link add d0 type bridge
ip -n "$NS_S" link set d0 up
cat >"$TMP/dummy.conf" <<EOF
listen xdp s0 address 192.0.2.1
listen xdp d0 address 198.51.100.1
local stratum 7
control $SOCK
EOF
expect_error 1 "$TMP/dummy.conf" "d0:" "xdpmode generic"
ok "a driver without native XDP: clear message, nothing left attached"

cat >"$TMP/noif.conf" <<EOF
listen xdp nosuch0 address 192.0.2.1
local stratum 7
control $SOCK
EOF
expect_error 1 "$TMP/noif.conf" "nosuch0" "no such interface"
ok "a missing interface: clear message"

printf 'listen xdp s0 address 192.0.2.1\nlocal stratum 99\n' >"$TMP/bad.conf"
expect_error 78 "$TMP/bad.conf" "$TMP/bad.conf:2:" "hint"
ok "a bad line: file:line and a hint"

expect_error 78 "$TMP/missing.conf" "$TMP/missing.conf" "cannot open"
ok "a missing file: clear message"
echo "1 passed, 0 failed"
