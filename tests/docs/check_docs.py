#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Metric names against their documentation (docs/metrics.md).

Every metric family the code can emit (each family() call of stratad's and
strata-pool's renderers, and every sample name they print) must have a row in
docs/metrics.md, every row must name a metric the code emits, and the alert
rules, the Grafana dashboard and the other pages (docs/*.md, README.md) may
use only documented names. The dashboard must be valid JSON with a PromQL expression in every
target.

usage: check_docs.py SOURCE_ROOT
"""
import glob
import json
import os
import re
import sys

RENDERERS = ["stratad/metrics.c", "pool/poolstat.c"]
NAME = r"strata_[a-z0-9_]*[a-z0-9]"


def read(root, path):
    with open(f"{root}/{path}", encoding="utf-8") as f:
        return f.read()


def emitted(root):
    """Names from family() calls, and names printed as samples."""
    families, samples = set(), set()
    for path in RENDERERS:
        src = read(root, path)
        families |= set(re.findall(r'family\(&?o,\s*"(' + NAME + r')"', src))
        # a sample: a string literal that starts with the name, then '{' or ' '
        samples |= set(re.findall(r'"(' + NAME + r')(?:\{| %|\\")', src))
    return families, samples


def documented(root):
    """The first cell of each table row of docs/metrics.md that names a metric."""
    doc = read(root, "docs/metrics.md")
    return set(re.findall(r"^\| `(" + NAME + r")` \|", doc, re.M))


def exprs(node):
    """Every PromQL expression of a Grafana dashboard (panel targets, variables)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("expr", "query", "definition") and isinstance(v, str):
                yield v
            else:
                yield from exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v)


def main():
    root = sys.argv[1]
    errors = []
    families, samples = emitted(root)
    docs = documented(root)

    if len(families) < 20:
        errors.append(f"only {len(families)} metric families found in {RENDERERS}: parser broken?")
    for n in sorted(samples - families):
        errors.append(f"{n}: printed as a sample without a family() (no HELP/TYPE)")
    for n in sorted(families - docs):
        errors.append(f"{n}: emitted but not documented in docs/metrics.md")
    for n in sorted(docs - families):
        errors.append(f"{n}: documented in docs/metrics.md but not emitted")

    rules = read(root, "monitoring/strata.rules.yml")
    for n in sorted(set(re.findall(r"\b" + NAME + r"\b", rules)) - docs):
        errors.append(f"monitoring/strata.rules.yml uses {n}, not in docs/metrics.md")

    try:
        dash = json.loads(read(root, "monitoring/grafana/strata.json"))
    except ValueError as e:
        errors.append(f"monitoring/grafana/strata.json: not JSON: {e}")
        dash = {}
    found = list(exprs(dash))
    if dash and not found:
        errors.append("monitoring/grafana/strata.json: no PromQL expression")
    for e in found:
        if not e.strip():
            errors.append("monitoring/grafana/strata.json: an empty expression")
        for n in sorted(set(re.findall(r"\b" + NAME + r"\b", e)) - docs):
            errors.append(f"monitoring/grafana/strata.json uses {n}, not in docs/metrics.md")

    # metric names in the other pages: tokens that end like a metric's
    pages = sorted(glob.glob(f"{root}/docs/*.md")) + [f"{root}/README.md"]
    for page in pages:
        with open(page, encoding="utf-8") as f:
            text = f.read()
        for n in sorted(set(re.findall(r"\b(" + NAME + r")\b", text)) - docs):
            if re.search(r"_(total|seconds|info|ppm)$|^strata_(stratum|leap|registered)$", n):
                errors.append(f"{os.path.relpath(page, root)} names {n}, not in docs/metrics.md")

    for e in errors:
        print(e)
    print(f"{len(families)} metrics emitted, {len(docs)} documented, "
          f"{len(found)} dashboard expressions: {'FAIL' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
