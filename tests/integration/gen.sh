#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata-gen, the bundled load generator, against stratad on XDP: at a paced
# 2000/s over IPv4 and IPv6 every request is answered and every reply passes
# its checks; against a port nobody serves every request is lost; bad
# options are refused with exit 2. --plot-data's files render with
# perf/ramp.gp and perf/latency.gp into SVG with a series per run (no value
# drawn is judged).
#
# Environment (set by meson): STRATAD, STRATACTL, STRATA_GEN, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip python3 gnuplot
PERF="$(dirname "$0")/../../perf"
SVG_CHECK="$(dirname "$0")/svg_check.py"
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
[ -x "${STRATA_GEN:-}" ] || skip "STRATA_GEN not set to the strata-gen binary"

# --- option errors first: they need no network ------------------------------
for bad in "--duration 0 192.0.2.1" "--rate -1 192.0.2.1" "--ports 5000 192.0.2.1" \
	"--ramp 1:1:0:1 192.0.2.1" "not-an-address"; do
	rc=0
	# shellcheck disable=SC2086 # split on purpose
	"$STRATA_GEN" $bad >"$TMP/err" 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || fail "strata-gen $bad: exit $rc, want 2"
	grep -q "strata-gen" "$TMP/err" || fail "strata-gen $bad: no message: $(cat "$TMP/err")"
	ok "strata-gen $bad: exit 2, $(head -1 "$TMP/err")"
done

setup_topology
SOCK="$TMP/stratad.sock"
printf 'listen xdp s0 address 192.0.2.1 address 2001:db8::1\nlocal stratum 5\ncontrol %s\n' \
	"$SOCK" >"$TMP/stratad.conf"
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf"
wait_for 10 in_s "$STRATACTL" -s "$SOCK" tracking || fail "stratad did not come up"
ok "stratad up, XDP attached to s0"

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
print("sent %d valid %d lost %d, latency p50 %.1f us p99 %.1f us, tx error %.1f us" % (
	d["sent"], d["valid"], d["lost"], d["latency_us"]["p50"], d["latency_us"]["p99"],
	d["tx_error_us"]["mean"]))
' "$1"
}

for addr in 192.0.2.1 2001:db8::1; do
	j="$TMP/gen-$addr.json"
	in_c "$STRATA_GEN" --quiet --rate 2000 --duration 2 --ports 16 --json "$j" \
		--plot-data "$TMP/gen-$addr.dat" "$addr" || fail "strata-gen $addr failed"
	check "$j" "abs(d['sent'] - 4000) <= 400" "d['valid'] >= 0.99 * d['sent']" \
		"d['invalid'] == 0" "d['latency_us']['p50'] > 0" \
		"abs(d['tx_error_us']['mean']) < 1000"
	ok "$addr at 2000/s: $(summary "$j")"
done

# the latency distribution of both runs; a short ramp and its curve
gnuplot -c "$PERF/latency.gp" "$TMP/latency.svg" "IPv4=$TMP/gen-192.0.2.1.dat" \
	"IPv6=$TMP/gen-2001:db8::1.dat" 2>"$TMP/gnuplot.log" ||
	fail "perf/latency.gp failed: $(cat "$TMP/gnuplot.log")"
python3 "$SVG_CHECK" "$TMP/latency.svg" IPv4 IPv6 || fail "latency.svg"
ok "perf/latency.gp: $(wc -c <"$TMP/latency.svg") bytes of SVG, series IPv4 and IPv6"
in_c "$STRATA_GEN" --quiet --ramp 1000:1000:3:0.5 --ports 16 --plot-data "$TMP/ramp.dat" \
	192.0.2.1 >/dev/null || fail "strata-gen --ramp failed"
# the steps as asked, and a latency distribution that sums to 1
python3 - "$TMP/ramp.dat" <<'PY' || fail "ramp.dat: $(cat "$TMP/ramp.dat")"
import sys
blocks = open(sys.argv[1]).read().split("\n\n\n")
rows = [[ln.split() for ln in b.splitlines() if ln[:1].isdigit()] for b in blocks]
assert [int(r[0]) for r in rows[0]] == [1000, 2000, 3000], rows[0]
assert rows[1] and float(rows[1][-1][3]) == 1.0, rows[1]
PY
gnuplot -c "$PERF/ramp.gp" "$TMP/ramp.svg" "stratad=$TMP/ramp.dat" 2>"$TMP/gnuplot.log" ||
	fail "perf/ramp.gp failed: $(cat "$TMP/gnuplot.log")"
python3 "$SVG_CHECK" "$TMP/ramp.svg" stratad offered || fail "ramp.svg"
ok "perf/ramp.gp: $(wc -c <"$TMP/ramp.svg") bytes of SVG, series stratad"

# port 124: XDP passes it to the kernel, which answers port unreachable
j="$TMP/gen-lost.json"
in_c "$STRATA_GEN" --quiet --rate 500 --duration 1 --ports 4 --port 124 --json "$j" 192.0.2.1 ||
	fail "strata-gen to port 124 failed"
check "$j" "d['sent'] > 0" "d['lost'] == d['sent']" "d['valid'] == 0" "d['invalid'] == 0"
ok "port 124: $(summary "$j")"
echo "1 passed, 0 failed"
