#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The .deb files of scripts/build-deb.sh hold what OPS.md's layout names:
# daemons in /usr/sbin, tools in /usr/bin, units in the systemd unit
# directory, the sysusers.d and tmpfiles.d entries (made in that order by the
# postinst), the default files as conffiles with the contents of etc/, the
# man pages, and nothing else (no demo, no benchmark, no unit enabled or
# started); and `meson install` with --prefix=/usr installs exactly the files
# the packages hold.
#
#   deb_layout.sh SOURCE_ROOT     (debs from $STRATA_DEBS, default SOURCE_ROOT/build/debs)
#
# scripts/test.sh builds the debs first. Without them, or without dpkg-deb
# or meson, the test skips (77), and fails under CI=true.
set -eu
src=$(cd "$1" && pwd)
debs=${STRATA_DEBS:-$src/build/debs}

skip() {
	if [ "${CI:-}" = "true" ]; then
		echo "FAIL (CI=true, prerequisite missing): $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}
for c in dpkg-deb meson python3; do
	command -v "$c" >/dev/null 2>&1 || skip "missing command: $c"
done
[ -n "$(find "$debs" -maxdepth 1 -name 'strata_*.deb' 2>/dev/null)" ] ||
	skip "no packages in $debs (sh scripts/build-deb.sh $debs)"

tmp=$(mktemp -d /tmp/strata-layout.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
rc=0
fail() {
	echo "FAIL: $*" >&2
	rc=1
}
ok() {
	echo "ok - $*"
}

# Each package unpacked (files and control area) and its file list: regular
# files and symlinks, without the leading '.'.
for pkg in strata strata-dpdk strata-pool strata-tools; do
	deb=""
	for d in "$debs/${pkg}"_*.deb; do
		[ -e "$d" ] && deb=$d
	done
	if [ -z "$deb" ]; then
		fail "no package $pkg in $debs"
		continue
	fi
	mkdir -p "$tmp/$pkg"
	dpkg-deb -x "$deb" "$tmp/$pkg/root"
	dpkg-deb -e "$deb" "$tmp/$pkg/DEBIAN"
	(cd "$tmp/$pkg/root" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort) >"$tmp/$pkg/files"
done
[ $rc -eq 0 ] || exit 1

has() { # PKG PATH: the package holds PATH
	grep -qx "$2" "$tmp/$1/files"
}
want() { # PKG PATH...
	p=$1
	shift
	for f in "$@"; do
		if has "$p" "$f"; then ok "$p: $f"; else fail "$p lacks $f"; fi
	done
}

# The programs, where Debian puts daemons and user commands; executable.
want strata /usr/sbin/stratad /usr/sbin/strata-nts /usr/bin/stratactl
want strata-dpdk /usr/sbin/strata-dpdk
want strata-pool /usr/sbin/strata-pool
want strata-tools /usr/bin/strata-gen
for p in strata strata-dpdk strata-pool strata-tools; do
	grep -E '^/usr/s?bin/' "$tmp/$p/files" | while IFS= read -r f; do
		[ -x "$tmp/$p/root$f" ] || echo "$f"
	done >"$tmp/noexec"
	[ ! -s "$tmp/noexec" ] || fail "$p: not executable: $(cat "$tmp/noexec")"
done
if cat "$tmp"/*/files | grep -E 'strata-demo|strata-bench|test_'; then
	fail "a demonstration, benchmark or test program is packaged (above)"
fi

# The default files: a conffile each, as etc/ has them.
conf() { # PKG INSTALLED-PATH SOURCE
	want "$1" "$2"
	if grep -qx "$2" "$tmp/$1/DEBIAN/conffiles" 2>/dev/null; then
		ok "$1: $2 is a conffile"
	else
		fail "$1: $2 is not in DEBIAN/conffiles"
	fi
	if has "$1" "$2" && ! cmp -s "$tmp/$1/root$2" "$src/$3"; then
		fail "$1: $2 differs from $3"
	fi
}
conf strata /etc/strata/stratad.conf etc/stratad.conf
conf strata-pool /etc/strata/pool.conf etc/strata-pool.conf
conf strata-dpdk /etc/default/strata-dpdk etc/default/strata-dpdk

# Units: every unit of systemd/ in its package, in Debian 12's unit directory.
unitdir=/lib/systemd/system
want strata "$unitdir/strata.service" "$unitdir/strata-nts.service"
want strata-dpdk "$unitdir/strata-dpdk.service"
want strata-pool "$unitdir/strata-pool.service"
for u in "$src"/systemd/*.service.in; do
	name=$(basename "$u" .in)
	cat "$tmp"/*/files | grep -qx "$unitdir/$name" || fail "no package has $unitdir/$name"
done

# The service user (sysusers.d) and its directories (tmpfiles.d), in both
# packages that run as _strata, made by their postinst before a unit starts:
# the user first (systemd-sysusers, by hand), then the directories (debhelper).
for pc in strata:strata.conf strata-pool:strata-pool.conf; do
	p=${pc%%:*} c=${pc#*:}
	for kind in sysusers tmpfiles; do
		f=/usr/lib/$kind.d/$c
		want "$p" "$f"
		if has "$p" "$f" && ! cmp -s "$tmp/$p/root$f" "$src/systemd/strata.$kind"; then
			fail "$p: $f differs from systemd/strata.$kind"
		fi
	done
	u=$(grep -n "systemd-sysusers.* $c" "$tmp/$p/DEBIAN/postinst" | head -n 1 | cut -d: -f1)
	d=$(grep -n "systemd-tmpfiles.* $c" "$tmp/$p/DEBIAN/postinst" | head -n 1 | cut -d: -f1)
	if [ -z "$u" ] || [ -z "$d" ] || [ "$u" -gt "$d" ]; then
		fail "$p: postinst does not run systemd-sysusers $c, then systemd-tmpfiles $c"
	else
		ok "$p: postinst makes the user, then its directories"
	fi
done

# dh_installsystemd --no-enable --no-start: nothing is started (no
# deb-systemd-invoke), and a unit is enabled again on upgrade only where the
# administrator had enabled it (the enable under its debian-installed check).
for p in strata strata-dpdk strata-pool; do
	f=$tmp/$p/DEBIAN/postinst
	[ -e "$f" ] || continue
	if grep 'deb-systemd-invoke' "$f"; then
		fail "$p: postinst starts a unit (above)"
	fi
	if [ "$(grep -c 'deb-systemd-helper enable' "$f")" -gt \
		"$(grep -c 'deb-systemd-helper debian-installed' "$f")" ]; then
		fail "$p: postinst enables a unit on installation"
	fi
done

# Man pages (docs/man): every program and both configuration files.
want strata /usr/share/man/man8/stratad.8.gz /usr/share/man/man1/stratactl.1.gz \
	/usr/share/man/man5/stratad.conf.5.gz /usr/share/man/man8/strata-nts.8.gz
want strata-dpdk /usr/share/man/man8/strata-dpdk.8.gz
want strata-pool /usr/share/man/man8/strata-pool.8.gz /usr/share/man/man5/strata-pool.conf.5.gz
want strata-tools /usr/share/man/man1/strata-gen.1.gz

# Nothing outside the layout.
for p in strata strata-dpdk strata-pool strata-tools; do
	grep -vE "^(/usr/s?bin/[^/]+|/etc/strata/[^/]+|/etc/default/[^/]+|$unitdir/[^/]+|/usr/lib/(sysusers|tmpfiles)\.d/[^/]+\.conf|/usr/share/man/man[158]/[^/]+\.gz|/usr/share/doc/$p/(changelog\.Debian\.gz|copyright))$" \
		"$tmp/$p/files" >"$tmp/stray" || true
	if [ -s "$tmp/stray" ]; then
		fail "$p holds files outside the layout: $(tr '\n' ' ' <"$tmp/stray")"
	fi
done

# `meson install` with --prefix=/usr: the same files, configured with
# debian/rules' options (meson's own list of what it installs; nothing is
# compiled). The packages add only their /usr/share/doc, and dh_compress's .gz.
opts=$(sed -n 's/^MESON_OPTS = //p' "$src/debian/rules")
[ -n "$opts" ] || fail "no MESON_OPTS line in debian/rules"
# shellcheck disable=SC2086
if ! meson setup --prefix=/usr $opts "$tmp/build" "$src" >"$tmp/setup.log" 2>&1; then
	tail -n 20 "$tmp/setup.log" >&2
	skip "meson setup --prefix=/usr with debian/rules' options failed (above)"
fi
meson introspect --installed "$tmp/build" | python3 -c '
import json, re, sys
for dest in sorted(json.load(sys.stdin).values()):
    print(re.sub(r"^(/usr/share/man/man\d/.*)$", r"\1.gz", dest))
' | LC_ALL=C sort >"$tmp/meson-files"
cat "$tmp"/strata*/files | grep -v '^/usr/share/doc/' | LC_ALL=C sort >"$tmp/deb-files"
if diff -u "$tmp/meson-files" "$tmp/deb-files" >"$tmp/diff"; then
	ok "meson install --prefix=/usr installs the files of the packages ($(wc -l <"$tmp/deb-files") files)"
else
	cat "$tmp/diff"
	fail "meson install --prefix=/usr and the packages differ (- meson, + packages)"
fi
exit $rc
