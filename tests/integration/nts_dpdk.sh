#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# NTS (RFC 8915) on the DPDK path (docs/nts.md, "DPDK"): strata-dpdk owns
# the server's veth (net_af_xdp), stratad keeps the master keys, strata-nts
# serves NTS-KE on TCP 4460 through the exception path (the TAP strata0,
# which holds the host's addresses), and the workers answer the NTS
# requests themselves (strata_reply_nts()). Nothing on the server listens
# on UDP 123: every authenticated reply comes from the dataplane.
#
#   1. chronyd 4.3 (`server 192.0.2.1 iburst nts`, the test CA trusted)
#      selects strata, and `chronyc -N authdata` shows NTS with cookies and
#      no NAK;
#   2. stratad restarted without its key file makes a new master key: the
#      workers re-key, chronyd's old cookies get an NTS NAK (counted
#      nak_key), and chronyd gets new cookies by NTS-KE and valid replies;
#   3. NTPsec's ntpd (`server 192.0.2.1 nts ca CA`) gets authenticated
#      replies: its association becomes reachable, which an NTS association
#      only does on a reply whose authenticator verified;
#   4. strata counts them: the reason table's reply, and the workers' NTS
#      row in the shared memory (`stratactl nts`: reply and cookies, no
#      NAK but the old key's), as many NTS replies as chronyd took valid
#      ones at least;
#   5. strata-dpdk's exit report names them too.
#
# Environment (set by meson): STRATAD, STRATACTL, STRATA_DPDK, STRATA_NTS,
# XDP_PASS_OBJ; NTPSEC_ROOT where scripts/install-deps.sh unpacked the
# ntpsec package.
set -eu
. "$(dirname "$0")/lib.sh"
NTPSEC_ROOT=${NTPSEC_ROOT:-/usr/local/lib/strata-test/ntpsec}
NTPD="$NTPSEC_ROOT/usr/sbin/ntpd"

require_root
require_cmd ip ss ethtool python3 openssl chronyd chronyc setpriv timeout
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
[ -x "${STRATA_DPDK:-}" ] || skip "STRATA_DPDK not set to the strata-dpdk binary"
[ -x "${STRATA_NTS:-}" ] || skip "STRATA_NTS not set to the strata-nts binary"
[ -x "$NTPD" ] || skip "NTPsec's ntpd is not in $NTPSEC_ROOT (sh scripts/install-deps.sh)"

# one queue pair on the veth: net_af_xdp finds no channels on veth (dpdk.sh)
ip netns add "$NS_S" || skip "cannot create network namespaces"
ip netns add "$NS_C"
ip -n "$NS_S" link add s0 type veth peer name c0 netns "$NS_C"
for ns in "$NS_S" "$NS_C"; do
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0
done
ip -n "$NS_C" addr add 192.0.2.2/24 dev c0
ip -n "$NS_C" addr add 2001:db8::2/64 dev c0 nodad
ip -n "$NS_S" link set s0 up
ip -n "$NS_C" link set c0 up
ip -n "$NS_C" link set dev c0 xdp obj "$XDP_PASS_OBJ" sec xdp ||
	fail "cannot attach the XDP_PASS program to the client veth"
# veth leaves the client's checksums to "hardware" that is not there: the
# kernel behind the TAP would drop its TCP (NTS-KE) segments
in_c ethtool -K c0 tx off >/dev/null

nts_make_ca "$TMP/ca" 192.0.2.1
# stratad writes its key file after dropping to its user
mkdir "$TMP/keys"
chown _strata "$TMP/keys"
SOCK="$TMP/stratad.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }
cat >"$TMP/strata.conf" <<EOF
listen dpdk net_af_xdp0,iface=s0 address 192.0.2.1 address 2001:db8::1
local stratum 5
control $SOCK
ntsservercert $TMP/ca/server.pem
ntsserverkey $TMP/ca/server.key
ntsdumpdir $TMP/keys
EOF
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/strata.conf"
STRATAD_PID=$LAST_PID
wait_for 20 ctl tracking || fail "stratad did not come up"
wait_for 10 test -s "$TMP/keys/ntskeys" || fail "stratad wrote no master key file"
spawn ip netns exec "$NS_S" "$STRATA_DPDK" -c "$TMP/strata.conf" --shm "$SHM" -- \
	--no-huge -m 1024 --no-pci -l 0-1 --file-prefix "strata$$" --log-level 4 \
	>"$TMP/dp.log" 2>&1
