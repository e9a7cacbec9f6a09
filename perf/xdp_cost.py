# SPDX-License-Identifier: BSD-3-Clause
"""perf/xdp-cost's table, JSON and profile breakdown from its raw files.

argv: TMP REPS RATE DURATION JSON-FILE-or-"" PROFILE-DIR-or-""
Exits 1 if a target answered nothing (never on a figure).
"""
import bisect
import collections
import json
import os
import re
import statistics
import sys

tmp, reps, rate, dur = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
json_out, prof = sys.argv[5], sys.argv[6]

# the goals, information only
GOALS = {"strata": 2.0, "strata-v6": 2.0, "strata-policy-1": 2.5, "strata-policy-100k": 2.5}


def base_of(t):
    """The reflector a target is compared with: the one of the same traffic."""
    return "reflector-v6" if re.search(r"--src [0-9a-f]*:", t["sources"]) else "reflector"


def load(p):
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def totals(x):
    """stratactl --json counters: the reasons summed over the CPUs ("total")
    and the verdicts (seen, replies, passes, drops)."""
    acc = collections.Counter()
    if isinstance(x, dict):
        for k, v in x.get("total", {}).items():
            if isinstance(v, (int, float)):
                acc[k] += v
        for k in ("seen", "replies", "passes", "drops"):
            if isinstance(x.get(k), (int, float)):
                acc[k] += x[k]
    return acc


def sd(x):
    return statistics.stdev(x) if len(x) > 1 else 0.0


targets = []
for line in open(os.path.join(tmp, "targets")):
    f = line.split()
    targets.append({"name": f[0], "kind": f[1], "sources": " ".join(f[2:])})

runs = collections.defaultdict(list)
for r in range(1, reps + 1):
    for t in targets:
        base = os.path.join(tmp, "%s-%d" % (t["name"], r))
        run = {"rep": r}
        try:
            a0, a1, b0, b1 = map(int, open(base + ".bpf").read().split())
        except (OSError, ValueError):
            a0 = a1 = b0 = b1 = 0
        run["run_time_ns"], run["run_cnt"] = b0 - a0, b1 - a1
        run["ns_per_run"] = (b0 - a0) / (b1 - a1) if b1 > a1 else None
        g = load(base + ".json") or {}
        run["sent"] = g.get("sent", 0)
        run["answered"] = g.get("sent", 0) - g.get("lost", 0)
        run["valid"] = g.get("valid", 0)
        run["seconds"] = g.get("seconds", dur)
        c0, c1 = load(base + ".c0"), load(base + ".c1")
        if c0 is not None and c1 is not None:
            x0, x1 = totals(c0), totals(c1)
            run["counters"] = {k: x1[k] - x0.get(k, 0) for k in x1 if x1[k] - x0.get(k, 0)}
        p = load(base + ".prog") or {}
        for k in ("bytes_jited", "bytes_xlated", "name", "tag"):
            if k in p:
                run[k] = p[k]
        runs[t["name"]].append(run)

# per-rep ratio to the reflector of the same rep
for t in targets:
    b = base_of(t)
    for run in runs[t["name"]]:
        ref = [x for x in runs[b] if x["rep"] == run["rep"]]
        if ref and ref[0]["ns_per_run"] and run["ns_per_run"]:
            run["ratio"] = run["ns_per_run"] / ref[0]["ns_per_run"]

fmt = "%-19s %-18s %6s %15s %13s %13s %9s %9s  %s"
print(fmt % ("target", "vs", "runs", "ns/run", "min..max", "ratio", "replies/s",
             "answered", "counters (per s, mean)"))
bad = []
summary = {}
for t in targets:
    rs = runs[t["name"]]
    ns = [x["ns_per_run"] for x in rs if x["ns_per_run"]]
    ans = [x["answered"] / max(x["seconds"], 1e-9) for x in rs]
    sent = sum(x["sent"] for x in rs)
    answered = sum(x["answered"] for x in rs)
    if not ns or answered == 0:
        bad.append(t["name"])
    ratios = [x["ratio"] for x in rs if "ratio" in x]
    cnt = collections.Counter()
    for x in rs:
        for k, v in x.get("counters", {}).items():
            cnt[k] += v / max(x["seconds"], 1e-9) / len(rs)
    keep = [k for k in cnt if k not in ("seen", "replies") and cnt[k] >= 1]
    cs = ", ".join("%s %.0f" % (k, cnt[k]) for k in
                   (["seen", "replies"] if cnt else []) + sorted(keep, key=lambda k: -cnt[k])[:5])
    vs = "-" if t["name"] == base_of(t) else base_of(t)
    summary[t["name"]] = {
        "ns_mean": statistics.mean(ns) if ns else None, "ns_sd": sd(ns) if ns else None,
        "ns_min": min(ns) if ns else None, "ns_max": max(ns) if ns else None,
        "ratio_mean": statistics.mean(ratios) if ratios else None,
        "ratio_sd": sd(ratios) if ratios else None, "vs": vs,
        "goal": GOALS.get(t["name"]), "answered_per_s": statistics.mean(ans) if ans else 0,
        "sent": sent, "answered": answered,
    }
    print(fmt % (t["name"], vs, len(ns),
                 "%.1f +- %.1f" % (statistics.mean(ns), sd(ns)) if ns else "-",
                 "%.0f..%.0f" % (min(ns), max(ns)) if ns else "-",
                 "%.2f +- %.2f" % (statistics.mean(ratios), sd(ratios)) if ratios else "-",
                 "%.0f" % statistics.mean(ans) if ans else "0",
                 "%.1f%%" % (100.0 * answered / sent) if sent else "-", cs))
