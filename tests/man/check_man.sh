#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# A man page built by docs/man/meson.build is clean: groff renders it without
# a warning, on paper and in the 80 columns of a terminal; it has the NAME
# line whatis and apropos read and, in sections 1 and 8, an EXIT STATUS.
# Where they are installed, man(1) renders it without a warning too, lexgrog
# reads its NAME line, and mandoc's lint finds no error. check_man.sh PAGE
set -eu
page=$1
out=$(mktemp) txt=$(mktemp)
trap 'rm -f "$out" "$txt"' EXIT
fail=0

export LC_ALL=C.UTF-8 MANWIDTH=80
groff -man -t -ww -z "$page" >>"$out" 2>&1 || fail=1
# man-db's line length for 80 columns
groff -man -t -ww -Tutf8 -P-cbou -rLL=78n -rLT=78n "$page" 2>>"$out" >"$txt" || fail=1
if command -v man >/dev/null; then
	man --warnings -l "$page" 2>>"$out" >/dev/null || fail=1
fi
if command -v mandoc >/dev/null; then
	# errors only: pandoc's output is groff's (its .ftr fonts, .PP after .SH)
	mandoc -T lint -W error "$page" >>"$out" 2>&1 || true
fi
if [ -s "$out" ]; then
	echo "$page: warnings:"
	cat "$out"
	fail=1
fi
if command -v lexgrog >/dev/null; then
	lexgrog "$page" | grep -q ' - ' || { echo "$page: lexgrog finds no NAME line"; fail=1; }
elif ! grep -A1 '^\.SH NAME' "$page" | grep -q '^[^.].* \\- '; then
	echo "$page: no NAME line 'name \\- description'"
	fail=1
fi
case $page in
*.1 | *.8)
	grep -q '^EXIT STATUS' "$txt" || { echo "$page: no EXIT STATUS section"; fail=1; }
	;;
esac
[ $fail -eq 0 ] && echo "$page: clean"
exit $fail
