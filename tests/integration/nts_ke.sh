#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata-nts's NTS-KE server (RFC 8915 section 4, docs/nts.md), with stratad
# keeping the master keys, in the server namespace; clients in the client
# namespace (ntske_probe.py, chronyd when present):
#   - without ntsservercert, strata-nts refuses to start (exit 78);
#   - strata-nts started before stratad waits for its shared memory;
#   - the answer: Next Protocol 0, the client's first AEAD among 15 and 17,
#     8 cookies of that AEAD's length, the ntsntpserver name, End of Message,
#     on IPv4 and IPv6; the cookies open, under stratad's master keys, to
#     the keys the client exported (lib/ntstls.c's client, ntske_check.c);
#     Error records for no AEAD we offer (1) and an unknown critical
#     record (0);
#   - a client without ALPN ntske/1, and a TLS 1.2 client, are refused in
#     the handshake;
#   - SIGHUP with a renewed certificate (its key root's, mode 0600): the new
#     one is served, and none of the clients that came during the reload is
#     refused; a SIGHUP naming a missing key keeps the running workers;
#   - 10 connections that send nothing do not delay another client;
#     40 of them (maxntsconnections 20) are refused or time out after 2 s,
#     and a client retrying is served once they are gone;
#   - a worker killed outright is restarted; NTS-KE goes on while stratad
#     restarts (the master keys stay in the shared memory);
#   - chronyd, if installed, completes NTS-KE (chronyc -N authdata);
#   - systemd's notifications (sd_notify(3), lib.sh notify_start): READY=1
#     from the supervisor once it listens, RELOADING=1 then READY=1 with the
#     outcome around both SIGHUPs, WATCHDOG=1 pings, STOPPING=1 on SIGTERM,
#     and nothing from its children; --check fails on the missing key, as
#     the unit's ExecReload= runs it before the signal;
#   - stratactl nts shows strata-nts's PID and counters; SIGTERM: strata-nts
#     stops, clears its PID, and its counters add up.
#
# Environment (set by meson): STRATAD, STRATACTL, STRATA_NTS, NTSKE_CHECK,
# XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip python3 openssl
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
[ -x "${STRATA_NTS:-}" ] || skip "STRATA_NTS not set to the strata-nts binary"
[ -x "${NTSKE_CHECK:-}" ] || skip "NTSKE_CHECK not set to the ntske-check binary"
PROBE="$(dirname "$0")/ntske_probe.py"

