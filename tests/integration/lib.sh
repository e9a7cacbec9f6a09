# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by the integration tests: prerequisites, a two-host topology in
# network namespaces, and cleanup. Sourced, not run.
#
#   server namespace $NS_S: veth s0, 192.0.2.1/24 and 2001:db8::1/64
#   client namespace $NS_C: veth c0, 192.0.2.2/24 and 2001:db8::2/64
#
# Documentation addresses only, inside namespaces this test creates; every
# process it starts is recorded and killed by PID on exit.

NS_S="strata-s-$$"
NS_C="strata-c-$$"
TMP=$(mktemp -d /tmp/strata-it.XXXXXX)
# stratad drops to the _strata user after setup (docs/security.md): it creates
# and removes control sockets and driftfiles here. An ACL, not chown: chronyd
# wants its socket directory owned by root and closed to others.
setfacl -m u:_strata:rwx "$TMP" 2>/dev/null || true
PIDS=""
EXTRA_NS=""
SHM="/strata-test-$$" # stratad --shm: each test its own shared memory
# The host's wall clock against CLOCK_MONOTONIC at the start: the tests judge
# strata's time against the wall clock they share with it (ntp_probe.py
# bound), and when a failure comes, whether that clock itself was moved from
# outside (a VM's host correcting its guest: seen here once, 2.5 ms in 0.5 s)
# is part of the diagnosis. No process of a test sets the clock.
STRATA_CLOCK_REF=$(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_REALTIME) - time.clock_gettime_ns(time.CLOCK_MONOTONIC))')
export STRATA_CLOCK_REF

# meson's skip code outside CI; a failure under CI=true (STYLE.md)
skip() {
	if [ "${CI:-}" = "true" ]; then
		echo "FAIL (CI=true, prerequisite missing): $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	echo "ok - $*"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces and XDP"
}

require_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "missing command: $c"
	done
}

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		# bounded wait, then force
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null || true
	done
	for ns in $EXTRA_NS; do
		ip netns del "$ns" 2>/dev/null || true
		rm -rf "/etc/netns/$ns"
	done
	ip netns del "$NS_C" 2>/dev/null || true
	ip netns del "$NS_S" 2>/dev/null || true
	rm -rf "/etc/netns/$NS_S" "/etc/netns/$NS_C"
	# a test's own extra cleanup, after its processes are gone
	if command -v test_cleanup >/dev/null 2>&1; then
		test_cleanup
	fi
	# DPDK's runtime directories, for the --file-prefix names the tests use
	rm -rf "/var/run/dpdk/strata$$" "/var/run/dpdk/gen$$" "/var/run/dpdk/bench$$"
	rm -rf "$TMP" "/dev/shm$SHM"
}
trap cleanup EXIT INT TERM

in_s() { ip netns exec "$NS_S" "$@"; }
in_c() { ip netns exec "$NS_C" "$@"; }

# Start "$@" in the background and remember its PID for cleanup. Give it a
# program, not a shell function: a function would run in a subshell whose PID
# is not the program's. "ip netns exec" execs its command in place.
spawn() {
	"$@" &
	PIDS="$PIDS $!"
	LAST_PID=$!
}

setup_topology() {
	ip netns add "$NS_S" || skip "cannot create network namespaces"
	ip netns add "$NS_C"
	ip -n "$NS_S" link add s0 type veth peer name c0 netns "$NS_C"
	for ns in "$NS_S" "$NS_C"; do
		ip -n "$ns" link set lo up
		# no router solicitations or DAD chatter: counters must add up exactly
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_ra=0
	done
	ip -n "$NS_S" addr add 192.0.2.1/24 dev s0
	ip -n "$NS_S" addr add 2001:db8::1/64 dev s0 nodad
	ip -n "$NS_C" addr add 192.0.2.2/24 dev c0
	ip -n "$NS_C" addr add 2001:db8::2/64 dev c0 nodad
	ip -n "$NS_S" link set s0 up
	ip -n "$NS_C" link set c0 up
	# XDP_TX frames reach a veth peer only if the peer runs XDP itself
	ip -n "$NS_C" link set dev c0 xdp obj "$XDP_PASS_OBJ" sec xdp ||
		fail "cannot attach the XDP_PASS program to the client veth"
}

