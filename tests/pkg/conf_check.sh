#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The default files the packages install (etc/) pass their daemon's --check
# as shipped, and so does every commented-out example in them once
# uncommented: an operator who removes a '#' gets a valid line, and a
# directive renamed in the parser cannot leave the shipped file behind.
# Usage: conf_check.sh STRATAD STRATA_POOL SOURCE_ROOT (STRATA_POOL may be
# "-" where strata-pool is not built).
set -eu
stratad=$1 pool=$2 src=$3
tmp=$(mktemp -d /tmp/strata-conf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
rc=0

# The key files the examples name must exist and be private; a throwaway key
# stands in for each of them.
head -c 32 /dev/urandom | base64 >"$tmp/key"
chmod 600 "$tmp/key"
keys="s|/etc/strata/pool.key|$tmp/key|;s|/etc/strata/tsig.key|$tmp/key|;s|/etc/strata/ca.pem|$tmp/key|"

# Run as root, both daemons check that their user and their control group
# exist; in a package build's chroot _strata and strata-ops do not (the
# package creates them at install), and that is the host's state, not the
# file's: the copies name root's then, in place of those examples.
extra="" drop=""
if [ "$(id -u)" -eq 0 ]; then
	if ! getent passwd _strata >/dev/null; then
		extra="$extra;user root"
		drop="$drop;/^user /d" # a second user line is an error
	fi
	if ! getent group strata-ops >/dev/null; then
		extra="$extra;controlgroup root"
		drop="$drop;/^controlgroup /d"
	fi
fi

check() { # NAME DAEMON FILE
	if out=$("$2" --check -c "$3" 2>&1); then
		echo "ok - $1"
	else
		echo "FAIL: $1: $out" >&2
		rc=1
	fi
}

variants() { # SOURCE-FILE: the file as shipped, then with every example uncommented
	{ cat "$1"; echo "$extra" | tr ';' '\n'; } >"$tmp/shipped.conf"
	{ sed -e 's/^#\([a-z]\)/\1/' -e "$keys" -e "${drop#;}" "$1"; echo "$extra" | tr ';' '\n'; } >"$tmp/examples.conf"
	# the uncommented copy must differ, or the second check proves nothing
	! cmp -s "$tmp/shipped.conf" "$tmp/examples.conf" || {
		echo "FAIL: $1 has no commented-out example" >&2
		rc=1
	}
}

variants "$src/etc/stratad.conf"
check "etc/stratad.conf passes stratad --check" "$stratad" "$tmp/shipped.conf"
check "etc/stratad.conf's examples pass stratad --check" "$stratad" "$tmp/examples.conf"

if [ "$pool" != "-" ]; then
	variants "$src/etc/strata-pool.conf"
	check "etc/strata-pool.conf passes strata-pool --check" "$pool" "$tmp/shipped.conf"
	check "etc/strata-pool.conf's examples pass strata-pool --check" "$pool" \
		"$tmp/examples.conf"
fi
exit $rc
