#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata-dpdk serving two "listen dpdk" ports, two net_af_xdp vdevs on two
# veth pairs (s0-c0 on 192.0.2.0/24, s1-c1 on 198.51.100.0/24), with one
# lcore that is both the worker and the one adopting configuration
# generations: each port answers ARP and NTP from its own MAC, each has its
# own exception path (TAP strata0, strata1) to the kernel, and an address
# stratad adds on a restart is answered on the second port. strata-gen sends
# a steady 2000 requests/s through the adoption of that generation: every
# reply is valid, and no more are lost than in a window of the same length
# without a restart (the veth path itself may drop a few). A generation with
# a rule out of bounds, written into the shared memory by hand, is refused.
#
# Environment (set by meson): STRATAD, STRATACTL, STRATA_DPDK, STRATA_GEN,
# XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip python3 sntp
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
[ -x "${STRATA_DPDK:-}" ] || skip "STRATA_DPDK not set to the strata-dpdk binary"
[ -x "${STRATA_GEN:-}" ] || skip "STRATA_GEN not set to the strata-gen binary"

ip netns add "$NS_S" || skip "cannot create network namespaces"
ip netns add "$NS_C"
for ns in "$NS_S" "$NS_C"; do
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0
done
for i in 0 1; do
	ip -n "$NS_S" link add s$i type veth peer name c$i netns "$NS_C"
	ip -n "$NS_S" link set s$i up
	ip -n "$NS_C" link set c$i up
	# the PMD's XDP program on s$i needs one on its peer for frames to arrive
	ip -n "$NS_C" link set dev c$i xdp obj "$XDP_PASS_OBJ" sec xdp ||
		fail "cannot attach the XDP_PASS program to c$i"
	in_c ethtool -K c$i tx off >/dev/null
done
ip -n "$NS_C" addr add 192.0.2.2/24 dev c0
ip -n "$NS_C" addr add 198.51.100.2/24 dev c1

SOCK="$TMP/stratad.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }
cat >"$TMP/strata.conf" <<CONF
listen dpdk net_af_xdp0,iface=s0 address 192.0.2.1
listen dpdk net_af_xdp1,iface=s1 address 198.51.100.1
local stratum 5
control $SOCK
CONF
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/strata.conf"
STRATAD_PID=$LAST_PID
wait_for 10 ctl tracking || fail "stratad did not come up"
# one lcore: the main one is the worker, and adopts generations between bursts
spawn ip netns exec "$NS_S" "$STRATA_DPDK" -c "$TMP/strata.conf" --shm "$SHM" -- \
	--no-huge -m 1024 --no-pci -l 0 --file-prefix "strata$$" --log-level 4 \
	>"$TMP/dp.log" 2>&1
DP_PID=$LAST_PID
dp_ready() { grep -q 'ready:' "$TMP/dp.log"; }
wait_for 20 dp_ready || fail "strata-dpdk did not come up: $(cat "$TMP/dp.log")"
grep '^strata-dpdk:' "$TMP/dp.log"
grep -q 'ready: 1 worker serving 2 ports, 2 IPv4' "$TMP/dp.log" || fail "not 2 ports served"
ctl tracking | grep -q '^DPDK .*: 1 workers, 2 ports' || fail "tracking: $(ctl tracking)"
ok "strata-dpdk up on two ports: $(ctl tracking | grep '^DPDK')"

for i in 0 1; do
	wait_for 10 in_s ip link show strata$i || fail "no exception-path TAP strata$i"
done
in_s ip addr add 192.0.2.1/24 dev strata0
in_s ip addr add 198.51.100.1/24 dev strata1
in_s ip link set strata0 up
in_s ip link set strata1 up

