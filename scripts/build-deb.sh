#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Build strata's Debian packages (debian/) and leave the .deb files in OUTDIR.
#
#   sh scripts/build-deb.sh OUTDIR
#
# From a clean copy of the working tree: the files git tracks, as they are
# now (uncommitted changes included, untracked files and build directories
# left out), so that nothing of a developer's build leaks into a package.
# dpkg-buildpackage -us -uc -b builds them there (the unit tests only, see
# debian/rules), lintian checks them (an error fails, warnings are shown),
# and the copy is removed. Bounded: STRATA_DEB_TIMEOUT seconds (1800) for the
# build.
set -eu
[ $# -eq 1 ] || {
	echo "usage: sh scripts/build-deb.sh OUTDIR" >&2
	exit 2
}
out=$1
cd "$(dirname "$0")/.."
mkdir -p "$out"
out=$(cd "$out" && pwd)

tmp=$(mktemp -d /tmp/strata-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
src="$tmp/strata"
mkdir "$src"

# tracked files that still exist (one deleted in the work tree stays out)
git -c core.quotepath=off ls-files | while IFS= read -r f; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		printf '%s\n' "$f"
	fi
done | tar -cf - --no-recursion --verbatim-files-from -T - | tar -xf - -C "$src"

start=$(date +%s)
# parallel=2: the machines have two CPUs; noddebs: no debug symbol packages
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=2 noddebs" \
	timeout "${STRATA_DEB_TIMEOUT:-1800}" dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	tail -n 60 "$tmp/build.log"
	echo "build-deb: dpkg-buildpackage failed (the last lines above)" >&2
	exit 1
fi
echo "build-deb: built in $(($(date +%s) - start)) s; the unit tests of the build:"
grep -E '^(Ok|Fail|Skipped|Timeout): ' "$tmp/build.log" || true

changes=$(ls "$tmp"/strata_*.changes)
# errors fail; warnings are printed for the reader
# (lintian's advice against running as root is not about the packages)
if ! lintian --fail-on error --tag-display-limit 0 "$changes" >"$tmp/lintian.log" 2>&1; then
	cat "$tmp/lintian.log"
	echo "build-deb: lintian found errors (E: above)" >&2
	exit 1
fi
grep -v -e '^N: ' -e '^running with root privileges' "$tmp/lintian.log" || true

rm -f "$out"/strata*.deb
cp "$tmp"/*.deb "$out"/
for d in "$out"/*.deb; do
	echo "build-deb: $d"
done
