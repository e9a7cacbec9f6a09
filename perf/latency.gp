# SPDX-License-Identifier: BSD-3-Clause
#
# gnuplot -c perf/latency.gp OUT.svg [NAME=]FILE...: the distribution of
# reply latency (request sent to valid reply received) of one or more
# strata-gen runs (--plot-data FILE, block "latency"), side by side: the
# cumulative share above, the share slower than each latency (log scale, the
# tail) below. NAME is the series' title (the file's name without it). At
# most 8 files: gnuplot's -c takes 9 arguments. Optional, before -c:
# -e "subtitle='...'".
#
# strata-gen's buckets (1 us wide below 1 ms, 10 us below 10 ms, and so on:
# perf/stats.h) are merged here into 40 a decade, each counted at its upper
# edge, so that the picture stays small whatever the spread.
if (ARGC < 2) {
	print "usage: gnuplot -c perf/latency.gp OUT.svg [NAME=]FILE..."
	exit status 2
}
if (!exists("subtitle")) subtitle = ""
name(s) = strstrt(s, "=") > 0 ? s[1:strstrt(s, "=") - 1] : s
path(s) = strstrt(s, "=") > 0 ? s[strstrt(s, "=") + 1:] : s

# the upper edge of the 1/40-decade bin that holds x (us); below 1 us, 1 us
bin(x) = x < 1 ? 1 : 10 ** (ceil(log10(x) * 40 - 1e-9) / 40.0)

# one data set per file: the share of valid replies at or below each bin
set table $cdf
plot for [i=2:ARGC] path(ARGV[i]) index "latency" using (bin($2)):3 smooth cnormal
unset table

set terminal svg size 800,640 dynamic font "sans,12" background rgb "white"
set output ARG1
set grid xtics ytics
set logscale x
set lmargin 10
set multiplot layout 2,1 title "strata-gen: reply latency\n"
# the subtitle as a label, drawn once, its text taken as it is (no enhanced
# text markup: '_' stays '_')
set label 1 subtitle at screen 0.5, screen 0.94 center font ",10" noenhanced
set ylabel "share at or below"
set yrange [0:1]
set key bottom right
set format x ""
plot for [i=2:ARGC] $cdf index (i - 2) using 1:2 with steps title name(ARGV[i]) noenhanced
unset label 1
set ylabel "share slower (tail)"
set xlabel "latency (µs)"
set format x "%g"
set logscale y
set yrange [*:1]
set format y "10^{%T}"
set key top right
plot for [i=2:ARGC] $cdf index (i - 2) using 1:(1 - $2) with steps title name(ARGV[i]) noenhanced
unset multiplot
