# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by registrar.sh and registrar_chrony.sh, after lib.sh: a pool on
# one LAN (setup_lan's bridge).
#
#   registrar  $NS_S  192.0.2.1, 2001:db8::1: strata-pool with "listen dns" on
#                     port 53 and "registration" on 4460, zone strata.test
#   client     $NS_C  192.0.2.2: /etc/netns/$NS_C/resolv.conf points at the
#                     registrar, so getaddrinfo() (chronyd, getent) asks it
#   member N   strata-mN-$$  192.0.2.1N, 2001:db8::1N: stratad, XDP on eth0,
#                     "local stratum 2" and "register pool.strata.test via
#                     192.0.2.1 key ..."; member_host adds more addresses
#
# Environment (set by meson): STRATAD, STRATACTL, STRATA_POOL, XDP_PASS_OBJ.

POOL=pool.strata.test
REG=192.0.2.1
KEY="$TMP/pool.key"
POOL_SOCK="$TMP/pool.sock"
POOL_METRICS=127.0.0.1:11124

require_root
require_cmd ip python3 dig curl
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
[ -x "${STRATA_POOL:-}" ] || skip "STRATA_POOL not set to the strata-pool binary"

# the shared registration key: 32 random octets in hex, readable by root only
new_key() { # FILE
	(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$1")
}

# setup_lan, the key, and the client's resolver pointing at the registrar
setup_pool_lan() {
	setup_lan
	new_key "$KEY"
	mkdir -p "/etc/netns/$NS_C"
	echo "nameserver $REG" >"/etc/netns/$NS_C/resolv.conf"
}

# start_registrar INTERVAL [extra config lines...]: strata-pool in $NS_S
start_registrar() {
	interval=$1
	shift
	{
		cat <<EOF
zone strata.test
pool $POOL answers 16 ttl 1
registration $REG:4460 key $KEY
listen dns $REG:53
listen dns [2001:db8::1]:53
probe interval $interval
metrics $POOL_METRICS
control $POOL_SOCK
EOF
		for l in "$@"; do echo "$l"; done
	} >"$TMP/pool.conf"
	spawn ip netns exec "$NS_S" "$STRATA_POOL" -c "$TMP/pool.conf"
	REG_PID=$LAST_PID
	wait_for 10 in_c dig +time=1 +tries=1 +short "@$REG" SOA strata.test ||
		fail "strata-pool does not answer DNS on $REG:53"
}

# the registrar's metrics; pool_metric NAME LABELS: one sample's value, 0 if absent
pool_metrics() { in_s curl -sf "http://$POOL_METRICS/metrics"; }
pool_metric() {
	pool_metrics | awk -v n="$1" -v l="$2" '
		index($0, n "{") == 1 || $1 == n {
			ok = 1
			k = split(l, want, ",")
			for (i = 1; i <= k; i++) if (want[i] != "" && index($1, want[i]) == 0) ok = 0
			if (ok) { s += $2; found = 1 }
		}
		END { print found ? s : 0 }'
}

# member_host N [ADDR ...]: a member namespace on the LAN at 192.0.2.1N and
# 2001:db8::1N, plus the extra addresses given (a multi-homed member)
member_host() {
	n=$1
	shift
	ns="strata-m$n-$$"
	lan_host "$ns" eth0 "192.0.2.1$n" "2001:db8::1$n"
	addrs="address 192.0.2.1$n address 2001:db8::1$n"
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" addr add "$a/64" dev eth0 nodad ;;
		*) ip -n "$ns" addr add "$a/24" dev eth0 ;;
		esac
		addrs="$addrs address $a"
	done
	cat >"$TMP/m$n.conf" <<EOF
listen xdp eth0 $addrs
local stratum 2
control $TMP/m$n.sock
metrics 127.0.0.1:11123
register $POOL via $REG key $KEY
EOF
}

# start_member N: its stratad; MPID_N holds the PID
start_member() {
	rm -f "$TMP/m$1.sock"
	spawn ip netns exec "strata-m$1-$$" "$STRATAD" --shm "$SHM-m$1" -c "$TMP/m$1.conf"
	eval "MPID_$1=\$LAST_PID"
}

# wait_member N...: until each one's stratad is ready (the BPF verifier takes
# seconds on a busy machine), then it registers at once
wait_member() {
	for n in "$@"; do
		wait_for 90 test -S "$TMP/m$n.sock" || fail "stratad of member $n is not ready"
	done
}

member_metrics() { # N
	ip netns exec "strata-m$1-$$" curl -sf http://127.0.0.1:11123/metrics
}

member_ctl() { # N ARGS...
	n=$1
	shift
	ip netns exec "strata-m$n-$$" "$STRATACTL" -s "$TMP/m$n.sock" "$@"
}

# the pool's answer as the client gets it: sorted addresses on one line
# (fails when dig gets no answer at all: an empty set is NOERROR/NODATA)
answer() { # [A|AAAA]
	out=$(in_c dig +time=1 +tries=1 +short "@$REG" "${1:-A}" "$POOL") || return 1
	echo "$out" | sort | tr '\n' ' ' | sed 's/^ *//; s/ $//'
}
answer_is() { # TYPE "SORTED ADDRS"
	[ "$(answer "$1")" = "$2" ]
}
answer_has() { # ADDR
	answer A | tr ' ' '\n' | grep -qx "$1"
}
answer_lacks() { # ADDR
	a=$(answer A) || return 1
	! echo "$a" | tr ' ' '\n' | grep -qx "$1"
}

pool_test_cleanup() {
	for n in 1 2 3 4 5 6; do rm -f "/dev/shm$SHM-m$n"; done
}
