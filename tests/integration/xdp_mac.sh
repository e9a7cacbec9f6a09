#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The XDP fast path answers only frames addressed to its interface's own MAC,
# and sends from that MAC (issue 12, item 5). The server's veth is
# promiscuous, as a bridge port or a capture makes a NIC; a client whose
# neighbour entry for the server names another MAC (which anyone on the link
# can bring about) must get no answer, where the reply used to come "from
# another host's MAC", the one the request named. After the server's MAC
# changes at run time, replies follow the new MAC within stratad's re-read
# (once a second).
#
# Environment (set by meson): STRATAD, STRATACTL, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"
PROBE="python3 $(dirname "$0")/ntp_probe.py"

require_root
require_cmd ip python3
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"

setup_topology
ip -n "$NS_S" link set s0 promisc on
SOCK="$TMP/stratad.sock"
cat >"$TMP/stratad.conf" <<EOF
listen xdp s0 address 192.0.2.1 address 2001:db8::1
local stratum 5
control $SOCK
EOF
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf" 2>"$TMP/stratad.log"
wait_for 10 in_s "$STRATACTL" -s "$SOCK" tracking || {
	cat "$TMP/stratad.log" >&2
	fail "stratad did not come up"
}

counter() {
	in_s "$STRATACTL" -s "$SOCK" --json counters >"$TMP/ctr.json"
	$PROBE counter "$TMP/ctr.json" "$1"
}
# the source MAC of the reply to one request from the client, or "none"
srcmac() { in_c $PROBE srcmac c0 "$1"; }
from_mac() { [ "$(srcmac "$1")" = "$2" ]; }
# the client's neighbour entries for both server addresses
neigh() {
	in_c ip neigh replace 192.0.2.1 lladdr "$1" dev c0 nud permanent
	in_c ip -6 neigh replace 2001:db8::1 lladdr "$1" dev c0 nud permanent
}

MAC_S=$(in_s cat /sys/class/net/s0/address)
FORGED=02:00:5e:00:53:66
NEW=02:00:5e:00:53:77

neigh "$MAC_S"
for addr in 192.0.2.1 2001:db8::1; do
	got=$(srcmac $addr)
	[ "$got" = "$MAC_S" ] || fail "$addr: the reply came from $got, not s0's $MAC_S"
done
ok "requests to s0's MAC $MAC_S are answered from it"

neigh "$FORGED"
# (a build without the counter fails below on the answer, not here)
p0=$(counter pass_other_mac 2>/dev/null || echo 0)
for addr in 192.0.2.1 2001:db8::1; do
	got=$(srcmac $addr)
	[ "$got" = none ] ||
		fail "$addr: a request to $FORGED was answered, from $got: an answer from another host's MAC"
done
p1=$(counter pass_other_mac)
[ $((p1 - p0)) -eq 2 ] || fail "pass_other_mac went from $p0 to $p1, want +2"
ok "requests to another MAC ($FORGED) are passed, not answered (pass_other_mac +2)"

# the operator changes the server's MAC; the client learns it
in_s ip link set dev s0 address "$NEW"
neigh "$NEW"
wait_for 5 from_mac 192.0.2.1 "$NEW" || fail "no reply from the new MAC $NEW within 5 s"
from_mac 2001:db8::1 "$NEW" || fail "2001:db8::1: no reply from the new MAC $NEW"
grep -q "s0: MAC address now $NEW" "$TMP/stratad.log" || fail "stratad did not log the new MAC"
ok "after 'ip link set dev s0 address $NEW', replies come from it"

# the old MAC is now another host's
neigh "$MAC_S"
for addr in 192.0.2.1 2001:db8::1; do
	got=$(srcmac $addr)
	[ "$got" = none ] || fail "$addr: a request to the old MAC $MAC_S was answered, from $got"
done
ok "requests to the old MAC $MAC_S are no longer answered"