DP_PID=$LAST_PID
wait_for 20 grep -q 'ready:' "$TMP/dp.log" || fail "strata-dpdk did not come up: $(cat "$TMP/dp.log")"
# the kernel's side of the exception path: the host's addresses on the TAP
wait_for 10 in_s ip link show strata0 || fail "no exception-path TAP interface strata0"
in_s ip addr add 192.0.2.1/24 dev strata0
in_s ip addr add 2001:db8::1/64 dev strata0 nodad
in_s ip link set strata0 up
spawn ip netns exec "$NS_S" "$STRATA_NTS" -c "$TMP/strata.conf" --shm "$SHM"
NTS_PID=$LAST_PID
wait_for 20 in_c python3 -c 'import socket; socket.create_connection(("192.0.2.1", 4460), 1)' ||
	fail "strata-nts is not reachable on 192.0.2.1 port 4460 through the TAP"
in_s ss -lun | grep -q ':123 ' && fail "something on the server listens on UDP 123"
ok "stratad (NTS keys), strata-dpdk and strata-nts up; NTS-KE reachable through the TAP"

nts_json() { ctl --json nts >"$TMP/nts.json"; }
nts_row() { # the workers' NTS counter $1, summed
	nts_json
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['dpdk'][sys.argv[2]])" \
		"$TMP/nts.json" "$1"
}
counter() {
	ctl --json counters | python3 -c "import json,sys; print(json.load(sys.stdin)['total'][sys.argv[1]])" "$1"
}

# --- 1. chronyd ---------------------------------------------------------------
cat >"$TMP/chrony.conf" <<EOF
server 192.0.2.1 iburst nts minpoll -2 maxpoll -2
ntstrustedcerts $TMP/ca/ca.pem
pidfile $TMP/chronyd.pid
bindcmdaddress $TMP/chronyd.sock
cmdport 0
EOF
spawn ip netns exec "$NS_C" chronyd -x -d -u root -f "$TMP/chrony.conf"
CHRONY=$LAST_PID
chronyc() { in_c /usr/bin/chronyc -h "$TMP/chronyd.sock" "$@"; }
synced() { chronyc -n sources | grep -Eq '^\^\* 192\.0\.2\.1 +5 '; }
if ! wait_for 40 synced; then
	chronyc -n sources
	chronyc -N authdata
	ctl counters
	ctl nts
	fail "chronyd did not select strata-dpdk over NTS"
fi
# "Mode NAK Cook" of `chronyc -N -n authdata`: NTS, no NAK, cookies held
# shellcheck disable=SC2046 # three words, split on purpose
set -- $(chronyc -N -n authdata | awk '$1 == "192.0.2.1" {print $2, $8, $9}')
[ "${1:-}" = NTS ] && [ "${2:-1}" -eq 0 ] && [ "${3:-0}" -gt 0 ] ||
	fail "chronyc authdata: not NTS with cookies and no NAK: $(chronyc -N authdata)"
ok "chronyd selected strata-dpdk over NTS: $(chronyc -n sources | grep '^\^\*'); authdata: $*"
chronyc -N authdata

# --- 2. new master keys: the workers re-key, chronyd's cookies get a NAK ---------
# stratad restarted without its key file makes a new key (the old one gone):
# the workers adopt the new generation between bursts, chronyd's next
# request (a cookie under the old key) is answered by an NTS NAK, and
# chronyd goes back to NTS-KE for cookies under the new key
valid() { chronyc ntpdata 192.0.2.1 | awk -F': *' '/^Total valid RX/ {print $2 + 0}'; }
ke_done() { nts_json; python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['ke']['done'])" "$TMP/nts.json"; }
ke0=$(ke_done)
kill -TERM "$STRATAD_PID"
wait "$STRATAD_PID" 2>/dev/null || true
rm "$TMP/keys/ntskeys"
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/strata.conf"
STRATAD_PID=$LAST_PID
wait_for 20 ctl tracking || fail "stratad did not come back"
nak_seen() { [ "$(nts_row nak_key)" -gt 0 ]; }
wait_for 10 nak_seen || fail "no NTS NAK for the old key's cookies: $(ctl nts)"
v0=$(valid)
more() { [ "$(valid)" -gt "$v0" ] && [ "$(ke_done)" -gt "$ke0" ]; }
wait_for 30 more || fail "chronyd did not recover after the NAK: $(chronyc -N authdata; ctl nts)"
ok "new master key: NTS NAK ($(nts_row nak_key)), chronyd back through NTS-KE, valid replies again"
sleep 2
valid=$(valid)
kill "$CHRONY"
wait "$CHRONY" 2>/dev/null || true

