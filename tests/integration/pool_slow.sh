#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# No TCP peer holds strata-pool's one loop (docs/pool.md "Endpoints"). With
# metrics of about 160 KiB, peers that ask for them and read 2 KiB every
# 0.3 s (each read inside the 1 s a blocking send waits, so a sender without
# a deadline per connection is held for the whole answer) are connected
# throughout; meanwhile 'strata-pool status', DNS over UDP and TCP and the
# probes are all answered, and the one live member never leaves the pool.
# Then more silent peers than the public DNS/TCP slots hold port 53, and
# the operator's control socket and metrics are still answered.
#
#   server namespace: strata-pool on s0 192.0.2.1 (DNS :53, metrics :11124),
#   a member answering NTP on 192.0.2.11, 240 member addresses in
#   198.51.100.0/24 that never answer (routed into a veth pair with nobody
#   behind it)
#   client namespace: c0 192.0.2.2, the slow peers and the clients. Over a
#   veth of MTU 1500, not loopback: the kernel sizes a loopback socket's
#   send buffer from its 64 KiB segments, and it would swallow the answer.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip dig python3 getent
[ -x "${STRATA_POOL:-}" ] || skip "STRATA_POOL is not set to the strata-pool binary"
getent passwd _strata >/dev/null || skip "no _strata user (scripts/install-deps.sh creates it)"
PROBE="$(dirname "$0")/ntp_probe.py"
SLOW="$(dirname "$0")/slow_peer.py"

ip netns add "$NS_S" || skip "cannot create network namespaces"
in_s ip link set lo up
ip netns add "$NS_C"
ip -n "$NS_S" link add s0 type veth peer name c0 netns "$NS_C"
in_s ip addr add 192.0.2.1/24 dev s0
in_s ip addr add 192.0.2.11/24 dev s0
in_c ip link set lo up
in_c ip addr add 192.0.2.2/24 dev c0
in_s ip link set s0 up
in_c ip link set c0 up
# a veth pair with both ends here: what is routed into d0 leaves by d1, unanswered
in_s ip link add d0 type veth peer name d1
in_s ip link set d0 up
in_s ip link set d1 up
in_s ip route add 198.51.100.0/24 dev d0

spawn ip netns exec "$NS_S" python3 "$PROBE" liar 192.0.2.11 0 120

{
	echo "zone pool.test"
	echo "pool ntp.pool.test answers 4 ttl 5"
	echo "pool big.pool.test answers 16 ttl 5"
	echo "member ntp.pool.test 192.0.2.11"
	for m in $(seq 0 23); do
		printf 'member big.pool.test'
		for a in $(seq 1 10); do printf ' 198.51.100.%d' $((m * 10 + a)); done
		echo
	done
	echo "listen dns 192.0.2.1:53"
	echo "probe interval 1"
	echo "metrics 192.0.2.1:11124"
	echo "control $TMP/pool.sock"
} >"$TMP/pool.conf"
spawn ip netns exec "$NS_S" "$STRATA_POOL" -c "$TMP/pool.conf" 2>"$TMP/pool.log"
POOL_PID=$LAST_PID

answer() { # TCP? -> the sorted A set of ntp.pool.test
	in_c dig +time=2 +tries=1 ${1:-} @192.0.2.1 ntp.pool.test A +short 2>/dev/null |
		sort | tr '\n' ' '
}
served() { [ "$(answer "${1:-}")" = "192.0.2.11 " ]; }
status_ok() { # the operator's view, with the member in service
	in_s "$STRATA_POOL" -s "$TMP/pool.sock" status >"$TMP/status.out" 2>&1 &&
		grep -Eq "^  192\.0\.2\.11 +line4 +served " "$TMP/status.out"
}
metrics() { # -> $TMP/metrics.out
	in_c python3 -c '
import urllib.request
print(urllib.request.urlopen("http://192.0.2.1:11124/metrics", timeout=5).read().decode())' \
		>"$TMP/metrics.out"
}

wait_for 15 served || fail "the member is not served: '$(answer)'; $(cat "$TMP/pool.log")"
metrics || fail "no metrics"
size=$(wc -c <"$TMP/metrics.out")
[ "$size" -gt 100000 ] || fail "metrics are $size bytes, want more than 100000 for the slow readers"
ok "member served; metrics are $size bytes"

# --- slow readers of the metrics, 12 s; the checks run while they are connected --
spawn ip netns exec "$NS_C" python3 "$SLOW" reader 192.0.2.1 11124 12
READER=$LAST_PID
sleep 1
for i in 1 2 3 4 5 6 7 8; do
	kill -0 "$READER" 2>/dev/null || fail "the slow readers ended before check $i"
	status_ok || fail "check $i: strata-pool status: $(cat "$TMP/status.out")"
	served || fail "check $i: DNS over UDP answers '$(answer)'"
	served +tcp || fail "check $i: DNS over TCP answers '$(answer +tcp)'"
	sleep 0.5
done
kill -0 "$READER" 2>/dev/null || fail "the slow readers ended before the checks did"
ok "status, DNS over UDP and TCP answered 8 times while slow readers held the metrics"
# The readers' 12 s are a bound for the checks above under load, not a
# span to sit out: the member's probes (one a second, out after two
# failures) ran through the whole time the checks took, with the readers
# connected, and that is what the log below is read for.
kill "$READER" 2>/dev/null || true
wait "$READER" 2>/dev/null || true
! grep -q "192.0.2.11 out of service" "$TMP/pool.log" ||
	fail "the live member left the pool: probes were held up: $(cat "$TMP/pool.log")"
metrics && grep -q '^strata_pool_served{pool="ntp.pool.test",address="192.0.2.11"} 1$' \
	"$TMP/metrics.out" || fail "metrics: the member is not served"
ok "the member's probes were answered on time: it never left the pool"

# --- more silent peers than the public DNS/TCP slots: the operator still gets in --
spawn ip netns exec "$NS_C" python3 "$SLOW" silent 192.0.2.1 53 40 8
SILENT=$LAST_PID
sleep 1
for i in 1 2 3 4; do
	kill -0 "$SILENT" 2>/dev/null || fail "the silent peers ended before check $i"
	status_ok || fail "check $i: with port 53 held, strata-pool status: $(cat "$TMP/status.out")"
	metrics && grep -q '^strata_pool_served{pool="ntp.pool.test"' "$TMP/metrics.out" ||
		fail "check $i: with port 53 held, no metrics"
	served || fail "check $i: with port 53 held, DNS over UDP answers '$(answer)'"
	sleep 0.5
done
ok "40 silent peers on DNS/TCP: control and metrics still answered"
# nothing is checked after the four checks: their 8 s are a bound, not a wait
kill "$SILENT" 2>/dev/null || true
wait "$SILENT" 2>/dev/null || true

kill -TERM "$POOL_PID"
wait "$POOL_PID" || fail "strata-pool did not exit 0 on SIGTERM"
echo "1 passed, 0 failed"
