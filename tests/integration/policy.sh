#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The public-server policy on both fast paths (docs/security.md):
#   - a flood from one source gets RATE kiss-o'-deaths, themselves limited,
#     and drops, while another client keeps being answered;
#   - a spoofed flood that claims a victim's address (raw datagrams from
#     another address) leaves the victim answered at least at the leak rate;
#   - deny ... kod answers DENY kiss-o'-deaths, plain deny drops, in IPv4 and
#     IPv6, and other clients are still answered;
#   - every kiss-o'-death passes the checks ntpd 4.2.8 applies to one
#     (ntp_probe.py ntpd428_kod_check: a non-zero transmit timestamp equal to
#     origin and receive, the origin it sent), also for a client that behaves
#     as one ntpd association;
#   - a real client (ntpdig) is answered again once a flood stops.
#
#   policy.sh xdp    stratad's XDP program on s0
#   policy.sh dpdk   strata-dpdk on s0 through net_af_xdp
#
# Environment (set by meson): STRATAD, STRATACTL, XDP_PASS_OBJ, STRATA_DPDK.
set -eu
. "$(dirname "$0")/lib.sh"
PROBE="python3 $(dirname "$0")/ntp_probe.py"

MODE=${1:-xdp}
require_root
require_cmd ip python3 ntpdig ethtool taskset
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
case "$MODE" in
xdp) LISTEN="listen xdp s0" ;;
dpdk)
	[ -x "${STRATA_DPDK:-}" ] || skip "STRATA_DPDK not set to the strata-dpdk binary"
	LISTEN="listen dpdk net_af_xdp0,iface=s0"
	;;
*) fail "usage: policy.sh xdp|dpdk" ;;
esac

setup_topology
# the clients: a flooder (.2), a steady client (.4), a victim (.3), an
# ntpd-like association (.5), a denied address in each family
for a in 192.0.2.3 192.0.2.4 192.0.2.5 192.0.2.66; do
	ip -n "$NS_C" addr add "$a/24" dev c0
done
ip -n "$NS_C" addr add 2001:db8::66/64 dev c0 nodad
if [ "$MODE" = dpdk ]; then
	# strata-dpdk owns s0: the server kernel keeps no addresses there, and
	# the client finishes its own checksums (veth has no hardware for them)
	ip -n "$NS_S" addr flush dev s0
	in_c ethtool -K c0 tx off >/dev/null
fi

SOCK="$TMP/stratad.sock"
# 16 answers a second per client, bursts of 4, 1 in 4 over the limit leaks
cat >"$TMP/strata.conf" <<EOF
$LISTEN address 192.0.2.1 address 2001:db8::1
local stratum 5
control $SOCK
ratelimit interval -4 burst 4 leak 2 kod
deny 192.0.2.66 kod
deny 2001:db8::66
EOF
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }
counter() {
	ctl --json counters >"$TMP/ctr.json"
	$PROBE counter "$TMP/ctr.json" "$1"
}
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/strata.conf"
wait_for 10 ctl tracking || fail "stratad did not come up"
if [ "$MODE" = dpdk ]; then
	spawn ip netns exec "$NS_S" "$STRATA_DPDK" -c "$TMP/strata.conf" --shm "$SHM" -- \
		--no-huge -m 1024 --no-pci -l 0-1 --file-prefix "strata$$" --log-level 4 \
		>"$TMP/dp.log" 2>&1
	wait_for 20 grep -q 'ready:' "$TMP/dp.log" ||
		fail "strata-dpdk did not come up: $(cat "$TMP/dp.log")"
	# the policy comes from stratad's generation in the shared memory
	grep -q 'generation 1 adopted: .*, 2 access list rules (default allow), rate limit on' \
		"$TMP/dp.log" ||
		fail "strata-dpdk did not report its policy: $(cat "$TMP/dp.log")"
fi
wait_for 10 in_c $PROBE send 192.0.2.1 client || fail "no answer from the $MODE fast path"
ok "$MODE fast path up with a rate limit and an access list"

# "sent=N reply=R kod_rate=K kod_deny=D kod_bad=B" -> the value of $2
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
check() { # CONDITION MESSAGE: a Python expression over the shell's numbers
	python3 -c "import sys; sys.exit(0 if ($1) else 1)" || fail "$2"
}

