#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# perf/linerate --veth: the line-rate model's two roles (strata XDP and, when
# built, strata-dpdk as the server; strata-gen's DPDK engine on net_af_xdp as
# the generator) end to end on one machine, and the report comes out whole:
# offered and answered rates, a program cost per packet, and cores for 10, 25
# and 100 GbE on every row of docs/line-rate.md's cost table. No figure is
# judged, nothing is timed (docs/line-rate.md). perf/linerate skips (77) or,
# under CI=true, fails on a missing prerequisite, as lib.sh says. ~15 s.
#
# Environment (set by meson): what perf/linerate takes.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp /tmp/strata-linerate.XXXXXX)
trap 'rm -f "$OUT"' EXIT

rc=0
LINERATE_SECONDS=1 "$HERE/../../perf/linerate" --veth --json "$OUT" || rc=$?
[ $rc -eq 0 ] || exit $rc
python3 - "$OUT" "${STRATA_DPDK:-}" <<'PY'
import json, math, sys

r = json.load(open(sys.argv[1]))
want = ["xdp"] + (["dpdk"] if sys.argv[2] else [])
def num(x, what):
    assert isinstance(x, (int, float)) and math.isfinite(x) and x >= 0, "%s: %r" % (what, x)
for path in want:
    assert path in r, "no report for %s" % path
    rep = r[path]
    g = rep["measured"]["gen"]
    for k in ("offered_per_s", "answered_per_s", "lost_pct"):
        num(g[k], "%s gen %s" % (path, k))
    assert g["answered_per_s"] > 0, "%s: nothing answered" % path
    m = rep["measured"][path]
    assert m["packets"] > 0, "%s: the server counted no packets" % path
    num(m["program_ns"], "%s program_ns" % path)
    rows = [x for x in rep["model"] if x["path"] == path]
    assert rows, "%s: no model rows" % path
    for x in rep["model"]:
        assert set(x["cores"]) == {"10G", "25G", "100G"}, x
        for k, v in x["cores"].items():
            num(v, "%s %s %s cores" % (x["path"], x["nic"], k))
    if path == "xdp":
        num(m["bpf_ns_per_run"], "xdp BPF ns per run")
        num(m["whole_ns_per_packet"], "xdp whole path")
print("ok - perf/linerate --veth: report for %s" % ", ".join(want))
PY
