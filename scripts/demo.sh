#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata's main job on an embedded default: install what is missing, build,
# then on a two-host topology made of network namespaces (server s0 with
# 192.0.2.1 and 2001:db8::1, client c0) start stratad with XDP on the
# server's veth and a free-running "local stratum 10" clock, and strata-nts
# for NTS (RFC 8915) with a throwaway CA, let real clients (sntp, ntpdig,
# and chronyd over NTS) synchronise to it, print what stratactl shows, and
# tear everything down. Needs root.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh
if [ -d build ]; then
	meson setup --reconfigure build >/dev/null
else
	meson setup build >/dev/null
fi
ninja -C build >/dev/null

STRATAD=$PWD/build/stratad/stratad
STRATACTL=$PWD/build/stratactl/stratactl
STRATA_NTS=$PWD/build/nts/strata-nts
XDP_PASS_OBJ=$PWD/build/xdp/xdp_pass.bpf.o
. tests/integration/lib.sh
require_root

step() { printf '\n== %s\n' "$*"; }

step "topology: namespaces $NS_S (server) and $NS_C (client), veth s0 <-> c0"
setup_topology
# the AF_XDP sockets that answer NTS are found through a pinned map: a bpffs
# in the host's mount namespace (`ip netns exec` mounts a fresh /sys)
BPFFS="$TMP/bpf"
mkdir "$BPFFS"
mount -t bpf bpf "$BPFFS" || fail "cannot mount a bpffs on $BPFFS"
test_cleanup() { umount "$BPFFS" 2>/dev/null || true; }

step "a throwaway CA and a certificate for 192.0.2.1 (NTS-KE is TLS)"
nts_make_ca "$TMP/pki" 192.0.2.1
# stratad writes its NTS master keys after dropping to its user
mkdir "$TMP/ntsdump"
chown _strata "$TMP/ntsdump"
cat >"$TMP/stratad.conf" <<CONF
listen xdp s0 address 192.0.2.1 address 2001:db8::1
local stratum 10
control $TMP/stratad.sock
bpffs $BPFFS/strata
ntsservercert $TMP/pki/server.pem
ntsserverkey $TMP/pki/server.key
ntsdumpdir $TMP/ntsdump
CONF
cat "$TMP/stratad.conf"

step "stratad -c stratad.conf, then strata-nts -c stratad.conf (in $NS_S)"
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf"
wait_for 10 in_s "$STRATACTL" -s "$TMP/stratad.sock" tracking || fail "stratad did not come up"
spawn ip netns exec "$NS_S" "$STRATA_NTS" --shm "$SHM" -c "$TMP/stratad.conf"
nts_up() { in_s "$STRATACTL" -s "$TMP/stratad.sock" nts | grep -q 'strata-nts.*running'; }
wait_for 10 nts_up || fail "strata-nts did not come up"

step "sntp 192.0.2.1 and ntpdig 2001:db8::1 (from $NS_C)"
in_c sntp -t 2 192.0.2.1
in_c ntpdig -t 2 2001:db8::1

step "chronyd as an NTS client of strata (not touching this host's clock)"
cat >"$TMP/chrony.conf" <<CONF
server 192.0.2.1 iburst minpoll -2 maxpoll -2 nts
ntstrustedcerts $TMP/pki/ca.pem
pidfile $TMP/chronyd.pid
bindcmdaddress $TMP/chronyd.sock
cmdport 0
CONF
spawn ip netns exec "$NS_C" chronyd -x -u root -d -f "$TMP/chrony.conf" 2>/dev/null
synced() { in_c chronyc -h "$TMP/chronyd.sock" -n sources | grep -q '^\^\*'; }
wait_for 30 synced || fail "chronyd did not synchronise"
in_c chronyc -h "$TMP/chronyd.sock" -n sources
in_c chronyc -h "$TMP/chronyd.sock" ntpdata 192.0.2.1 | grep -E '^(Remote address|Stratum|Reference ID|Offset|Peer delay|Authenticated)'
in_c chronyc -h "$TMP/chronyd.sock" -N authdata

step "stratactl counters"
in_s "$STRATACTL" -s "$TMP/stratad.sock" counters
step "stratactl tracking"
in_s "$STRATACTL" -s "$TMP/stratad.sock" tracking
step "stratactl nts"
in_s "$STRATACTL" -s "$TMP/stratad.sock" nts
step "done: tearing down"
