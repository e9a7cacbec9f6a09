#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata-pool on its own (docs/pool.md): a registrar, three static members
# (ntp_probe.py servers), a Knot DNS primary and a client, each in its own
# namespace on one bridge. The client's dig sees the served members only; a
# member that stops answering and one that serves a wrong time leave the
# answers within a few probe intervals; the TSIG-signed RFC 2136 updates
# keep Knot's copy of the pool the same; an empty pool is NODATA. Once its
# sockets are bound (port 53 among them) strata-pool runs as the _strata user
# with no capability and no_new_privs, and still removes its socket at exit.
# systemd's notifications (lib.sh notify_start): READY=1 from its PID as
# _strata with port 53 already bound, WATCHDOG=1 pings, STOPPING=1 on SIGTERM.
#
#   hub:        bridge br0
#   registrar:  192.0.2.1        strata-pool: DNS :53, metrics :11124
#   m1:         192.0.2.11 2001:db8::11     m2: 192.0.2.12     m3: 192.0.2.13
#   knot:       192.0.2.53       knotd, zone pool.test, TSIG key strata-pool
#   client:     192.0.2.2
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip dig knotd python3 getent setpriv setfacl
[ -x "${STRATA_POOL:-}" ] || skip "STRATA_POOL is not set to the strata-pool binary"
getent passwd _strata >/dev/null || skip "no _strata user (scripts/install-deps.sh creates it)"
PROBE="$(dirname "$0")/ntp_probe.py"
INTERVAL=1

NS_R="strata-pr-$$"
NS_K="strata-pk-$$"
NS_1="strata-p1-$$"
NS_2="strata-p2-$$"
NS_3="strata-p3-$$"

# a host on the hub's bridge, without XDP: nothing here sends XDP_TX
host() { # NS IF ADDR4 [ADDR6]
	ip netns add "$1" || skip "cannot create network namespaces"
	EXTRA_NS="$EXTRA_NS $1"
	ip -n "$NS_H" link add "h$2" type veth peer name "$2" netns "$1"
	ip -n "$NS_H" link set "h$2" master br0 up
	ip -n "$1" link set lo up
	ip -n "$1" addr add "$3/24" dev "$2"
	if [ -n "${4:-}" ]; then
		ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_ra=0
		ip -n "$1" addr add "$4/64" dev "$2" nodad
	fi
	ip -n "$1" link set "$2" up
}

ip netns add "$NS_H" || skip "cannot create network namespaces"
EXTRA_NS="$NS_H"
ip -n "$NS_H" link add br0 type bridge || skip "no bridge support in this kernel"
ip -n "$NS_H" link set br0 up
host "$NS_R" r0 192.0.2.1 2001:db8::1
host "$NS_K" k0 192.0.2.53
host "$NS_1" m1 192.0.2.11 2001:db8::11
host "$NS_2" m2 192.0.2.12
host "$NS_3" m3 192.0.2.13
host "$NS_C" c0 192.0.2.2 2001:db8::2
NS_C_ADDED=1

# the members: right time, for at most 3 minutes each
member() { # NS ADDR OFFSET
	spawn ip netns exec "$1" python3 "$PROBE" liar "$2" "$3" 180
}
member "$NS_1" 192.0.2.11 0
M1=$LAST_PID
member "$NS_1" 2001:db8::11 0
M1_6=$LAST_PID
member "$NS_2" 192.0.2.12 0
member "$NS_3" 192.0.2.13 0
M3=$LAST_PID

# Knot: the primary for pool.test, updates allowed with the TSIG key only
# knotd keeps root but drops its capabilities: its files cannot live in $TMP,
# which belongs to the _strata user (lib.sh)
KDIR=$(mktemp -d /tmp/strata-knot.XXXXXX)
test_cleanup() {
	rm -rf "$KDIR"
}
SECRET=$(head -c 32 /dev/urandom | base64)
printf '%s\n' "$SECRET" >"$TMP/tsig.key"
chmod 600 "$TMP/tsig.key"
cat >"$KDIR/pool.test.zone" <<ZONE
\$ORIGIN pool.test.
\$TTL 60
@	SOA	ns.pool.test. hostmaster.pool.test. 1 3600 600 86400 10
@	NS	ns
ns	A	192.0.2.53
ZONE
cat >"$KDIR/knot.conf" <<KNOT
server:
    listen: 192.0.2.53@53
    rundir: $KDIR
    user: root:root
key:
  - id: strata-pool
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: pool-update
    key: strata-pool
    action: update
database:
    storage: $KDIR
zone:
  - domain: pool.test
    storage: $KDIR
    file: pool.test.zone
    acl: pool-update
