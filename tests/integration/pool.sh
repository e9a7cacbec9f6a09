#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# A pool name that resolves (through the namespace's /etc/hosts, which
# "ip netns exec" mounts from /etc/netns/NAME/hosts) to six upstreams, the
# first a server 3 s wrong and the rest chronyd: stratad keeps maxsources 4,
# replaces the falseticker, and replaces a member that stops.
#
# Environment (set by meson): STRATAD, STRATACTL, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"
PROBE="python3 $(dirname "$0")/ntp_probe.py"

require_root
require_cmd ip python3 chronyd
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"

setup_lan
SOCK="$TMP/stratad.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }

mkdir -p "/etc/netns/$NS_S"
: >"/etc/netns/$NS_S/hosts"
lan_host "strata-u1-$$" eth0 192.0.2.21 2001:db8::21
spawn ip netns exec "strata-u1-$$" python3 "$(dirname "$0")/ntp_probe.py" liar 192.0.2.21 3.0 60
echo "192.0.2.21 pool.strata.test" >>"/etc/netns/$NS_S/hosts"
for i in 2 3 4 5 6; do
	ns="strata-u$i-$$"
	lan_host "$ns" eth0 "192.0.2.2$i" "2001:db8::2$i"
	cat >"$TMP/u$i.conf" <<CONF
local stratum 1
allow all
pidfile $TMP/u$i.pid
bindcmdaddress $TMP/u$i.sock
cmdport 0
CONF
	spawn ip netns exec "$ns" chronyd -x -d -u root -f "$TMP/u$i.conf"
	eval "UPID_192_0_2_2$i=\$LAST_PID"
	echo "192.0.2.2$i pool.strata.test" >>"/etc/netns/$NS_S/hosts"
done
in_s getent ahostsv4 pool.strata.test | awk '{print $1}' | sort -u | grep -c . |
	grep -q '^6$' || fail "the pool name does not resolve to six addresses"

cat >"$TMP/stratad.conf" <<CONF
listen xdp s0 address 192.0.2.1
pool pool.strata.test iburst maxsources 4 minpoll -2 maxpoll -2
control $SOCK
CONF
spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$TMP/stratad.conf"
STRATAD_PID=$LAST_PID
members() { ctl --json sources | python3 -c "import json,sys; print(' '.join(sorted(s['remote'] for s in json.load(sys.stdin)['sources'])))"; }
four() { [ "$(members | wc -w)" = 4 ] && ctl sources | grep -q '^\*'; }
wait_for 10 four || fail "the pool does not hold 4 synchronised members: $(ctl sources)"
ok "pool keeps 4 of 6: $(members)"

# the falseticker makes room for an honest member
honest() { m=$(members); [ "$(echo "$m" | wc -w)" = 4 ] && ! echo " $m " | grep -q " 192.0.2.21 "; }
wait_for 15 honest || fail "the falseticker 192.0.2.21 was not replaced: $(ctl sources)"
before=$(members)
ok "falseticker replaced: $before"

victim=${before%% *}
eval "kill \$UPID_$(echo "$victim" | tr . _)"
replaced() { m=$(members); [ "$(echo "$m" | wc -w)" = 4 ] && ! echo " $m " | grep -q " $victim "; }
wait_for 15 replaced || fail "$victim was not replaced: $(ctl sources)"
ok "stopped $victim; the pool now holds $(members)"
ctl sources
wait_for 10 four || fail "no system peer after the replacement"

kill -TERM "$STRATAD_PID"
wait "$STRATAD_PID" || fail "stratad did not exit 0 on SIGTERM"
echo "1 passed, 0 failed"