# Wait up to $1 seconds for "$2..." to succeed.
wait_for() {
	t=$1
	shift
	i=0
	while [ $i -lt $((t * 10)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# systemd's side of sd_notify(3), for a daemon started with "env $SD_ENV":
#   notify_start [CMD]        a socket standing in for /run/systemd/notify
#                             (notify_listen.py; CMD is run when the first
#                             READY=1 arrives, its status logged)
#   notes PID MARK            PID's datagrams after line MARK of $NLOG, one a
#                             line, fields joined by '|', WATCHDOG=1 left out
#   note_is PID MARK TEXT     exactly TEXT
#   reload_notified PID MARK STATUS   RELOADING=1, then READY=1 with STATUS...
# WATCHDOG_USEC=400000: a ping every 200 ms, many in any test.
NLOG="$TMP/notify.log"
notify_start() {
	: >"$NLOG"
	NOTIFY_AT_READY=${1:-true}
	spawn python3 "$(dirname "$0")/notify_listen.py" "$TMP/notify" "$NLOG" "$NOTIFY_AT_READY"
	wait_for 5 test -S "$TMP/notify" || fail "no notification socket"
	# shellcheck disable=SC2034 # for the tests that source this file
	SD_ENV="NOTIFY_SOCKET=$TMP/notify WATCHDOG_USEC=400000"
}
notes() {
	tail -n +"$(($2 + 1))" "$NLOG" | grep "^$1 " | cut -d' ' -f3- | grep -vx 'WATCHDOG=1' || true
}
note_is() { [ "$(notes "$1" "$2")" = "$3" ]; }
reload_notified() {
	notes "$1" "$2" >"$TMP/since"
	sed -n 1p "$TMP/since" | grep -q '^RELOADING=1|MONOTONIC_USEC=[0-9]*|STATUS=' &&
		sed -n 2p "$TMP/since" | grep -q "^READY=1|STATUS=$3"
}

# A LAN instead of a cable: a bridge in a hub namespace, and hosts on it.
#   setup_lan                 creates the hub and the server $NS_S (s0: 192.0.2.1,
#                             2001:db8::1) and client $NS_C (c0: 192.0.2.2, 2001:db8::2)
#   lan_host NS IF ADDR4 ADDR6  adds one more host
NS_H="strata-h-$$"

lan_port() { # NS IF ADDR4 ADDR6
	port="p$(printf '%s' "$1$2" | cksum | cut -d' ' -f1)"
	ip -n "$NS_H" link add "$port" type veth peer name "$2" netns "$1"
	ip -n "$NS_H" link set "$port" master br0 up
	# XDP_TX from a host reaches its hub port only if that port runs XDP
	ip -n "$NS_H" link set dev "$port" xdp obj "$XDP_PASS_OBJ" sec xdp ||
		fail "cannot attach the XDP_PASS program to $port"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_ra=0
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" addr add "$4/64" dev "$2" nodad
	ip -n "$1" link set "$2" up
}

lan_host() { # NS IF ADDR4 ADDR6
	ip netns add "$1" || fail "cannot create namespace $1"
	EXTRA_NS="$EXTRA_NS $1"
	lan_port "$@"
}

setup_lan() {
	ip netns add "$NS_H" || skip "cannot create network namespaces"
	EXTRA_NS="$EXTRA_NS $NS_H"
	ip -n "$NS_H" link add br0 type bridge || skip "no bridge support in this kernel"
	ip -n "$NS_H" link set br0 up
	ip netns add "$NS_S"
	ip netns add "$NS_C"
	lan_port "$NS_S" s0 192.0.2.1 2001:db8::1
	lan_port "$NS_C" c0 192.0.2.2 2001:db8::2
}

# NTS test certificates (RFC 8915 section 4: NTS-KE is TLS 1.3, the client
# checks the server's certificate against its trusted CAs). Made here with
# openssl, valid 30 days, P-256 keys (quick to make):
#   nts_make_ca DIR IPADDR [NAME]   DIR/ca.pem, DIR/ca.key and a server
#                                   certificate DIR/server.pem, DIR/server.key
#                                   for IPADDR and NAME (nts.strata.test)
#   nts_make_cert DIR IPADDR NAME PREFIX
#                                   one more leaf signed by DIR's CA:
#                                   DIR/PREFIX.pem and DIR/PREFIX.key (a renewal)
# The leaf names the address in its subjectAltName both as an IP address and as
# a DNS name (clients configured with "server 192.0.2.1 nts" check one or the
# other: chronyd the IP entry, some others the DNS one), and the name. Keys are
# mode 0600: strata-nts reads them as root before it drops privileges.
nts_make_ca() { # DIR IPADDR [NAME]
	mkdir -p "$1"
	(
		umask 077
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$1/ca.key" -out "$1/ca.pem" -days 30 -subj "/CN=strata test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	) || fail "openssl cannot make a CA in $1"
	chmod 644 "$1/ca.pem"
	nts_make_cert "$1" "$2" "${3:-nts.strata.test}" server
}

nts_make_cert() { # DIR IPADDR NAME PREFIX
	cat >"$1/$4.ext" <<EOT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:$2,DNS:$2,DNS:$3
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOT
	(
		umask 077
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$1/$4.key" -out "$1/$4.csr" -subj "/CN=$3" 2>/dev/null &&
			openssl x509 -req -in "$1/$4.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" \
				-CAcreateserial -days 30 -extfile "$1/$4.ext" \
				-out "$1/$4.pem" 2>/dev/null
	) || fail "openssl cannot make the certificate $1/$4.pem"
	chmod 644 "$1/$4.pem"
	rm -f "$1/$4.csr" "$1/$4.ext"
}