KNOT
spawn ip netns exec "$NS_K" knotd -c "$KDIR/knot.conf"
wait_for 10 in_c dig +time=1 +tries=1 @192.0.2.53 pool.test SOA +short ||
	fail "knotd does not answer"

# the registrar
head -c 32 /dev/urandom | base64 >"$TMP/pool.key"
chmod 600 "$TMP/pool.key"
cat >"$TMP/pool.conf" <<CONF
zone pool.test
pool ntp.pool.test answers 4 ttl 5
pool empty.pool.test
member ntp.pool.test 192.0.2.11 2001:db8::11
member ntp.pool.test 192.0.2.12
member ntp.pool.test 192.0.2.13
registration 192.0.2.1:4460 key $TMP/pool.key
listen dns 192.0.2.1:53
listen dns [2001:db8::1]:53
probe interval $INTERVAL
metrics 127.0.0.1:11124
control $TMP/pool.sock
update 192.0.2.53:53 zone pool.test tsig strata-pool hmac-sha256 $TMP/tsig.key
CONF
"$STRATA_POOL" -n -c "$TMP/pool.conf" >/dev/null || fail "strata-pool -n refuses the config"
# a broken line is refused with its line number
sed 's/^probe interval .*/probe interval 0/' "$TMP/pool.conf" >"$TMP/bad.conf"
rc=0
"$STRATA_POOL" -n -c "$TMP/bad.conf" 2>"$TMP/bad.err" || rc=$?
[ "$rc" -eq 78 ] || fail "strata-pool -n on probe interval 0: exit $rc, not 78 (EX_CONFIG)"
grep -q "bad.conf:10: probe interval '0'" "$TMP/bad.err" || fail "bad config: $(cat "$TMP/bad.err")"
ok "strata-pool -n checks the config: exit 78 (EX_CONFIG) with the line"

# a user that does not exist stops it before it binds anything
printf 'user nosuch-strata-user\n' | cat "$TMP/pool.conf" - >"$TMP/nouser.conf"
rc=0
ip netns exec "$NS_R" "$STRATA_POOL" -c "$TMP/nouser.conf" 2>"$TMP/nouser.err" || rc=$?
# a configuration error: the unit's RestartPreventExitStatus=78 does not retry it
[ "$rc" -eq 78 ] || fail "strata-pool with a user that does not exist: exit $rc, not 78"
grep -q "user 'nosuch-strata-user' does not exist.*hint: useradd" "$TMP/nouser.err" ||
	fail "no user: $(cat "$TMP/nouser.err")"
# the last line says it stops, as stratad's and strata-nts's
tail -n 1 "$TMP/nouser.err" | grep -q "^strata-pool: cannot start: .*; exiting$" ||
	fail "no user, last line: $(cat "$TMP/nouser.err")"
ok "a missing user is a startup error with a hint"

notify_start "ip netns exec $NS_R ss -Hlun 'sport = :53' | grep -q ."
# shellcheck disable=SC2086 # split on purpose: two VAR=VALUE words
spawn ip netns exec "$NS_R" env $SD_ENV "$STRATA_POOL" -c "$TMP/pool.conf"
POOL_PID=$LAST_PID

a_set() { # SERVER [TYPE]: the sorted answer set
	in_c dig +time=1 +tries=1 @"$1" ntp.pool.test "${2:-A}" +short 2>/dev/null |
		sort | tr '\n' ' '
}
has_set() { # SERVER WANT [TYPE]
	[ "$(a_set "$1" "${3:-A}")" = "$2" ]
}

# every member answers: all three in the registrar's answer within a few intervals
t0=$(date +%s)
wait_for 15 has_set 192.0.2.1 "192.0.2.11 192.0.2.12 192.0.2.13 " ||
	fail "registrar answers '$(a_set 192.0.2.1)', not the three members"
ok "all members served after $(($(date +%s) - t0)) s"

# least privilege (docs/security.md): ip netns exec execs strata-pool, same pid
st=/proc/$POOL_PID/status
grep -q '^Name:	strata-pool$' "$st" || fail "pid $POOL_PID is $(grep ^Name: "$st")"
S_UID=$(id -u _strata)
S_GID=$(id -g _strata)
grep -q "^Uid:	$S_UID	$S_UID	$S_UID	$S_UID$" "$st" || fail "$(grep ^Uid: "$st"), want $S_UID"
grep -q "^Gid:	$S_GID	$S_GID	$S_GID	$S_GID$" "$st" || fail "$(grep ^Gid: "$st"), want $S_GID"
grep -q "^Groups:[[:space:]]*$" "$st" || fail "$(grep ^Groups: "$st")"
for set in CapEff CapPrm CapBnd CapAmb; do
	grep -q "^$set:	0000000000000000$" "$st" || fail "$(grep "^$set:" "$st"), want none"
