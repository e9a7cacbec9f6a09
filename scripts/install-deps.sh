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

# Files of a Debian package unpacked under ROOT, outside dpkg's database and
# any service manager, for a test tool whose package must not be installed.
unpack_deb() { # PACKAGE ROOT [PATH...]: the whole package, or only PATHs
	pkg=$1
	root=$2
	shift 2
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: need root to unpack $pkg into $root" >&2
		exit 1
	fi
	deb_dir=$(mktemp -d)
	chown _apt "$deb_dir" 2>/dev/null || true # apt downloads as _apt
	if ! (cd "$deb_dir" && apt-get download -qq "$pkg"); then
		apt-get update -qq
		(cd "$deb_dir" && apt-get download -qq "$pkg")
	fi
	mkdir -p "$root"
	dpkg-deb --fsys-tarfile "$deb_dir/${pkg}_"*.deb | tar -x -C "$root" "$@"
	rm -rf "$deb_dir"
	echo "install-deps: unpacked $pkg${*:+ ($*)} into $root"
}

# NTPsec's ntpd, a client of the KoD test (tests/integration/ntpsec_kod.sh).
# Its package conflicts with chrony's (both provide time-daemon) and would
# start a system ntpd, so it is not installed (its ntpq runs on the
# python3-ntp that ntpsec-ntpdig brings).
NTPSEC_ROOT=/usr/local/lib/strata-test/ntpsec
[ -x "$NTPSEC_ROOT/usr/sbin/ntpd" ] || unpack_deb ntpsec "$NTPSEC_ROOT"

# promtool, which checks and unit-tests monitoring/strata.rules.yml (the meson
# test promtool). It ships in Debian's prometheus package, whose install would
# add and start a Prometheus server: only promtool is taken out of the .deb.
PROMTOOL_ROOT=/usr/local/lib/strata-test/prometheus
[ -x "$PROMTOOL_ROOT/usr/bin/promtool" ] || unpack_deb prometheus "$PROMTOOL_ROOT" ./usr/bin/promtool

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
