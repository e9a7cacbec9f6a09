#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Least privilege (docs/security.md): started as root, stratad attaches XDP,
# then every one of its threads runs as the _strata user with no_new_privs
# and exactly the documented capabilities: none, or CAP_BPF on kernels that
# check it on BPF map access (a metrics port below 1024 is bound before the
# drop and needs none). It still answers clients and reports counters; the
# control socket is root's and the strata-ops group's (controlgroup), mode
# 0660, so an operator in that group reads status, serverstats and waitsync
# but cannot reload (only root and _strata may: SO_PEERCRED) nor write the
# directories stratad made for its user, and other users cannot connect.
# stratactl waitsync waits for a socket that is not there yet, exits 0 once
# stratad is synchronised (local stratum), 1 when it never is within its
# tries, 3 when stratad never answered; serverstats sums the counters.
# SIGTERM detaches and
# exits 0, and so does SIGKILL (the bpf_link dies with the process). A missing
# socket directory is made for the user; a socket directory only root may
# write works (the socket is made before the drop, as OpenNTPD does); a
# missing user or a bad file is a startup error whose last line says that
# stratad stops.
#
# Environment (set by meson): STRATAD, STRATACTL, XDP_PASS_OBJ.
set -eu
. "$(dirname "$0")/lib.sh"
PROBE="python3 $(dirname "$0")/ntp_probe.py"

require_root
require_cmd ip python3 sntp ntpdig getent setpriv
[ -x "${STRATAD:-}" ] || skip "STRATAD not set to the stratad binary"
[ -x "${STRATACTL:-}" ] || skip "STRATACTL not set to the stratactl binary"
getent passwd _strata >/dev/null || skip "no _strata user (scripts/install-deps.sh creates it)"
getent group strata-ops >/dev/null || skip "no strata-ops group (scripts/install-deps.sh creates it)"
S_UID=$(id -u _strata)
S_GID=$(id -g _strata)
OPS_GID=$(getent group strata-ops | cut -d: -f3)

# The expected kept set, from the kernel's own rules rather than stratad's
# probe: before Linux 5.19 every bpf() call checks kernel.unprivileged_bpf_disabled;
# since then only BPF_PROG_LOAD and BPF_MAP_CREATE do ("bpf: refine
# kernel.unprivileged_bpf_disabled behaviour"), so Debian 12's 6.1 needs none.
CAP_BPF=39
bpf_bits=0
if [ "$(cat /proc/sys/kernel/unprivileged_bpf_disabled)" != 0 ]; then
	major=$(uname -r | cut -d. -f1)
	minor=$(uname -r | cut -d. -f2 | sed 's/[^0-9].*//')
	if [ "$major" -lt 5 ] || { [ "$major" -eq 5 ] && [ "$minor" -lt 19 ]; }; then
		bpf_bits=$((1 << CAP_BPF))
	fi
fi

setup_topology
SOCK="$TMP/stratad.sock"
ctl() { in_s "$STRATACTL" -s "$SOCK" "$@"; }

start() { # CONF
	spawn ip netns exec "$NS_S" "$STRATAD" --shm "$SHM" -c "$1"
	SPID=$LAST_PID
	# loading and verifying the program takes seconds on a busy machine
	wait_for 60 ctl tracking || fail "stratad did not come up with $(cat "$1")"
}