print()
print("sources: " + "; ".join("%s: %s" % (t["name"], t["sources"]) for t in targets
                               if t["name"] in ("reflector", "reflector-v6", "strata-policy-1")))
print("policy: ratelimit interval -4 burst 255 leak 1 (16/s per client: %d clients at %d/s are"
      " under it and all answered; one client is over it: the drop path, 1 in 2 answered);"
      " deny 2001:db8:ffff::/48, deny 2001:db8:fffe::/48 kod, deny 192.0.2.0/28,"
      " deny 198.51.100.0/24, allow 2001:db8::/32, allow 192.0.2.0/24"
      % (100000, rate))  # perf/xdp-cost: NCLIENTS
for n, g in GOALS.items():
    s = summary.get(n)
    if s and s["ratio_mean"] is not None:
        print("goal (information only): %s <= %.1fx the reflector: %.2fx %s" %
              (n, g, s["ratio_mean"], "met" if s["ratio_mean"] <= g else "not met"))
f, s = summary.get("floor"), summary.get("strata")
if f and f["ratio_mean"] is not None:
    # the floor (xdp/reflector.bpf.c, REFLECTOR_STAMP): the clock read and the
    # three timestamps alone; no server answers for less on this machine
    print("floor (information only): one clock read and the timestamps cost %.2fx the reflector"
          % f["ratio_mean"] + ("; strata is %.1f ns above it" % (s["ns_mean"] - f["ns_mean"])
                               if s and s["ns_mean"] is not None else ""))
    n = summary.get("floor-no-time")
    if n and n["ns_mean"] is not None:
        print("floor (information only): the clock read alone (floor less floor-no-time) %.1f ns"
              % (f["ns_mean"] - n["ns_mean"]))
sizes = {}
for t in targets:
    for x in runs[t["name"]]:
        if "bytes_jited" in x:
            sizes[t["name"]] = (x["bytes_jited"], x.get("bytes_xlated", 0))
            break
if sizes:
    print("program size (bpftool prog show): " + ", ".join(
        "%s %d B JITed / %d xlated insns" % (n, j, xl // 8) for n, (j, xl) in sizes.items()))


def breakdown(name):
    """DIR/name.txt: the samples inside the program by source line and symbol."""
    lines_f = os.path.join(prof, name + ".lines")
    samp_f = os.path.join(prof, name + ".samples")
    if not os.path.exists(samp_f):
        return
    table = []  # (address, where, text)
    ksyms = []  # (start, end) of the program's JITed functions
    if os.path.exists(lines_f):
        for ln in open(lines_f):
            f = ln.rstrip("\n").split("\t")
            if ln.startswith("# ksym "):
                a, n = ln.split()[2:4]
                ksyms.append((int(a, 16), int(a, 16) + int(n)))
            elif len(f) >= 2 and f[0].startswith("0x"):
                table.append((int(f[0], 16), f[1], f[2] if len(f) > 2 else ""))
    table.sort()
    addrs = [x[0] for x in table]
    total = 0
    idle = 0
    prog_n = 0
    by_line = collections.Counter()
    by_sym = collections.Counter()
    for ln in open(samp_f):
        f = ln.split()
        if not f:
            continue
        total += 1
        try:
            ip = int(f[0], 16)
        except ValueError:
            continue
        sym = f[1].split("+")[0] if len(f) > 1 else "?"
        if re.search(r"idle|safe_halt|cpuidle", sym):
            idle += 1
            continue
        by_sym[sym] += 1
        # the program's own addresses decide, perf may not have its symbol
        if not any(a <= ip < b for a, b in ksyms) and not sym.startswith("bpf_prog_"):
            continue
        prog_n += 1
        i = bisect.bisect_right(addrs, ip) - 1
        by_line[table[i][1] + "  " + table[i][2].strip()[:60] if i >= 0 else "?"] += 1
    with open(os.path.join(prof, name + ".txt"), "w") as o:
        busy = total - idle
        o.write("# %s: perf record -C <server CPU> -e cpu-clock -F 20000 over one point; "
                "%d samples, %d idle, %d in the BPF program (%.1f%% of the busy ones)\n"
                % (name, total, idle, prog_n, 100.0 * prog_n / max(busy, 1)))
        if name in sizes:
            o.write("# program: %d B JITed, %d xlated instructions\n"
                    % (sizes[name][0], sizes[name][1] // 8))
        o.write("## symbols (share of the busy samples on the CPU)\n")
        for s, n in by_sym.most_common(20):
            o.write("%6.2f%%  %s\n" % (100.0 * n / max(busy, 1), s))
        o.write("## source lines in the program (share of the program's samples)\n")
        for s, n in by_line.most_common(25):
            o.write("%6.2f%%  %s\n" % (100.0 * n / max(prog_n, 1), s))


if prof:
    for t in targets:
        breakdown(t["name"])
    print("profiles: %s/<target>.txt" % prof)

if json_out:
    with open(json_out, "w") as f:
        json.dump({"rate": rate, "duration_s": dur, "reps": reps,
                   "targets": [dict(t, summary=summary[t["name"]], runs=runs[t["name"]])
                               for t in targets]}, f, indent=1)
for n in bad:
    print("xdp-cost: %s answered nothing" % n)
sys.exit(1 if bad else 0)
