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
libbenchmark-dev gnuplot-nox
iproute2 ethtool python3 acl
chrony sntp ntpsec-ntpdig ntpsec-ntpdate tzdata iputils-ping
libldns-dev libssl-dev knot knot-dnsutils bind9-dnsutils
nettle-dev libgnutls28-dev gnutls-bin
debootstrap qemu-system-x86 e2fsprogs
debhelper lintian devscripts fakeroot pandoc systemd
"

# stratad drops to this user after setup (docs/security.md, "user" in docs/config.md)
if ! getent passwd _strata >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: need root to create the system user _strata" >&2
		exit 1
	fi
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin _strata
	echo "install-deps: created the system user _strata"
fi
# the control socket's group, read-only operators ("controlgroup" in docs/config.md)
getent group strata-ops >/dev/null || groupadd --system strata-ops

# NTPsec's ntpd, a client of the KoD test (tests/integration/ntpsec_kod.sh).
# Its package conflicts with chrony's (both provide time-daemon) and would
# start a system ntpd, so it is not installed: its files are unpacked here,
# outside dpkg's database and any service manager (its ntpq runs on the
# python3-ntp that ntpsec-ntpdig brings).
NTPSEC_ROOT=/usr/local/lib/strata-test/ntpsec
if [ ! -x "$NTPSEC_ROOT/usr/sbin/ntpd" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: need root to unpack ntpsec into $NTPSEC_ROOT" >&2
		exit 1
	fi
	deb_dir=$(mktemp -d)
	chown _apt "$deb_dir" 2>/dev/null || true # apt downloads as _apt
	if ! (cd "$deb_dir" && apt-get download -qq ntpsec); then
		apt-get update -qq
		(cd "$deb_dir" && apt-get download -qq ntpsec)
	fi
	mkdir -p "$NTPSEC_ROOT"
	dpkg-deb -x "$deb_dir"/ntpsec_*.deb "$NTPSEC_ROOT"
	rm -rf "$deb_dir"
	echo "install-deps: unpacked ntpsec's ntpd into $NTPSEC_ROOT"
fi

# promtool, which checks and unit-tests monitoring/strata.rules.yml (the meson
# test promtool). It ships in Debian's prometheus package, whose install would
# add and start a Prometheus server: only promtool is taken out of the .deb,
# outside dpkg's database, as ntpsec's ntpd above.
PROMTOOL_ROOT=/usr/local/lib/strata-test/prometheus
if [ ! -x "$PROMTOOL_ROOT/usr/bin/promtool" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: need root to unpack promtool into $PROMTOOL_ROOT" >&2
		exit 1
	fi
	deb_dir=$(mktemp -d)
	chown _apt "$deb_dir" 2>/dev/null || true # apt downloads as _apt
	if ! (cd "$deb_dir" && apt-get download -qq prometheus); then
		apt-get update -qq
		(cd "$deb_dir" && apt-get download -qq prometheus)
	fi
	mkdir -p "$PROMTOOL_ROOT"
	dpkg-deb --fsys-tarfile "$deb_dir"/prometheus_*.deb |
		tar -x -C "$PROMTOOL_ROOT" ./usr/bin/promtool
	rm -rf "$deb_dir"
	echo "install-deps: unpacked promtool into $PROMTOOL_ROOT"
fi

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
# chrony is installed as a test client: its package must not start a system
# chronyd that would steer this host's clock. policy-rc.d refuses service
# starts for the duration of the install (Debian's invoke-rc.d convention).
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing || rc=$?
if [ "$own_policy" = 1 ]; then
	rm -f "$policy"
fi
exit "${rc:-0}"