# Every thread: Uid, Gid, no supplementary groups, the three capability sets, NNP.
check_privs() { # EXPECTED_CAP_BITS
	want=$(printf '%016x' "$1")
	n=0
	for t in /proc/"$SPID"/task/*; do
		st="$t/status"
		grep -q "^Uid:	$S_UID	$S_UID	$S_UID	$S_UID$" "$st" ||
			fail "thread $t: $(grep ^Uid: "$st"), want $S_UID"
		grep -q "^Gid:	$S_GID	$S_GID	$S_GID	$S_GID$" "$st" ||
			fail "thread $t: $(grep ^Gid: "$st"), want $S_GID"
		grep -q "^Groups:[[:space:]]*$" "$st" || fail "thread $t: $(grep ^Groups: "$st")"
		for set in CapEff CapPrm CapBnd; do
			grep -q "^$set:	$want$" "$st" ||
				fail "thread $t: $(grep "^$set:" "$st"), want $want"
		done
		grep -q "^CapAmb:	0000000000000000$" "$st" || fail "thread $t: ambient capabilities"
		grep -q "^NoNewPrivs:	1$" "$st" || fail "thread $t: no_new_privs is not set"
		n=$((n + 1))
	done
	[ $n -ge 2 ] || fail "expected the main and the reporting thread, saw $n"
	echo "$n threads: uid $S_UID gid $S_GID, CapEff=CapPrm=CapBnd=$want, NoNewPrivs 1"
}

xdp_attached() { in_s ip link show s0 | grep -q 'prog/xdp'; }

# --- waitsync before stratad is there: tries, then exit 3 ------------------------
set +e
out=$(ctl waitsync 2 0 0.1 2>&1)
rc=$?
set -e
[ $rc -eq 3 ] || fail "waitsync without a socket exited $rc, want 3: $out"
[ "$(echo "$out" | grep -c '^try: [12], no answer: cannot connect')" -eq 2 ] ||
	fail "waitsync without a socket: $out"
ok "waitsync with no stratad: 2 tries, exit 3"

# --- the drop, and service after it ------------------------------------------
cat >"$TMP/stratad.conf" <<EOF
listen xdp s0 address 192.0.2.1 address 2001:db8::1
local stratum 5
control $SOCK
metrics 127.0.0.1:11123
driftfile $TMP/lib/drift
EOF
# as at boot: waitsync started first waits for the socket, then for synchronisation
in_s "$STRATACTL" -s "$SOCK" waitsync 600 0 0.1 >"$TMP/waitsync.txt" 2>&1 &
WS_PID=$!
PIDS="$PIDS $WS_PID"
start "$TMP/stratad.conf"
wait "$WS_PID" || fail "waitsync while stratad started: exit $?: $(cat "$TMP/waitsync.txt")"
tail -1 "$TMP/waitsync.txt" | grep -q "synchronised: yes, leap: 0, stratum: 5, .*source: local" ||
	fail "waitsync's last try: $(tail -1 "$TMP/waitsync.txt")"
ok "waitsync from before the start: $(grep -c '^try:' "$TMP/waitsync.txt") tries, exit 0 once synchronised on local stratum 5"
check_privs "$bpf_bits"
ok "stratad runs as strata with the documented capabilities in every thread"

for addr in 192.0.2.1 2001:db8::1; do
	out=$(in_c sntp -t 2 "$addr" 2>&1) || fail "sntp $addr: $out"
	echo "$out" | grep -q " s5 " || fail "sntp $addr: $out"
done
ok "clients answered after the drop: $(echo "$out" | tail -1)"

ctl --json counters >"$TMP/ctr.json" || fail "stratactl counters"
replies=$($PROBE counter "$TMP/ctr.json" reply)
[ "$replies" -ge 2 ] || fail "counters after the drop: $replies replies, want 2 or more"
out=$(in_s python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:11123/metrics', timeout=2).read().decode())")
echo "$out" | grep -q 'outcome="reply"' || fail "metrics: no per-outcome counters"
ok "counters read through the BPF map after the drop: $replies replies"

# serverstats: the totals of the counters, after a known number of requests
ctl --json serverstats >"$TMP/ss0.json" || fail "stratactl serverstats"
for i in 1 2 3; do
	out=$(in_c ntpdig -t 2 192.0.2.1 2>&1) || fail "ntpdig: $out"
done
ctl --json serverstats >"$TMP/ss1.json" || fail "stratactl serverstats"
ctl --json counters >"$TMP/ctr.json" || fail "stratactl counters"
python3 - "$TMP/ss0.json" "$TMP/ss1.json" "$TMP/ctr.json" <<'PY' || fail "serverstats against counters"
import json, sys
s0, s1, c = (json.load(open(p)) for p in sys.argv[1:])
t = c["total"]
replies = sum(v for k, v in t.items() if k.startswith("reply"))
drops = sum(v for k, v in t.items() if k.startswith("drop"))
passes = sum(v for k, v in t.items() if k.startswith("pass"))
want = {"ntp_replies": replies, "ntp_dropped": drops,
        "ntp_received": replies + drops + t["pass_nts"],
        "kod_rate": t["reply_kod_rate"], "kod_deny": t["reply_kod_deny"]}
for k, v in want.items():
    if s1[k] != v:
        sys.exit(f"serverstats {k} {s1[k]}, counters say {v}")
# passes (IPv6 neighbour discovery, say) may come between the two answers
if s1["passed"] > passes - t["pass_nts"]:
    sys.exit(f"serverstats passed {s1['passed']}, counters say at most {passes}")
for k in ("ntp_replies", "ntp_received"):
    if s1[k] - s0[k] != 3:
        sys.exit(f"serverstats {k} grew by {s1[k] - s0[k]} for 3 ntpdig requests")
print(f"serverstats {s1['ntp_received']} received, {s1['ntp_replies']} replies = counters")
PY
ok "serverstats: 3 ntpdig requests counted once each, the totals equal the counters'"

[ -S "$SOCK" ] || fail "no control socket"
[ "$(stat -c '%a %u %g' "$SOCK")" = "660 0 $OPS_GID" ] ||
	fail "control socket: mode, owner, group $(stat -c '%a %u %g' "$SOCK"), want 660 0 $OPS_GID"
# an operator in the strata-ops group, not root and not the daemon's user
setfacl -m g:strata-ops:x "$TMP"
op() { setpriv --reuid=65534 --regid="$OPS_GID" --clear-groups "$STRATACTL" -s "$SOCK" "$@"; }
op tracking >"$TMP/op.txt" 2>&1 || fail "an operator in group strata-ops: $(cat "$TMP/op.txt")"
grep -q "^Stratum *: 5" "$TMP/op.txt" || fail "operator's tracking: $(cat "$TMP/op.txt")"
op serverstats >"$TMP/op.txt" 2>&1 || fail "operator's serverstats: $(cat "$TMP/op.txt")"
grep -q "^NTP replies sent *: [1-9]" "$TMP/op.txt" || fail "operator's serverstats: $(cat "$TMP/op.txt")"
op waitsync 1 >/dev/null 2>&1 || fail "operator's waitsync"
set +e
op reload >"$TMP/op.txt" 2>&1
rc=$?
set -e
[ $rc -eq 4 ] || fail "an operator's reload exited $rc, want 4: $(cat "$TMP/op.txt")"
grep -q "permission denied: reload changes stratad's state, which only root and _strata" \
	"$TMP/op.txt" || fail "operator's reload: $(cat "$TMP/op.txt")"
cat "$TMP/op.txt"
# stratad's own directory (as StateDirectory= makes it): the operator cannot write it
[ "$(stat -c '%U %a' "$TMP/lib")" = "_strata 755" ] ||
	fail "$TMP/lib: $(stat -c '%U %a' "$TMP/lib"), want _strata 755"
if setpriv --reuid=65534 --regid="$OPS_GID" --clear-groups touch "$TMP/lib/x" 2>/dev/null; then
	fail "an operator wrote stratad's state directory"
fi
# stratad's user may reload (it connects through the group, as the operator does)
setpriv --reuid="$S_UID" --regid="$S_GID" --groups="$OPS_GID" "$STRATACTL" -s "$SOCK" reload \
	>"$TMP/op.txt" 2>&1 || fail "reload as _strata: $(cat "$TMP/op.txt")"
ctl reload >/dev/null || fail "reload as root"
if setpriv --reuid=65534 --regid=65534 --clear-groups "$STRATACTL" -s "$SOCK" tracking \
	>"$TMP/op.txt" 2>&1; then
	fail "a user outside the strata-ops group read status"
fi
grep -q "Permission denied" "$TMP/op.txt" || fail "outsider: $(cat "$TMP/op.txt")"
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups "$STRATACTL" -s "$SOCK" waitsync 5 0 0.1 \
	>/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 4 ] || fail "an outsider's waitsync exited $rc, want 4 at once"
ok "control socket root:strata-ops 0660: operators read status and serverstats but cannot reload (exit 4) nor write stratad's directory; root and _strata reload; others exit 4"
kill -TERM "$SPID"
wait "$SPID" || fail "stratad did not exit 0 on SIGTERM"
xdp_attached && fail "XDP still attached after SIGTERM"
[ -e "$SOCK" ] && fail "control socket left behind"
ok "SIGTERM: exit 0, XDP detached, socket removed, all without privilege"

# --- a privileged metrics port is bound before the drop: no capability kept ---
sed -i 's/^metrics .*/metrics 127.0.0.1:99/' "$TMP/stratad.conf"
start "$TMP/stratad.conf"
check_privs "$bpf_bits"
in_s python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:99/metrics', timeout=2)" ||
	fail "metrics on port 99"
ok "metrics port 99: bound as root, served without CAP_NET_BIND_SERVICE"

# --- SIGKILL: nobody detaches, the kernel drops the link ----------------------
xdp_attached || fail "XDP not attached"
kill -KILL "$SPID"
wait "$SPID" || true
wait_for 5 sh -c "! ip -n $NS_S link show s0 | grep -q prog/xdp" ||
	fail "XDP left attached after SIGKILL"
ok "SIGKILL: the program goes with the process"

# --- a missing socket directory is made for the user ---------------------------
SOCK="$TMP/run/stratad.sock"
sed -i "s|^control .*|control $SOCK|" "$TMP/stratad.conf"
start "$TMP/stratad.conf"
[ "$(stat -c %U "$TMP/run")" = _strata ] || fail "$TMP/run: $(stat -c %U "$TMP/run"), not _strata"
kill -TERM "$SPID"
wait "$SPID" || fail "stratad did not exit 0 on SIGTERM"
ok "a missing socket directory is created for the _strata user"

# --- a stratad that cannot synchronise: waitsync gives up, exit 1 ---------------
printf 'listen xdp s0 address 192.0.2.1\nserver 198.51.100.9\ncontrol %s\ncontrolgroup _strata\n' \
	"$SOCK" >"$TMP/unsync.conf"
start "$TMP/unsync.conf"
[ "$(stat -c %g "$SOCK")" = "$S_GID" ] || fail "controlgroup _strata: group $(stat -c %g "$SOCK")"
set +e
out=$(ctl waitsync 3 0 0.1 2>&1)
rc=$?
set -e
[ $rc -eq 1 ] || fail "waitsync on an unsynchronised stratad exited $rc, want 1: $out"
[ "$(echo "$out" | grep -c '^try: [123], synchronised: no, leap: 3')" -eq 3 ] ||
	fail "waitsync on an unsynchronised stratad: $out"
kill -TERM "$SPID"
wait "$SPID" || fail "stratad did not exit 0 on SIGTERM"
ok "waitsync on a stratad with no reachable source: 3 tries, exit 1; controlgroup _strata applied"

# --- startup errors --------------------------------------------------------------
expect_error() { # RC CONF WORDS...: RC 78 (EX_CONFIG) for an error in the file
	want=$1
	conf=$2
	shift 2
	set +e
	msg=$(in_s "$STRATAD" --shm "$SHM" -c "$conf" 2>&1)
	rc=$?
	set -e
	[ $rc -eq "$want" ] || fail "stratad exited $rc, not $want, for $(cat "$conf" 2>&1)"
	for w in "$@"; do
		echo "$msg" | grep -qF -- "$w" || fail "message lacks '$w': $msg"
	done
	xdp_attached && fail "a failed start left XDP attached"
	echo "$msg" | tail -1 | grep -q "^stratad: cannot start: .*; exiting$" ||
		fail "the last line does not say that stratad stops: $msg"
	echo "$msg" | tail -2
}

sed -i 's/^metrics .*/user nosuch-strata-user/' "$TMP/stratad.conf"
expect_error 78 "$TMP/stratad.conf" "user 'nosuch-strata-user' does not exist" "hint: useradd"
ok "a missing user: clear message, nothing left attached"

printf 'listen xdp s0 address 192.0.2.1\nlocal stratum 5\ncontrolgroup nosuch-strata-ops\n' \
	>"$TMP/nogroup.conf"
expect_error 78 "$TMP/nogroup.conf" \
	"$TMP/nogroup.conf:3: control group 'nosuch-strata-ops' does not exist" \
	"hint: groupadd --system nosuch-strata-ops"
ok "a missing control group: exit 78 with a hint"

printf 'listen xdp s0 address 192.0.2.1\nfrobnicate 1\n' >"$TMP/bad.conf"
expect_error 78 "$TMP/bad.conf" "$TMP/bad.conf:2:"
ok "a bad configuration: the file, the line, and that stratad stops"

# --- a socket directory only root may write: the socket is made before the drop --
mkdir -m 0700 "$TMP/rootonly"
chown root: "$TMP/rootonly"
SOCK="$TMP/rootonly/stratad.sock"
printf 'listen xdp s0 address 192.0.2.1\nlocal stratum 5\ncontrol %s\n' "$SOCK" \
	>"$TMP/rootonly.conf"
start "$TMP/rootonly.conf"
check_privs "$bpf_bits"
ctl tracking | grep -q "^Stratum *: 5" || fail "stratactl tracking as root: $(ctl tracking 2>&1)"
kill -TERM "$SPID"
wait "$SPID" || fail "stratad did not exit 0 on SIGTERM"
# unprivileged at exit, it cannot remove the socket there; the next start replaces it
start "$TMP/rootonly.conf"
ctl counters >/dev/null || fail "stratactl counters after a restart"
kill -TERM "$SPID"
wait "$SPID" || fail "stratad did not exit 0 on SIGTERM"
ok "control socket in a root-only directory: stratad starts, stratactl answers as root"
echo "1 passed, 0 failed"