done
grep -q "^NoNewPrivs:	1$" "$st" || fail "no_new_privs is not set"
ok "strata-pool runs as strata (uid $S_UID), no capabilities, NoNewPrivs 1"
wait_for 5 grep -q '^CMD-AT-READY' "$NLOG" || fail "no READY=1 from strata-pool: $(cat "$NLOG")"
first=$(grep -v 'WATCHDOG=1$' "$NLOG" | head -2 | tr '\n' ' ')
echo "$first" | grep -q "^$POOL_PID $S_UID READY=1|STATUS=serving zone .* CMD-AT-READY 0 $" ||
	fail "READY=1 is not strata-pool's first notification, not sent as _strata, or before port 53: $first"
ok "READY=1 from strata-pool's PID as _strata, port 53 bound: $(notes "$POOL_PID" 0 | head -1)"
wait_for 5 has_set 192.0.2.1 "2001:db8::11 " AAAA ||
	fail "AAAA answer is '$(a_set 192.0.2.1 AAAA)'"
in_c dig @2001:db8::1 ntp.pool.test A >"$TMP/dig.out"
grep -q "flags: qr aa" "$TMP/dig.out" || fail "no AA bit: $(cat "$TMP/dig.out")"
grep -Eq "^ntp\.pool\.test\.[[:space:]]+5[[:space:]]+IN[[:space:]]+A" "$TMP/dig.out" ||
	fail "TTL not 5: $(cat "$TMP/dig.out")"
in_c dig +tcp @192.0.2.1 ntp.pool.test A +short | grep -q 192.0.2 || fail "no answer over TCP"
ok "A and AAAA authoritative with the pool's TTL, over IPv4, IPv6 and TCP"

# the other answers
status_of() { # NAME TYPE
	in_c dig +time=1 +tries=1 @192.0.2.1 "$1" "$2" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'
}
[ "$(status_of nope.pool.test A)" = NXDOMAIN ] || fail "no NXDOMAIN inside the zone"
[ "$(status_of example.com A)" = REFUSED ] || fail "no REFUSED outside the zone"
in_c dig @192.0.2.1 empty.pool.test A >"$TMP/dig.out"
grep -q "status: NOERROR" "$TMP/dig.out" && grep -q "ANSWER: 0, AUTHORITY: 1" "$TMP/dig.out" ||
	fail "empty pool is not NODATA: $(cat "$TMP/dig.out")"
ok "NXDOMAIN, REFUSED, NODATA for an empty pool"

# Knot holds the same set through TSIG-signed RFC 2136 updates
wait_for 10 has_set 192.0.2.53 "192.0.2.11 192.0.2.12 192.0.2.13 " ||
	fail "Knot answers '$(a_set 192.0.2.53)'"
wait_for 10 has_set 192.0.2.53 "2001:db8::11 " AAAA ||
	fail "Knot's AAAA is '$(a_set 192.0.2.53 AAAA)'"
ok "Knot serves the same set (RFC 2136 + TSIG)"

# a member that stops answering leaves the answers: with a score well above
# the threshold, by the rule of 2 lost probes in a row (docs/pool.md)
score_above() { # ADDR MIN
	ip netns exec "$NS_R" "$STRATA_POOL" -s "$TMP/pool.sock" status |
		awk -v a="$1" -v m="$2" '$1 == a && $4 + 0 >= m { f = 1 } END { exit !f }'
}
wait_for 30 score_above 192.0.2.11 15 || fail "m1's score does not reach 15"
kill "$M1" "$M1_6"
t0=$(date +%s%N)
wait_for 10 has_set 192.0.2.1 "192.0.2.12 192.0.2.13 " ||
	fail "after m1 died the registrar answers '$(a_set 192.0.2.1)'"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -le $((3 * INTERVAL * 1000 + 1000)) ] ||
	fail "a silent member took $ms ms to leave, more than 3 probe intervals"
ok "a silent member left the answers after $ms ms (probe interval $INTERVAL s)"
wait_for 10 has_set 192.0.2.53 "192.0.2.12 192.0.2.13 " ||
	fail "after m1 died Knot answers '$(a_set 192.0.2.53)'"
in_c dig @192.0.2.1 ntp.pool.test AAAA >"$TMP/dig.out"
grep -q "status: NOERROR" "$TMP/dig.out" && grep -q "ANSWER: 0, AUTHORITY: 1" "$TMP/dig.out" ||
	fail "no IPv6 member left, yet not NODATA: $(cat "$TMP/dig.out")"
