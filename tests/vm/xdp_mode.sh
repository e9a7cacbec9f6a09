#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# stratad with `local stratum 10` on a veth in one XDP mode (native or
# generic), answering ntpdig in the client namespace; after setup it runs as
# the _strata user with exactly the capabilities this kernel needs (none, or
# CAP_BPF before Linux 5.19, whose bpf() checks kernel.unprivileged_bpf_disabled
# on map access too); SIGTERM detaches and exits 0.
#
# Written for the Debian 12 guest of tests/vm/debian12.sh (kernel 6.1), where
# guest.sh runs it; it runs on any host as well.
# Usage: xdp_mode.sh native|generic
# Environment: STRATAD, STRATACTL, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/../integration/lib.sh"
PROBE="python3 $(dirname "$0")/../integration/ntp_probe.py"

MODE=${1:-native}
case $MODE in
native) flag=xdp ;; # as ip-link(8) prints the attach mode
generic) flag=xdpgeneric ;;
*) fail "usage: $0 native|generic" ;;
esac

require_root
require_cmd ip ntpdig python3 getent
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
getent passwd _strata >/dev/null || skip "no _strata user (scripts/install-deps.sh creates it)"
S_UID=$(id -u _strata)

# The kept set from the kernel's rules, not stratad's probe (as privs.sh)
CAP_BPF=39
bpf_bits=0
if [ "$(cat /proc/sys/kernel/unprivileged_bpf_disabled)" != 0 ]; then
	major=$(uname -r | cut -d. -f1)
	minor=$(uname -r | cut -d. -f2 | sed 's/[^0-9].*//')
	if [ "$major" -lt 5 ] || { [ "$major" -eq 5 ] && [ "$minor" -lt 19 ]; }; then
		bpf_bits=$((1 << CAP_BPF))
	fi
fi
want_caps=$(printf '%016x' "$bpf_bits")

setup_topology
SOCK="$TMP/stratad.sock"
cat >"$TMP/stratad.conf" <<EOF
listen xdp s0 address 192.0.2.1
xdpmode $MODE
local stratum 10
control $SOCK
EOF
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf" 2>"$TMP/stratad.log"
SPID=$LAST_PID
# Up when its control socket answers. By the clock, not by lib.sh's count
# of tries: under emulation each try takes longer than its 0.1 s sleep.
up() { # SECONDS
	end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$end" ] && kill -0 "$SPID" 2>/dev/null; do
		in_s "$STRATACTL" -s "$SOCK" tracking >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}
# loading and verifying the program takes seconds under emulation
if ! up 90; then
	cat "$TMP/stratad.log" >&2
	fail "stratad did not come up in $MODE mode"
fi
cat "$TMP/stratad.log"
grep -q "s0: XDP attached ($MODE mode" "$TMP/stratad.log" || fail "no '$MODE mode' attach line"
in_s ip link show s0 | grep -qw "$flag" || fail "s0 has no $flag program: $(in_s ip link show s0)"
ok "stratad up, the program attached to s0 in $MODE mode ($flag)"

# The privilege drop, in every thread
n=0
for t in /proc/"$SPID"/task/*; do
	st="$t/status"
	grep -q "^Uid:	$S_UID	$S_UID	$S_UID	$S_UID$" "$st" ||
		fail "thread $t: $(grep ^Uid: "$st"), want $S_UID"
	for set in CapEff CapPrm; do
		grep -q "^$set:	$want_caps$" "$st" ||
			fail "thread $t: $(grep "^$set:" "$st"), want $want_caps"
	done
	grep -q "^NoNewPrivs:	1$" "$st" || fail "thread $t: no_new_privs is not set"
	n=$((n + 1))
done
ok "privileges dropped in $n threads: uid $S_UID, CapEff=CapPrm=$want_caps, NoNewPrivs 1"

# A real client; the kernel has no NTP server here, so any answer is XDP's
out=$(in_c timeout 20 ntpdig -t 5 192.0.2.1 2>&1) || fail "ntpdig: $out"
echo "$out"
echo "$out" | grep -q " s10 " || fail "ntpdig: no stratum 10 in '$out'"
in_s "$STRATACTL" -s "$SOCK" --json counters >"$TMP/ctr.json" || fail "stratactl counters"
replies=$($PROBE counter "$TMP/ctr.json" reply)
[ "$replies" -ge 1 ] || fail "the reply counter is $replies after ntpdig's answer"
ok "ntpdig answered at stratum 10 by the XDP program ($replies replies counted)"

kill -TERM "$SPID"
wait "$SPID" || fail "stratad did not exit 0 on SIGTERM"
in_s ip link show s0 | grep -q 'prog/xdp' && fail "XDP still attached after SIGTERM"
ok "SIGTERM: exit 0, XDP detached, without privilege"
