#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata's main job on an embedded default: install what is missing, build,
# and push real NTP requests (IPv4, IPv6, 802.1Q) through the reply builder
# that the XDP and DPDK fast paths run, printing the decoded replies.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh
if [ -d build ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build control/strata-demo >/dev/null
./build/control/strata-demo
./build/control/strata-demo --ipv6
./build/control/strata-demo --vlan 100 --version 3
