# SPDX-License-Identifier: BSD-3-Clause
#
# gnuplot -c perf/ramp.gp OUT.svg [NAME=]FILE...: the ramp curve of one or
# more strata-gen --ramp runs (--plot-data FILE, block "steps"), side by side:
# answered/s against offered/s above, the share lost below. NAME is the
# series' title (the file's name without it). At most 8 files: gnuplot's -c
# takes 9 arguments. Optional, before -c: -e "subtitle='...'".
#
# "Answered" is strata-gen's: a reply matched to a request, valid or not (a
# reflector's echo counts), so every target is measured alike. A step with
# rate 0 (flat out) is drawn at the rate it sent.
if (ARGC < 2) {
	print "usage: gnuplot -c perf/ramp.gp OUT.svg [NAME=]FILE..."
	exit status 2
}
if (!exists("subtitle")) subtitle = ""
name(s) = strstrt(s, "=") > 0 ? s[1:strstrt(s, "=") - 1] : s
path(s) = strstrt(s, "=") > 0 ? s[strstrt(s, "=") + 1:] : s
offered(rate, sent) = rate > 0 ? rate : sent

set terminal svg size 800,640 dynamic font "sans,12" background rgb "white"
set output ARG1
set datafile missing NaN
set grid
set key top left
set format y "%.0s%c"
set lmargin 10
set multiplot layout 2,1 title "strata-gen ramp: answered against offered\n"
# the subtitle as a label, drawn once, its text taken as it is (no enhanced
# text markup: '_' stays '_')
set label 1 subtitle at screen 0.5, screen 0.94 center font ",10" noenhanced
set ylabel "answered/s"
set xlabel ""
set format x ""
plot for [i=2:ARGC] path(ARGV[i]) index "steps" \
	using (offered($1, $2)):3 with linespoints pointtype 7 pointsize 0.6 \
		title name(ARGV[i]) noenhanced, \
	x with lines dashtype 2 linecolor "gray" title "offered"
unset label 1
set ylabel "lost %"
set xlabel "offered requests/s"
set format x "%.0s%c"
set format y "%g"
set yrange [0:*]
set key top left
plot for [i=2:ARGC] path(ARGV[i]) index "steps" \
	using (offered($1, $2)):5 with linespoints pointtype 7 pointsize 0.6 \
		title name(ARGV[i]) noenhanced
unset multiplot
