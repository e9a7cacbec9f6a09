#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# A program's --help, --version and man page agree: --help exits 0 and every
# long option it lists is in the man page; every option the man page's
# OPTIONS section describes (its tagged paragraphs) is in --help; every
# command of --help's "commands:" is a tagged paragraph of the man page's
# COMMANDS (the page may document more: commands of a newer stratad);
# --version prints "PROG VERSION". check_help.sh PROGRAM PAGE VERSION
set -eu
prog=$1 page=$2 version=$3
name=$(basename "$prog")
help=$(mktemp) man=$(mktemp)
trap 'rm -f "$help" "$man"' EXIT
fail=0

if ! "$prog" --help >"$help"; then
	echo "$name --help: exit status $?, not 0"
	fail=1
fi
# plain text, wide lines and no hyphenation (pandoc's .hy made a no-op):
# an option is never split over two lines
printf '.nh\n.de hy\n..\n' | cat - "$page" |
	LC_ALL=C groff -man -t -Tascii -P-cbou -rLL=200n -rHY=0 >"$man" 2>/dev/null

long() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }
# the body of one section, from its heading to the next one
section() { awk -v s="$1" '/^[A-Z]/ { on = ($0 == s); next } on' "$man"; }
# tagged paragraphs start at the section's indent, 7 columns
tags() { grep -E '^ {7}[^ ]' | sed 's/^ *//'; }

for opt in $(long <"$help"); do
	grep -qE -- "$opt([^a-z0-9-]|\$)" "$man" || { echo "$name: $opt is in --help, not in $page"; fail=1; }
done
for opt in $(section OPTIONS | tags | long); do
	grep -qE -- "$opt([^a-z0-9-]|\$)" "$help" || { echo "$name: $opt is in $page, not in --help"; fail=1; }
done
for cmd in $(awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }' "$help"); do
	section COMMANDS | tags | grep -q "^$cmd\\b" ||
		{ echo "$name: command $cmd is in --help, not in $page's COMMANDS"; fail=1; }
done
v=$("$prog" --version) || { echo "$name --version: exit status $?"; fail=1; }
if [ "$v" != "$name $version" ]; then
	echo "$name --version: '$v', not '$name $version'"
	fail=1
fi
[ $fail -eq 0 ] && echo "$name: --help, --version and $page agree"
exit $fail
