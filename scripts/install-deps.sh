#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Install every Debian 12 package strata needs to build, run and test.
# Idempotent: packages already present are left alone, and apt-get update runs
# only when something is missing.
set -eu

PKGS="
build-essential pkg-config meson ninja-build
clang llvm lld libclang-rt-14-dev
libbpf-dev libxdp-dev bpftool linux-libc-dev
dpdk dpdk-dev libdpdk-dev
libhwloc-dev
libcunit1-dev
libbenchmark-dev
iproute2 ethtool python3
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install:$missing" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
