#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata-gen's DPDK engine against stratad on XDP: the generator owns the
# client's veth through net_af_xdp and sends whole frames from the 126 hosts
# of 192.0.2.128/25 (and a /120 of IPv6), resolving the server's MAC by ARP
# and neighbour solicitation. At a paced 5000/s every request is answered and
# every reply passes its checks; a flat-out run reports its rate (not a
# check: it is this machine's).
#
# Environment (set by meson): STRATAD, STRATACTL, STRATA_GEN, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip python3
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
[ -x "${STRATA_GEN:-}" ] || skip "STRATA_GEN not set to the strata-gen binary"
"$STRATA_GEN" --help | grep -q -- "--dpdk-port" || skip "strata-gen built without DPDK"

# --- option errors first: they need no network ------------------------------
for bad in "--engine dpdk 192.0.2.1" "--engine dpdk --dpdk-port net_null0 192.0.2.1" \
	"--src 192.0.2.128/25 192.0.2.1" "--engine foo 192.0.2.1" "192.0.2.1 -- -l 0" \
	"--src-count 0 192.0.2.1" "--src-count 4 192.0.2.1" \
	"--engine dpdk --dpdk-port net_null0 --src 192.0.2.1 --src-step 24 192.0.2.1"; do
	rc=0
	# shellcheck disable=SC2086 # split on purpose
	"$STRATA_GEN" $bad >"$TMP/err" 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || fail "strata-gen $bad: exit $rc, want 2"
	ok "strata-gen $bad: exit 2, $(head -1 "$TMP/err")"
done

# --src-count sources that do not fit in --src's prefix at --src-step: refused
# before EAL starts (the spread itself: xdp_cost.sh, by the rate limiter's count)
for bad in "2001:db8::1/120 --src-count 1000 --src-step 128" \
	"2001:db8::1/64 --src-count 2 --src-step 48" "2001:db8::1/120 --src-count 300"; do
	rc=0
	# shellcheck disable=SC2086 # split on purpose
	"$STRATA_GEN" --engine dpdk --dpdk-port net_null0 --src $bad 2001:db8::1 >"$TMP/err" 2>&1 ||
		rc=$?
	[ "$rc" -ne 0 ] && grep -q 'that many sources' "$TMP/err" ||
		fail "strata-gen --src $bad: exit $rc, $(head -1 "$TMP/err")"
	ok "strata-gen --src $bad: refused"
done

setup_topology
# af_xdp attaches its own program to c0: lib.sh's XDP_PASS must go first
ip -n "$NS_C" link set dev c0 xdp off
SOCK="$TMP/stratad.sock"
printf 'listen xdp s0 address 192.0.2.1 address 2001:db8::1\nlocal stratum 5\ncontrol %s\n' \
	"$SOCK" >"$TMP/stratad.conf"
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf"
wait_for 10 in_s "$STRATACTL" -s "$SOCK" tracking || fail "stratad did not come up"
ok "stratad up, XDP attached to s0"

# gen JSON SRC SERVER OPTIONS...: the DPDK engine on c0, bounded by timeout
# as well as by its own duration
gen() {
	j=$1 src=$2 server=$3
	shift 3
	in_c timeout 60 "$STRATA_GEN" --quiet --engine dpdk --dpdk-port net_af_xdp0,iface=c0 \
		--src "$src" --json "$j" "$@" "$server" -- \
		--no-huge -m 1024 --no-pci -l 0-1 --file-prefix "gen$$" --log-level 4 \
		>"$TMP/gen.log" 2>&1 || fail "strata-gen dpdk $server: $(cat "$TMP/gen.log")"
	grep '^strata-gen: dpdk' "$TMP/gen.log"
}

# check FILE EXPR...: every Python expression over the summary d must hold
check() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for e in sys.argv[2:]:
	if not eval(e, {}, {"d": d}):
		sys.exit("failed: %s\nsummary: %s" % (e, json.dumps(d)))
' "$@" || fail "strata-gen summary $1 fails a check"
}

summary() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("sent %d (%.0f/s) valid %d lost %d, latency p50 %.1f us p99 %.1f us, tx error %.1f us" % (
	d["sent"], d["sent_per_s"], d["valid"], d["lost"], d["latency_us"]["p50"],
	d["latency_us"]["p99"], d["tx_error_us"]["mean"]))
' "$1"
}

for pair in 192.0.2.128/25,192.0.2.1 2001:db8::100/120,2001:db8::1; do
	src=${pair%,*} addr=${pair#*,}
	j="$TMP/gen-$addr.json"
	gen "$j" "$src" "$addr" --rate 5000 --duration 2
	# no bound on latency: the busy-polling lcore shares two CPUs here with
	# the veth softirqs that carry both directions, milliseconds at times
	check "$j" "abs(d['sent'] - 10000) <= 1000" "d['valid'] >= 0.99 * d['sent']" \
		"d['invalid'] == 0" "d['latency_us']['p50'] > 0"
	ok "dpdk $src -> $addr at 5000/s: $(summary "$j")"
done

# flat out: reported, not checked (beyond "something came back")
j="$TMP/gen-flat.json"
gen "$j" 192.0.2.128/25 192.0.2.1 --rate 0 --duration 3
check "$j" "d['valid'] > 0" "d['invalid'] == 0"
ok "dpdk flat out: $(summary "$j")"
echo "1 passed, 0 failed"
