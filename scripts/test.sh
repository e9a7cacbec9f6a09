#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Install, build and run every test. Under CI=true every optional feature is
# required (-Dauto_features=enabled), and tests whose prerequisites are
# missing fail instead of skipping.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh
opts=""
werror=""
if [ "${CI:-}" = "true" ]; then
	# -Werror in CI only: the project's default is werror=false, so that a
	# release build on a newer compiler does not fail on its new warnings
	werror="-Dwerror=true"
	opts="-Dauto_features=enabled $werror"
fi
if [ -d build ]; then
	# shellcheck disable=SC2086
	meson setup --reconfigure build $opts
else
	# shellcheck disable=SC2086
	meson setup build $opts
fi
ninja -C build

rc=0
# stratad without XDP (a DPDK-only host): the option must keep building
noxdp="-Dxdp=disabled -Ddpdk=disabled -Dfuzz=disabled -Dbenchmarks=disabled -Dtests=disabled $werror"
# shellcheck disable=SC2086
if { if [ -d build-noxdp ]; then meson setup --reconfigure build-noxdp $noxdp; else
	meson setup build-noxdp $noxdp; fi >/dev/null; } &&
	ninja -C build-noxdp stratad/stratad >/dev/null; then
	echo "stratad without XDP (meson -Dxdp=disabled): builds"
else
	echo "FAIL: stratad without XDP (meson -Dxdp=disabled) does not build"
	rc=1
fi
# The Debian packages, from a clean copy of the tree (scripts/build-deb.sh);
# tests/pkg/deb_layout.sh (suite pkg) checks what they hold
if sh scripts/build-deb.sh build/debs; then
	pkg_ok=1
	echo "Debian packages (scripts/build-deb.sh): built into build/debs"
else
	pkg_ok=0
	echo "FAIL: Debian packages (scripts/build-deb.sh) do not build"
	rc=1
fi
meson test -C build --print-errorlogs --num-processes 2 || rc=$?

# One closing line that any reader of logs understands.
python3 - build/meson-logs/testlog.json "$pkg_ok" <<'PY'
import json, sys
# the package build counts as one more result
counts = {"OK" if sys.argv[2] == "1" else "FAIL": 1}
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)["result"]
        counts[r] = counts.get(r, 0) + 1
ok = counts.get("OK", 0) + counts.get("EXPECTEDFAIL", 0)
skip = counts.get("SKIP", 0)
bad = sum(counts.values()) - ok - skip
print(f"{ok} passed, {bad} failed, {skip} skipped")
PY
[ $rc -eq 0 ] || echo "FAIL: see above"
exit $rc