setup_topology
nts_make_ca "$TMP/ca" 192.0.2.1
CONF="$TMP/stratad.conf"
write_conf() { # CERT KEY
	cat >"$CONF" <<EOF
listen xdp s0 address 192.0.2.1 address 2001:db8::1
refclock system
bpffs none
control $TMP/stratad.sock
ntsservercert $1
ntsserverkey $2
ntsdumpdir $TMP
ntsprocesses 2
maxntsconnections 20
ntsntpserver 192.0.2.1
EOF
}
write_conf "$TMP/ca/server.pem" "$TMP/ca/server.key"
probe() { in_c python3 "$PROBE" "$@"; }
field() { python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$@"; }
served() { probe 192.0.2.1 4460 --ca "$TMP/ca/ca.pem" >/dev/null; }
NTS_LOG="$TMP/nts.log"
test_cleanup() {
	echo "--- strata-nts's log (last 30 lines)"
	tail -30 "$NTS_LOG" 2>/dev/null || true
}

# without a certificate: a configuration error, as stratad's (EX_CONFIG)
grep -v '^ntsserver' "$CONF" >"$TMP/nonts.conf"
rc=0
out=$("$STRATA_NTS" -c "$TMP/nonts.conf" --shm "$SHM" 2>&1) || rc=$?
[ $rc = 78 ] && echo "$out" | grep -q "cannot start: .*no ntsservercert" ||
	fail "strata-nts without a certificate: exit $rc: $out"
"$STRATA_NTS" -c "$CONF" --check >/dev/null || fail "strata-nts --check refused $CONF"
ok "no certificate: exit 78; --check reads the certificate and key"

# strata-nts first: it waits for stratad's shared memory, once a second
notify_start "ip netns exec $NS_S ss -Hltn 'sport = :4460' | grep -q ."
# shellcheck disable=SC2086 # split on purpose: two VAR=VALUE words
spawn ip netns exec "$NS_S" env $SD_ENV "$STRATA_NTS" -c "$CONF" --shm "$SHM" -v 2>"$NTS_LOG"
NTS_PID=$LAST_PID
wait_for 10 grep -q "waiting for stratad's shared memory" "$NTS_LOG" ||
	fail "strata-nts did not wait for the shared memory"
spawn ip netns exec "$NS_S" "$STRATAD" -c "$CONF" --shm "$SHM"
STRATAD_PID=$LAST_PID
wait_for 20 served || fail "no NTS-KE answer from strata-nts"
ok "strata-nts waited for stratad's shared memory, then served"
wait_for 5 grep -q '^CMD-AT-READY' "$NLOG" || fail "no READY=1 from strata-nts: $(cat "$NLOG")"
first=$(grep -v 'WATCHDOG=1$' "$NLOG" | head -2 | tr '\n' ' ')
echo "$first" | grep -q "^$NTS_PID 0 READY=1|STATUS=NTS-KE on port 4460, 2 workers CMD-AT-READY 0 $" ||
	fail "READY=1 is not strata-nts's first notification, or came before it listened: $first"
ok "READY=1 from strata-nts's supervisor once it listened: $(notes "$NTS_PID" 0 | head -1)"

# the answer, for each AEAD preference, on both families
for pref in 15,17 17,15 30,17; do
	want=${pref#30,}
	want=${want%%,*}
	out=$(probe 192.0.2.1 4460 --ca "$TMP/ca/ca.pem" --aead "$pref") ||
		fail "NTS-KE offering $pref: $out"
	[ "$(field "$out" aead)" = "$want" ] || fail "offering $pref, AEAD $want expected: $out"
	[ "$(field "$out" cookies)" = 8 ] || fail "8 cookies expected: $out"
	len=$([ "$want" = 15 ] && echo 104 || echo 168)
	[ "$(field "$out" cookie_len)" = "[$len, $len, $len, $len, $len, $len, $len, $len]" ] ||
		fail "cookies of $len octets expected for AEAD $want: $out"
	[ "$(field "$out" next_protocol)" = "[0]" ] || fail "Next Protocol [0] expected: $out"
	[ "$(field "$out" server)" = 192.0.2.1 ] || fail "ntsntpserver not sent: $out"
	[ "$(field "$out" port)" = None ] || fail "no Port record expected: $out"
done
ok "NTS-KE: Next Protocol 0, the client's AEAD (15, 17), 8 cookies, the server name"
# the cookies hold the keys the client exported: its NTS requests will open
for pref in 15,17 17,15; do
	out=$(in_c "$NTSKE_CHECK" 192.0.2.1 4460 "$TMP/ca/ca.pem" "$SHM" "$pref") ||
		fail "lib/ntstls.c's client, offering $pref: $out"
	echo "$out" | grep -q "^aead ${pref%%,*}, 8 cookies, 8 open" || fail "offering $pref: $out"
done
ok "the library's client: 8 cookies that open, with stratad's keys, to its exported keys"
out=$(probe 2001:db8::1 4460 --ca "$TMP/ca/ca.pem" --name nts.strata.test) ||
	fail "NTS-KE over IPv6: $out"
ok "NTS-KE over IPv6"

rc=0
out=$(probe 192.0.2.1 4460 --ca "$TMP/ca/ca.pem" --aead 1,2) || rc=$?
[ $rc = 2 ] && [ "$(field "$out" error)" = 1 ] || fail "no AEAD we offer: Error 1 expected: $out"
rc=0
out=$(probe 192.0.2.1 4460 --ca "$TMP/ca/ca.pem" --critical 1234) || rc=$?
[ $rc = 2 ] && [ "$(field "$out" error)" = 0 ] || fail "unknown critical record: Error 0 expected: $out"
ok "Error records: bad request (1), unrecognised critical record (0)"

rc=0
out=$(probe 192.0.2.1 4460 --ca "$TMP/ca/ca.pem" --no-alpn) || rc=$?
[ $rc = 1 ] && echo "$out" | grep -q tls_error || fail "a client without ALPN was served: $out"
rc=0
out=$(probe 192.0.2.1 4460 --ca "$TMP/ca/ca.pem" --tls12) || rc=$?
[ $rc = 1 ] && echo "$out" | grep -q tls_error || fail "a TLS 1.2 client was served: $out"
ok "refused in the handshake: a client without ALPN ntske/1, a TLS 1.2 client"

# A renewed certificate, its key root's alone; clients keep coming meanwhile
old=$(field "$(probe 192.0.2.1 4460 --ca "$TMP/ca/ca.pem")" cert_sha256)
nts_make_cert "$TMP/ca" 192.0.2.1 nts.strata.test renewed
[ "$(stat -c %a "$TMP/ca/renewed.key")" = 600 ] || fail "the renewed key is not mode 0600"
new=$(openssl x509 -in "$TMP/ca/renewed.pem" -outform der | sha256sum | cut -d' ' -f1)
write_conf "$TMP/ca/renewed.pem" "$TMP/ca/renewed.key"
cat >"$TMP/during.sh" <<EOF
#!/bin/sh
i=0
while [ \$i -lt 30 ]; do
	python3 "$PROBE" 192.0.2.1 4460 --ca "$TMP/ca/ca.pem" >/dev/null || echo "refused \$i"
	i=\$((i + 1))
done
EOF
chmod +x "$TMP/during.sh"
in_c sh "$TMP/during.sh" >"$TMP/during.out" 2>&1 &
DURING=$!
sleep 0.3
mark=$(wc -l <"$NLOG")
kill -HUP "$NTS_PID"
wait $DURING || true
[ ! -s "$TMP/during.out" ] || fail "clients refused during the reload: $(cat "$TMP/during.out")"
cur=$(field "$(probe 192.0.2.1 4460 --ca "$TMP/ca/ca.pem")" cert_sha256)
[ "$cur" = "$new" ] && [ "$cur" != "$old" ] ||
	fail "after SIGHUP, $cur served, not the renewed $new (before: $old)"
wait_for 5 reload_notified "$NTS_PID" "$mark" "reloaded: fresh workers take the new certificate" ||
	fail "SIGHUP: not RELOADING=1 then READY=1: $(notes "$NTS_PID" "$mark")"
ok "SIGHUP: the renewed certificate served, 30 clients during the reload all served; RELOADING=1, READY=1"

write_conf "$TMP/ca/renewed.pem" "$TMP/ca/missing.key"
# the unit's first ExecReload=: a bad key fails 'systemctl reload' before any signal
rc=0
"$STRATA_NTS" -c "$CONF" --check >/dev/null 2>&1 || rc=$?
[ $rc = 78 ] || fail "strata-nts --check with a missing key: exit $rc, not 78"
mark=$(wc -l <"$NLOG")
kill -HUP "$NTS_PID"
wait_for 5 grep -q "reload: .*missing.key" "$NTS_LOG" 2>/dev/null || true
cur=$(field "$(probe 192.0.2.1 4460 --ca "$TMP/ca/ca.pem")" cert_sha256)
[ "$cur" = "$new" ] || fail "a reload with a missing key changed what is served"
wait_for 5 reload_notified "$NTS_PID" "$mark" "reload refused" ||
	fail "a refused SIGHUP: not RELOADING=1 then READY=1: $(notes "$NTS_PID" "$mark")"
write_conf "$TMP/ca/renewed.pem" "$TMP/ca/renewed.key"
ok "SIGHUP with a missing key: the running workers go on; --check exits 78, READY=1 says refused"

# Connections that send nothing: below the limit they delay no one
spawn ip netns exec "$NS_C" python3 "$PROBE" 192.0.2.1 4460 --hold 10 --seconds 4
HOLD=$LAST_PID
sleep 0.5
served || fail "10 idle connections kept another client from being served"
wait $HOLD || true
ok "10 idle connections: another client served at once"

# over the limit: refused at once or closed at 2 s; a client retrying gets in
spawn ip netns exec "$NS_C" python3 "$PROBE" 192.0.2.1 4460 --hold 40 --seconds 6
HOLD=$LAST_PID
sleep 0.5
wait_for 10 served || fail "no client served after a flood of 40 idle connections"
wait $HOLD || true
ok "40 idle connections (limit 20): a retrying client served once they were closed"

# A worker killed outright is restarted
worker=$(pgrep -P "$NTS_PID" | head -1)
[ -n "$worker" ] || fail "no NTS-KE worker under strata-nts $NTS_PID"
kill -9 "$worker"
wait_for 5 grep -q "worker $worker killed by signal 9" "$NTS_LOG" 2>/dev/null || true
i=0
while [ $i -lt 10 ]; do
	served || fail "NTS-KE failed after a worker was killed"
	i=$((i + 1))
done
wait_for 5 sh -c "[ \$(pgrep -P $NTS_PID | wc -l) -ge 2 ]" || fail "the killed worker was not restarted"
ok "a killed worker restarted, NTS-KE served meanwhile"

# stratad restarts: the keys stay in the shared memory, NTS-KE goes on
kill "$STRATAD_PID"
wait "$STRATAD_PID" 2>/dev/null || true
served || fail "NTS-KE failed while stratad was stopped"
spawn ip netns exec "$NS_S" "$STRATAD" -c "$CONF" --shm "$SHM"
STRATAD_PID=$LAST_PID
wait_for 10 served || fail "NTS-KE failed after stratad restarted"
ok "NTS-KE served while stratad was stopped and after it restarted"

if command -v chronyd >/dev/null 2>&1; then
	CHRONY="$TMP/chrony"
	mkdir -m 700 "$CHRONY"
	cat >"$CHRONY/chronyd.conf" <<EOF
server 192.0.2.1 iburst nts
ntstrustedcerts $TMP/ca/ca.pem
pidfile $CHRONY/chronyd.pid
bindcmdaddress $CHRONY/chronyd.sock
cmdport 0
EOF
	spawn ip netns exec "$NS_C" chronyd -4 -x -d -u root -f "$CHRONY/chronyd.conf"
	# NTP over NTS needs the fast paths' NTS (docs/nts.md): only the KE is
	# judged, by the keys it gave (KLen, bits); the cookies go with unanswered
	# requests
	ke_done() {
		in_c chronyc -h "$CHRONY/chronyd.sock" -N -n authdata |
			awk '$1 == "192.0.2.1" && $2 == "NTS" && $5 > 0 {f = 1} END {exit !f}'
	}
	wait_for 20 ke_done ||
		fail "chronyd's NTS-KE did not complete: $(in_c chronyc -h "$CHRONY/chronyd.sock" -N -n authdata)"
	ok "chronyd: NTS-KE done ($(in_c chronyc -h "$CHRONY/chronyd.sock" -N -n authdata | tail -1))"
elif [ "${CI:-}" = true ]; then
	fail "chronyd missing (CI=true)"
fi

ctl_nts() { in_s "$STRATACTL" -s "$TMP/stratad.sock" nts; }
ctl_nts | grep -q "^strata-nts *: PID $NTS_PID\$" || fail "stratactl nts: $(ctl_nts)"
ctl_nts | grep -Eq "^NTS-KE *: accepted [1-9]" || fail "stratactl nts: $(ctl_nts)"
pings=$(grep -c "^$NTS_PID 0 WATCHDOG=1$" "$NLOG" || true)
[ "$pings" -ge 5 ] || fail "strata-nts: $pings WATCHDOG=1 pings with WATCHDOG_USEC=400000"
mark=$(wc -l <"$NLOG")
kill "$NTS_PID"
rc=0
wait "$NTS_PID" || rc=$?
[ $rc = 0 ] || fail "strata-nts exited $rc on SIGTERM"
wait_for 2 note_is "$NTS_PID" "$mark" "STOPPING=1|STATUS=Terminated: stopping" ||
	fail "strata-nts on SIGTERM: $(notes "$NTS_PID" "$mark")"
others=$(grep -v "^$NTS_PID \|^CMD-AT-READY" "$NLOG" || true)
[ -z "$others" ] || fail "notifications from strata-nts's children: $others"
ok "strata-nts: $pings watchdog pings, STOPPING=1 on SIGTERM, nothing from its children"
ctl_nts | grep -q "^strata-nts *: not running" || fail "strata-nts's PID left behind: $(ctl_nts)"
line=$(grep "NTS-KE since" "$NTS_LOG") || fail "no counters at exit"
echo "$line"
num() { echo "$line" | grep -Eo "[0-9]+ $1" | cut -d' ' -f1; }
[ "$(num refused)" -ge 1 ] && [ "$(num timeouts)" -ge 1 ] ||
	fail "the flood moved neither refused nor timeouts"
[ "$(num errors)" -ge 2 ] && [ "$(num "TLS failures")" -ge 2 ] ||
	fail "errors or TLS failures not counted"
[ "$(num cookies)" -eq $(($(num "answered with") * 8)) ] || fail "cookies are not 8 per answer"
ok "SIGTERM: strata-nts stopped, its PID cleared; refused, timeouts, errors and TLS failures counted"