# each port answers from its own MAC, on its own link
for x in 0:192.0.2.1 1:198.51.100.1; do
	i=${x%%:*}
	addr=${x#*:}
	out=$(in_c sntp -t 2 "$addr" 2>&1) || fail "sntp $addr: $out"
	echo "$out" | grep -q " s5 " || fail "sntp $addr: $out"
	mac=$(in_s cat /sys/class/net/s$i/address)
	in_c ip neigh show "$addr" dev c$i | grep -q "lladdr $mac" ||
		fail "$addr on c$i: not resolved to s$i's MAC $mac: $(in_c ip neigh show)"
	ok "port $i (s$i): $addr answered, ARP resolved to its MAC $mac"
done

# each port's exception path: TCP to the host namespace through strata1
spawn ip netns exec "$NS_S" python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('198.51.100.1', 8123)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.sendall(b'hello over strata1\n'); c.close()"
sleep 0.5
got=$(in_c python3 -c "
import socket
s = socket.create_connection(('198.51.100.1', 8123), timeout=10); print(s.recv(100).decode().strip())") ||
	fail "no TCP connection through the second port's exception path"
[ "$got" = "hello over strata1" ] || fail "TCP: got '$got'"
ok "TCP through the second port's TAP: '$got'"
arp=$(ctl --json counters | python3 -c "import json,sys; print(json.load(sys.stdin)['dpdk_total']['arp_reply'])")
[ "$arp" -ge 2 ] || fail "arp_reply $arp, not one per port at least: $(ctl counters)"
ok "arp_reply $arp for the two ports"

# steady load: 2000 requests/s for 4 s from the client to 198.51.100.1
load() { # JSON
	in_c timeout 30 "$STRATA_GEN" --quiet --rate 2000 --duration 4 --json "$1" 198.51.100.1 \
		>"$TMP/gen.log" 2>&1
}
lost() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["lost"])' "$1"; }
load "$TMP/base.json" || fail "strata-gen: $(cat "$TMP/gen.log")"
ok "baseline: $(lost "$TMP/base.json") of 8000 lost without a new generation"

# a new address from a restarted stratad, adopted under that load and
# answered on the second port
spawn ip netns exec "$NS_C" timeout 30 "$STRATA_GEN" --quiet --rate 2000 --duration 4 \
	--json "$TMP/swap.json" 198.51.100.1 >"$TMP/gen-swap.log" 2>&1
GEN_PID=$LAST_PID
sleep 1
kill -TERM "$STRATAD_PID"
wait "$STRATAD_PID" || fail "stratad did not exit 0"
sed -e 's/address 198.51.100.1$/address 198.51.100.1 address 198.51.100.3/' "$TMP/strata.conf" \
	>"$TMP/strata2.conf"
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/strata2.conf"
wait_for 10 ctl tracking || fail "stratad did not come back"
gen2() { ctl tracking | grep -q '^DPDK .*generation 2$'; }
wait_for 5 gen2 || fail "generation 2 not adopted: $(cat "$TMP/dp.log")"
wait "$GEN_PID" || fail "strata-gen under the swap failed: $(cat "$TMP/gen-swap.log")"
python3 - "$TMP/swap.json" "$(lost "$TMP/base.json")" <<'PY' || fail "replies lost or invalid across the adoption"
import json, sys
d = json.load(open(sys.argv[1]))
base = int(sys.argv[2])
print("across the adoption: sent %d valid %d invalid %d lost %d (baseline lost %d)" %
      (d["sent"], d["valid"], d["invalid"], d["lost"], base))
# the veth path's own losses vary from run to run: the baseline's, plus 0.5%
sys.exit(0 if d["invalid"] == 0 and d["lost"] <= base + d["sent"] // 200 else 1)
PY
out=$(in_c sntp -t 2 198.51.100.3 2>&1) || fail "sntp 198.51.100.3: $out"
ok "generation 2 adopted by the lone worker under load: every reply valid, 198.51.100.3 answered on port 1"

# a generation with an access list rule of family 9 written into the shared
# memory (as a broken or hostile writer would): refused with a message, and
# the workers keep generation 2
python3 - "/dev/shm$SHM" <<'PY' || fail "cannot find the configuration in the shared memory"
import mmap, os, re, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0)
# struct strata_fastcfg starts with gen (2), seed, then the first IPv4 address
at = [x.start() for x in re.finditer(re.escape(struct.pack("<Q", 2)) + b"(?s:.{8})" +
                                      bytes([192, 0, 2, 1]), m)]
if len(at) != 1:
    sys.exit("found the configuration %d times" % len(at))
cfg = at[0]
seq_at = cfg - 64  # cfg_seq, on the cache line before it (include/strata/shm.h)
seq = struct.unpack_from("<I", m, seq_at)[0]
assert seq % 2 == 0
struct.pack_into("<I", m, seq_at, seq + 1)
struct.pack_into("<Q", m, cfg, 3)
# after gen, seed, the 176-octet service and 8 32-bit fields: n_acl, then the rules
fields = cfg + 16 + 176
struct.pack_into("<I", m, fields + 24, 1)                  # n_acl
struct.pack_into("<16sBBBB", m, fields + 32, bytes(16), 9, 0, 1, 0)  # family 9
struct.pack_into("<I", m, seq_at, seq + 2)
PY
refused() { grep -q 'generation 3 in the shared memory refused: access list rule 1: family 9; the workers keep generation 2' "$TMP/dp.log"; }
wait_for 5 refused || fail "a bad generation was not refused: $(cat "$TMP/dp.log")"
ctl tracking | grep -q '^DPDK .*generation 2$' || fail "tracking: $(ctl tracking)"
out=$(in_c sntp -t 2 198.51.100.3 2>&1) || fail "after the refused generation: $out"
ok "a generation with a bad rule refused, generation 2 still served: $(grep -o 'generation 3 .*' "$TMP/dp.log")"

kill -TERM "$DP_PID"
wait "$DP_PID" || fail "strata-dpdk did not exit 0 on SIGTERM"
ok "strata-dpdk exited 0"

echo "1 passed, 0 failed"
