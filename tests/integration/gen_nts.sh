#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata-gen's NTS mode (RFC 8915) against a real NTS server, chronyd 4.3
# with ntsservercert/ntsserverkey: one NTS-KE, then a paced 1000/s of
# authenticated requests for 2 s; every reply verifies (no NTS NAK, none
# bad), brings a fresh cookie, and passes the usual checks. With 7
# placeholders each reply brings 8 cookies. When chronyd restarts with new
# keys under a running strata-gen, its cookies no longer open: NTS NAKs
# (section 5.7), counted as such. A client that does not trust the server's
# CA stops at NTS-KE; the NTS options are checked like the others.
#
# Environment (set by meson): STRATA_GEN, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"

require_root
require_cmd ip python3 chronyd openssl
[ -x "${STRATA_GEN:-}" ] || skip "STRATA_GEN not set to the strata-gen binary"
"$STRATA_GEN" --help | grep -q -- '--nts ' || skip "strata-gen was built without NTS"

# --- option errors first: they need no network ------------------------------
for bad in "--nts-aead 16 --nts 192.0.2.1 192.0.2.1" "--nts-ca /x 192.0.2.1" \
	"--nts-placeholders 8 --nts 192.0.2.1 192.0.2.1" "--nts-aead 15 192.0.2.1"; do
	rc=0
	# shellcheck disable=SC2086 # split on purpose
	"$STRATA_GEN" $bad >"$TMP/err" 2>&1 || rc=$?
	[ "$rc" -eq 2 ] || fail "strata-gen $bad: exit $rc, want 2"
	ok "strata-gen $bad: exit 2, $(head -1 "$TMP/err")"
done

setup_topology
nts_make_ca "$TMP/ca" 192.0.2.1
nts_make_ca "$TMP/other" 192.0.2.1 # a CA the server's certificate is not from
cat >"$TMP/chrony.conf" <<EOF
local stratum 5
allow all
bindaddress 192.0.2.1
cmdport 0
pidfile $TMP/chronyd.pid
ntsservercert $TMP/ca/server.pem
ntsserverkey $TMP/ca/server.key
EOF
spawn ip netns exec "$NS_S" chronyd -x -d -u root -f "$TMP/chrony.conf"
CHRONYD=$LAST_PID
# chronyd is up when its NTS-KE port takes connections
ke_up() { in_c python3 -c 'import socket; socket.create_connection(("192.0.2.1", 4460), 1)'; }
wait_for 10 ke_up || fail "chronyd's NTS-KE port 4460 does not answer"

check() { # FILE EXPR...: every Python expression over the summary d must hold
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for e in sys.argv[2:]:
	if not eval(e, {}, {"d": d}):
		sys.exit("failed: %s\nsummary: %s" % (e, json.dumps(d)))
' "$@" || fail "strata-gen summary $1 fails a check"
}
summary() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); n = d["nts"]
print("sent %d valid %d lost %d; nts verified %d nak %d bad %d cookies %d reused %d, KE %.1f ms" % (
	d["sent"], d["valid"], d["lost"], n["verified"], n["nak"], n["bad"], n["cookies"],
	n["reused"], n["ke_ms"]))
' "$1"
}

j="$TMP/nts.json"
in_c "$STRATA_GEN" --quiet --rate 1000 --duration 2 --ports 8 --nts 192.0.2.1 \
	--nts-ca "$TMP/ca/ca.pem" --json "$j" 192.0.2.1 >"$TMP/nts.out" ||
	fail "strata-gen --nts failed: $(cat "$TMP/nts.out")"
check "$j" "abs(d['sent'] - 2000) <= 200" "d['nts']['verified'] > 0" "d['nts']['nak'] == 0" \
	"d['nts']['bad'] == 0" "d['invalid'] == 0" "d['valid'] >= 0.99 * d['sent']" \
	"d['nts']['verified'] == d['valid']" "d['nts']['cookies'] == d['nts']['verified']"
grep -q '^nts  *verified' "$TMP/nts.out" || fail "no nts line in the report: $(cat "$TMP/nts.out")"
ok "NTS at 1000/s: $(summary "$j")"

# seven placeholders: eight cookies in each reply (RFC 8915 section 5.7)
j="$TMP/nts7.json"
in_c "$STRATA_GEN" --quiet --rate 200 --duration 1 --ports 2 --nts 192.0.2.1:4460 \
	--nts-ca "$TMP/ca/ca.pem" --nts-placeholders 7 --json "$j" 192.0.2.1 >/dev/null ||
	fail "strata-gen --nts-placeholders 7 failed"
check "$j" "d['nts']['verified'] > 0" "d['nts']['nak'] == 0" "d['nts']['bad'] == 0" \
	"d['nts']['cookies'] == 8 * d['nts']['verified']" "d['nts']['reused'] == 0"
ok "7 placeholders: $(summary "$j")"

# chronyd restarted (no ntsdumpdir: new keys) under a running strata-gen
j="$TMP/nak.json"
in_c "$STRATA_GEN" --quiet --rate 500 --duration 4 --ports 2 --nts 192.0.2.1 \
	--nts-ca "$TMP/ca/ca.pem" --json "$j" 192.0.2.1 >/dev/null &
GEN=$!
sleep 1
kill "$CHRONYD"
wait "$CHRONYD" 2>/dev/null || true
spawn ip netns exec "$NS_S" chronyd -x -d -u root -f "$TMP/chrony.conf"
wait "$GEN" || fail "strata-gen across the restart failed"
check "$j" "d['nts']['verified'] > 0" "d['nts']['nak'] > 0" "d['nts']['bad'] == 0" \
	"d['kod'] == d['nts']['nak']" "d['valid'] == d['nts']['verified']"
ok "chronyd restarted with new keys: $(summary "$j")"

# a CA that did not sign the server's certificate: NTS-KE fails, nothing is sent
rc=0
in_c "$STRATA_GEN" --quiet --rate 100 --duration 1 --nts 192.0.2.1 \
	--nts-ca "$TMP/other/ca.pem" 192.0.2.1 >"$TMP/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "strata-gen with the wrong CA: exit $rc, want 1: $(cat "$TMP/bad.out")"
grep -q "NTS-KE" "$TMP/bad.out" || fail "no NTS-KE message: $(cat "$TMP/bad.out")"
ok "wrong CA: exit 1, $(grep NTS-KE "$TMP/bad.out" | head -1)"

# an AEAD chronyd 4.3 does not offer: an empty AEAD record (RFC 8915 section
# 4.1.5), said as such, not as a malformed answer
rc=0
in_c "$STRATA_GEN" --quiet --rate 100 --duration 1 --nts 192.0.2.1 --nts-aead 17 \
	--nts-ca "$TMP/ca/ca.pem" 192.0.2.1 >"$TMP/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "strata-gen --nts-aead 17: exit $rc, want 1: $(cat "$TMP/bad.out")"
grep -q "none of the AEAD algorithms offered (17)" "$TMP/bad.out" ||
	fail "--nts-aead 17: $(cat "$TMP/bad.out")"
ok "AEAD 17 against chronyd: exit 1, $(grep NTS-KE "$TMP/bad.out" | head -1)"
echo "1 passed, 0 failed"
