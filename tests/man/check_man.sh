#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# A man page built by docs/man/meson.build is clean: groff and man render it
# without a warning in 80 columns, lexgrog finds its NAME line (whatis,
# apropos), mandoc's lint finds no error where mandoc is installed, and a
# page of section 1 or 8 has its EXIT STATUS. check_man.sh PAGE
set -eu
page=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0

export LC_ALL=C.UTF-8 MANWIDTH=80
groff -man -t -ww -z "$page" >"$out" 2>&1 || fail=1
man --warnings -l "$page" 2>>"$out" >/dev/null || fail=1
if command -v mandoc >/dev/null; then
	# errors only: pandoc's output is groff's (its .ftr fonts, .PP after .SH)
	mandoc -T lint -W error "$page" >>"$out" 2>&1 || true
fi
if [ -s "$out" ]; then
	echo "$page: warnings:"
	cat "$out"
	fail=1
fi
if ! lexgrog "$page" | grep -q ' - '; then
	echo "$page: lexgrog finds no NAME line"
	fail=1
fi
case $page in
*.1 | *.8)
	if ! man -l "$page" 2>/dev/null | grep -q '^EXIT STATUS'; then
		echo "$page: no EXIT STATUS section"
		fail=1
	fi
	;;
esac
[ $fail -eq 0 ] && echo "$page: clean"
exit $fail
