#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# perf/bench --quick --svg DIR: every server of the side-by-side benchmark
# answers and the table prints (perf/bench's own check), and both pictures
# are drawn: ramp.svg with a series for strata XDP, chronyd and the XDP
# reflector, latency.svg for strata XDP and chronyd (a reflector's echoes are
# not valid replies: no latency). A smoke test: no value is judged, nothing
# is timed. perf/bench skips (77) or fails under CI=true as lib.sh says.
#
# Environment (set by meson): what perf/bench takes.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/strata-bench-svg.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

rc=0
"$HERE/../../perf/bench" --quick --svg "$DIR" || rc=$?
[ $rc -eq 0 ] || exit $rc
python3 "$HERE/svg_check.py" "$DIR/ramp.svg" "strata XDP" chronyd "XDP reflector" offered
python3 "$HERE/svg_check.py" "$DIR/latency.svg" "strata XDP" chronyd
