#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""svg_check.py FILE SERIES...: FILE is well-formed XML, an SVG document, and
has a plot titled SERIES for each SERIES (gnuplot's svg terminal gives each
plot a <g id="gnuplot_plot_N"> with a <title>). Judges no value drawn."""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: svg_check.py FILE SERIES...")
    path, want = sys.argv[1], sys.argv[2:]
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        sys.exit("%s: not well-formed XML: %s" % (path, e))
    if root.tag != NS + "svg":
        sys.exit("%s: root element %s, not svg" % (path, root.tag))
    series = set()
    for g in root.iter(NS + "g"):
        if g.get("id", "").startswith("gnuplot_plot_"):
            t = g.find(NS + "title")
            if t is not None and t.text:
                series.add(t.text)
    missing = [s for s in want if s not in series]
    if missing:
        sys.exit("%s: no series %s (has %s)" % (path, ", ".join(missing),
                                                ", ".join(sorted(series))))
    print("%s: SVG, series %s" % (path, ", ".join(sorted(series))))


main()