ok "Knot follows; no IPv6 member left gives NODATA"

# a member whose clock is 0.5 s off leaves at its first wrong answer
kill "$M3"
member "$NS_3" 192.0.2.13 0.5
t0=$(date +%s%N)
wait_for 10 has_set 192.0.2.1 "192.0.2.12 " ||
	fail "a member 0.5 s off is still answered: '$(a_set 192.0.2.1)'"
ok "a member with a wrong time left after $((($(date +%s%N) - t0) / 1000000)) ms"

# the status command and the metrics say why
ip netns exec "$NS_R" "$STRATA_POOL" -s "$TMP/pool.sock" status >"$TMP/status.out" ||
	fail "strata-pool status failed"
grep -Eq "^  192\.0\.2\.12 +line5 +served " "$TMP/status.out" ||
	fail "status: $(cat "$TMP/status.out")"
grep -Eq "^  192\.0\.2\.13 +line6 +out .* offset " "$TMP/status.out" ||
	fail "status does not show m3 out for its offset: $(cat "$TMP/status.out")"
grep -Eq "^  192\.0\.2\.11 +line4 +out .* no_reply " "$TMP/status.out" ||
	fail "status does not show m1 out, silent: $(cat "$TMP/status.out")"
# the control socket is root's and strata-ops' (controlgroup): operators read status
OPS_GID=$(getent group strata-ops | cut -d: -f3)
[ -n "$OPS_GID" ] || fail "no strata-ops group (scripts/install-deps.sh creates it)"
[ "$(stat -c '%a %u %g' "$TMP/pool.sock")" = "660 0 $OPS_GID" ] ||
	fail "pool control socket: $(stat -c '%a %u %g' "$TMP/pool.sock"), want 660 0 $OPS_GID"
setfacl -m g:strata-ops:x "$TMP"
setpriv --reuid=65534 --regid="$OPS_GID" --clear-groups "$STRATA_POOL" -s "$TMP/pool.sock" \
	status >"$TMP/op.out" 2>&1 || fail "an operator's strata-pool status: $(cat "$TMP/op.out")"
cmp -s "$TMP/op.out" "$TMP/status.out" || grep -q "^  192\.0\.2\.12 " "$TMP/op.out" ||
	fail "an operator's status: $(cat "$TMP/op.out")"
if setpriv --reuid=65534 --regid=65534 --clear-groups "$STRATA_POOL" -s "$TMP/pool.sock" \
	status >/dev/null 2>&1; then
	fail "a user outside strata-ops read the pool's status"
fi
ok "pool control socket root:strata-ops 0660: the group reads status, others do not"
ip netns exec "$NS_R" python3 -c '
import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:11124/metrics", timeout=5).read().decode())' \
	>"$TMP/metrics.out" || fail "no metrics"
grep -q '^strata_pool_served{pool="ntp.pool.test",address="192.0.2.12"} 1$' "$TMP/metrics.out" ||
	fail "metrics: m2 not served"
m3_offset='strata_pool_probes_total{pool="ntp.pool.test",address="192.0.2.13",outcome="offset"}'
grep -q "^$m3_offset [1-9]" "$TMP/metrics.out" || fail "metrics: no offset probe counted for m3"
grep -q '^strata_pool_updates_total{result="ok"} [1-9]' "$TMP/metrics.out" ||
	fail "metrics: no update acknowledged"
grep -q '^strata_pool_dns_responses_total{rcode="NXDOMAIN"} [1-9]' "$TMP/metrics.out" ||
	fail "metrics: NXDOMAIN not counted"
ok "status and metrics show scores, states and counters"

# SIGTERM: exit 0, and the socket bound as root is removed without privilege
[ -S "$TMP/pool.sock" ] || fail "no control socket"
pings=$(grep -c "^$POOL_PID $S_UID WATCHDOG=1$" "$NLOG" || true)
[ "$pings" -ge 5 ] || fail "strata-pool: $pings WATCHDOG=1 pings with WATCHDOG_USEC=400000"
mark=$(wc -l <"$NLOG")
kill -TERM "$POOL_PID"
wait "$POOL_PID" || fail "strata-pool did not exit 0 on SIGTERM"
[ -e "$TMP/pool.sock" ] && fail "control socket left behind"
wait_for 2 note_is "$POOL_PID" "$mark" "STOPPING=1" ||
	fail "strata-pool on SIGTERM: $(notes "$POOL_PID" "$mark")"
ok "SIGTERM: exit 0, control socket removed after the drop; $pings watchdog pings, STOPPING=1"