# --- 3. NTPsec -------------------------------------------------------------------
# ntpd never touches this host's clock: no CAP_SYS_TIME, "disable ntp" (ntpsec_kod.sh)
cat >"$TMP/ntp.conf" <<EOF
server 192.0.2.1 nts ca $TMP/ca/ca.pem iburst minpoll 3 maxpoll 4
disable ntp
disable kernel
logconfig =allall
EOF
before=$(nts_row reply)
spawn ip netns exec "$NS_C" setpriv --bounding-set -sys_time \
	timeout 60 "$NTPD" -n -c "$TMP/ntp.conf" -f "$TMP/ntp.drift" -l "$TMP/ntpd.log" \
	-p "$TMP/ntpd.pid"
NTPD_PID=$LAST_PID
if ! wait_for 30 grep -q '192.0.2.1 .* reachable' "$TMP/ntpd.log"; then
	cat "$TMP/ntpd.log"
	ctl nts
	fail "NTPsec's NTS association with strata-dpdk never became reachable"
fi
grep -E 'NTS|reachable' "$TMP/ntpd.log" | tail -5
after=$(nts_row reply)
[ "$after" -gt "$before" ] || fail "NTPsec reachable, yet no NTS reply counted ($before, $after)"
ok "NTPsec got authenticated replies over NTS ($((after - before)) NTS replies)"
kill "$NTPD_PID" 2>/dev/null || true
wait "$NTPD_PID" 2>/dev/null || true

# --- 4. strata's counters --------------------------------------------------------
ctl counters
ctl nts
nts_json
python3 - "$TMP/nts.json" "$valid" <<'PY' || fail "the workers' NTS row: $(ctl nts)"
import json, sys
d = json.load(open(sys.argv[1]))["dpdk"]
valid = int(sys.argv[2])
print("NTS row of the DPDK workers:", {k: v for k, v in d.items() if v})
assert d["reply"] >= valid > 0, "fewer NTS replies than chronyd took"
# eight per NTS-KE go unused here; each reply brings at least one fresh cookie
assert d["cookies"] >= d["reply"], "replies without cookies"
assert d["nak_cookie"] + d["nak_auth"] == 0, "NAKs but for the old key's cookies"
assert d["drop_malformed"] + d["drop_no_uid"] + d["drop_no_cookie"] == 0, "drops"
PY
[ "$(counter reply)" -ge "$(nts_row reply)" ] ||
	fail "the reason table counted fewer replies ($(counter reply)) than NTS replies"
[ "$(counter pass_nts)" -eq 0 ] || fail "NTS requests were passed to the kernel: $(ctl counters)"
ok "counted: reply $(counter reply), NTS reply $(nts_row reply) with $(nts_row cookies) cookies, chronyd's valid $valid"

# --- 5. strata-dpdk's exit report -------------------------------------------------
kill -TERM "$DP_PID"
wait "$DP_PID" || fail "strata-dpdk did not exit 0 on SIGTERM"
grep -q "worker 0: NTS replies [1-9]" "$TMP/dp.log" ||
	fail "strata-dpdk's exit report has no NTS replies: $(tail -5 "$TMP/dp.log")"
ok "strata-dpdk exited 0: $(grep 'worker 0: NTS' "$TMP/dp.log" | sed 's/.*worker 0: //')"
kill -TERM "$NTS_PID"
wait "$NTS_PID" 2>/dev/null || true

echo "1 passed, 0 failed"
