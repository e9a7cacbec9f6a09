#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata-pool probing its members over NTS (docs/pool.md "NTS"): a pool with
# 'nts' and 'ntstrustedcerts', three chronyd 4.3 members on one bridge:
#
#   m1 192.0.2.11  NTS server, certificate from the trusted CA: served
#   m2 192.0.2.12  NTS server, certificate from another CA: NTS-KE fails
#   m3 192.0.2.13  plain NTP, no NTS-KE at all (port 4460 refuses): never served
#
# Only m1 is in the answers; m2's probes count as NTS failures and score it
# down, m3's as probes without reply (NTS-KE cannot reach it), and m1's probes
# keep their cookies from one to the next
# (one NTS-KE, then authenticated NTP only, visible in chronyd's counters).
#
# Environment (set by meson): STRATA_POOL.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip dig chronyd chronyc openssl python3
[ -x "${STRATA_POOL:-}" ] || skip "STRATA_POOL is not set to the strata-pool binary"
getent passwd _strata >/dev/null || skip "no _strata user (scripts/install-deps.sh creates it)"
INTERVAL=1

NS_R="strata-nr-$$"
NS_1="strata-n1-$$"
NS_2="strata-n2-$$"
NS_3="strata-n3-$$"

# a host on the hub's bridge (pool_dns.sh's): nothing here sends XDP_TX
host() { # NS IF ADDR4
	ip netns add "$1" || skip "cannot create network namespaces"
	EXTRA_NS="$EXTRA_NS $1"
	ip -n "$NS_H" link add "h$2" type veth peer name "$2" netns "$1"
	ip -n "$NS_H" link set "h$2" master br0 up
	ip -n "$1" link set lo up
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set "$2" up
}

ip netns add "$NS_H" || skip "cannot create network namespaces"
EXTRA_NS="$NS_H"
ip -n "$NS_H" link add br0 type bridge || skip "no bridge support in this kernel"
ip -n "$NS_H" link set br0 up
host "$NS_R" r0 192.0.2.1
host "$NS_1" m1 192.0.2.11
host "$NS_2" m2 192.0.2.12
host "$NS_3" m3 192.0.2.13
host "$NS_C" c0 192.0.2.2

nts_make_ca "$TMP/ca1" 192.0.2.11
nts_make_ca "$TMP/ca2" 192.0.2.12 # not trusted by the registrar
member() { # N NS [CADIR]: chronyd serving the local clock, NTS with CADIR's certificate
	mkdir -m 700 "$TMP/m$1"
	{
		echo "local stratum 2"
		echo "allow all"
		echo "cmdport 0"
		echo "bindcmdaddress $TMP/m$1/chronyd.sock"
		echo "pidfile $TMP/m$1/chronyd.pid"
		if [ -n "${3:-}" ]; then
			echo "ntsservercert $3/server.pem"
			echo "ntsserverkey $3/server.key"
		fi
	} >"$TMP/m$1/chronyd.conf"
	spawn ip netns exec "$2" chronyd -x -d -u root -f "$TMP/m$1/chronyd.conf"
}
member 1 "$NS_1" "$TMP/ca1"
member 2 "$NS_2" "$TMP/ca2"
member 3 "$NS_3"

cat >"$TMP/pool.conf" <<CONF
zone pool.test
pool ntp.pool.test answers 4 ttl 5 nts
member ntp.pool.test 192.0.2.11
member ntp.pool.test 192.0.2.12
member ntp.pool.test 192.0.2.13
ntstrustedcerts $TMP/ca1/ca.pem
listen dns 192.0.2.1:53
probe interval $INTERVAL
control $TMP/pool.sock
CONF
"$STRATA_POOL" -n -c "$TMP/pool.conf" >/dev/null || fail "strata-pool -n refuses the config"
spawn ip netns exec "$NS_R" "$STRATA_POOL" -c "$TMP/pool.conf"

a_set() { in_c dig +time=1 +tries=1 @192.0.2.1 ntp.pool.test A +short 2>/dev/null | sort | tr '\n' ' '; }
has_set() { [ "$(a_set)" = "$1" ]; }
status() { ip netns exec "$NS_R" "$STRATA_POOL" -c "$TMP/pool.conf" status; }
row() { status | awk -v a="$1" '$1 == a'; } # ADDR: its status line

wait_for 15 has_set "192.0.2.11 " || fail "the pool answers '$(a_set)', not m1 alone: $(status)"
ok "served over NTS: $(a_set)"

# m2 is an NTS failure, scored down; m3's refused NTS-KE is no reply, which
# costs nothing before a first answer; neither is served. A few probes first.
sleep $((4 * INTERVAL))
r=$(row 192.0.2.12)
echo "$r" | awk '$3 == "out" && $4 < 10 && $7 == "nts" {ok = 1} END {exit !ok}' ||
	fail "192.0.2.12 is not an NTS failure scored down: '$r'"
ok "192.0.2.12: $r"
r=$(row 192.0.2.13)
echo "$r" | awk '$3 == "out" && $7 == "no_reply" {ok = 1} END {exit !ok}' ||
	fail "192.0.2.13 (NTS-KE refused) is not scored as no reply: '$r'"
ok "192.0.2.13: $r"
r=$(row 192.0.2.11)
echo "$r" | awk '$3 == "served" && $7 == "good" {ok = 1} END {exit !ok}' || fail "m1: '$r'"
ok "192.0.2.11: $r"
has_set "192.0.2.11 " || fail "the pool answers '$(a_set)'"

# cookies kept between probes: chronyd's NTS-KE sessions stay at the first
# one (or a very few) while its authenticated requests grow with every probe
ke() { in_s_1 chronyc -h "$TMP/m1/chronyd.sock" -n serverstats; }
in_s_1() { ip netns exec "$NS_1" "$@"; }
stat1() { ke | awk -F: -v k="$1" '$1 ~ k {gsub(/ /, "", $2); print $2}'; }
if ke >"$TMP/stats1" 2>/dev/null && grep -q "NTS-KE connections accepted" "$TMP/stats1"; then
	sleep $((3 * INTERVAL))
	kes=$(stat1 "NTS-KE connections accepted")
	auth=$(stat1 "Authenticated NTP packets")
	[ "${kes:-0}" -ge 1 ] && [ "${kes:-0}" -le 2 ] ||
		fail "chronyd m1 counts $kes NTS-KE sessions, want 1 (cookies kept): $(ke)"
	[ "${auth:-0}" -ge 6 ] || fail "chronyd m1 counts $auth authenticated requests: $(ke)"
	ok "m1: $kes NTS-KE session(s), $auth authenticated NTP requests"
else
	ok "chronyd's serverstats has no NTS counters here: cookie reuse not checked"
fi
echo "1 passed, 0 failed"