# --- a flood from one source, and a steady client beside it --------------------
in_c $PROBE flood 192.0.2.4 192.0.2.1 20 10 >"$TMP/steady" &
STEADY=$!
PIDS="$PIDS $STEADY"
flood=$(in_c $PROBE flood 192.0.2.2 192.0.2.1 3000 3000)
wait "$STEADY"
steady=$(cat "$TMP/steady")
echo "flooder: $flood"
echo "steady:  $steady"
n=$(field "$flood" sent)
r=$(field "$flood" reply)
k=$(field "$flood" kod_rate)
# 4 + 16/s under the limit, then 1 in 4 of the rest (leak): about 25 % in all
check "$n == 3000 and 0.15 * $n <= $r <= 0.40 * $n" "the flooder got $r answers of $n"
# one KoD per episode over the limit: at most one per answer under the limit
check "1 <= $k <= 100" "the flooder got $k RATE KoDs for $n requests"
check "$(field "$flood" kod_bad) == 0" "KoDs that ntpd 4.2.8 ignores: $flood"
check "$(field "$steady" reply) == 20" "the steady client lost answers: $steady"
ok "flood: $r of $n answered (the leak), $k RATE KoDs; the steady client got all 20"
check "$(counter drop_rate) > 0.5 * $n" "drop_rate did not count the flood"
check "$(counter reply_kod_rate) == $k" "reply_kod_rate is not the $k KoDs received"

# one ntpd association asking back to back: its burst, then a RATE KoD that
# ntpd 4.2.8 would honour (the answer to its last request, timestamps right)
assoc=$(in_c $PROBE assoc 192.0.2.5 192.0.2.1 12)
echo "association: $assoc"
check "$(field "$assoc" kod_bad) == 0 and $(field "$assoc" kod_rate) >= 1" \
	"RATE KoDs that ntpd 4.2.8 ignores: $assoc"
ok "RATE KoDs pass ntpd 4.2.8's checks: $assoc"

# once the flood is over, a real client is answered again
sleep 1
out=$(in_c ntpdig -t 2 192.0.2.1 2>&1) || fail "ntpdig after the flood: $out"
ok "ntpdig after the flood: $(echo "$out" | tail -1)"

# --- a spoofed flood that claims the victim's address --------------------------
base=$(in_c $PROBE flood 192.0.2.3 192.0.2.1 30 10)
check "$(field "$base" reply) == 30" "the victim is not answered before the attack: $base"
# both on one CPU: on veth the XDP program runs on the sender's CPU, and each
# CPU has its own limiter table (docs/security.md, "Limits")
in_c taskset -c 0 $PROBE flood 192.0.2.3 192.0.2.1 28000 4000 --spoof >/dev/null &
SPOOF=$!
PIDS="$PIDS $SPOOF"
sleep 0.5
victim=$(in_c taskset -c 0 $PROBE flood 192.0.2.3 192.0.2.1 96 16)
wait "$SPOOF"
echo "victim under a spoofed flood: $victim"
v=$(field "$victim" reply)
# the leak answers 1 in 4 (24 expected): 10 is over three standard deviations
# below; and the flood was limited, or the victim would have been answered
check "10 <= $v <= 80" "the victim got $v answers of 96 under the spoofed flood"
ok "spoofed flood: the victim still got $v of 96 answers (leak 1 in 4)"

# --- access lists -----------------------------------------------------------------
sleep 1
d4=$(in_c $PROBE flood 192.0.2.66 192.0.2.1 3 10)
check "$(field "$d4" kod_deny) == 3 and $(field "$d4" reply) == 0" "deny kod: $d4"
check "$(field "$d4" kod_bad) == 0" "DENY KoDs that ntpd 4.2.8 ignores: $d4"
before=$(counter drop_deny)
d6=$(in_c $PROBE flood 2001:db8::66 2001:db8::1 3 10)
check "$(field "$d6" kod_deny) == 0 and $(field "$d6" reply) == 0" "deny: $d6"
check "$(counter drop_deny) == $before + 3" "drop_deny did not count 3 drops"
a6=$(in_c $PROBE flood 2001:db8::2 2001:db8::1 3 10)
check "$(field "$a6" reply) == 3" "an allowed IPv6 client: $a6"
check "$(counter reply_kod_deny) == 3" "reply_kod_deny is not 3"
ok "deny kod: DENY KoDs; deny: silence, counted; others answered in both families"
ctl counters
