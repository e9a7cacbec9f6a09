#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The operator's walk through strata's Debian packages, on a Debian 12 guest
# booted with systemd (tests/vm/debian12.sh --systemd): a oneshot unit of
# the image (strata-vm.service, after multi-user.target) runs this from the
# payload disk, which holds debs/ (the packages), across.py, ntske.py, a
# throwaway CA and certificate for NTS (nts/) and, if the host built it,
# xdp_pass.bpf.o. Each step prints the commands it runs as an
# operator would type them ("# ..."), their output, and one PASS or FAIL
# line; the last line, "strata-vm: RESULT PASS" or "strata-vm: RESULT FAIL:
# steps", is what the host reads from the serial console. The unit powers
# the guest off when this exits.
#
# Network: the guest has no network card. A veth pair joins the root
# namespace (s0, 192.0.2.1, where strata.service serves) to a client
# namespace (c0, 192.0.2.2, where ntpdig runs): requests cross a real
# interface into the XDP program, as from another host.
#
# Usage: walk.sh [STEP...]   (default: the steps named in the payload's
#        steps file, or all); walk.sh --step NAME runs one step (internal).
set -u
P=$(cd "$(dirname "$0")" && pwd)
NS=strata-client
SRV=192.0.2.1
CLI=192.0.2.2
CONF=/etc/strata/stratad.conf
POOLCONF=/etc/strata/pool.conf
ST=/run/strata-vm # what one step leaves for the next
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
export SYSTEMD_PAGER='' SYSTEMD_COLORS=0 LC_ALL=C.UTF-8 COLUMNS=160

fail() {
	echo "FAIL: $*"
	exit 1
}
ok() {
	echo "ok - $*"
}
# a command as the operator types it, then its output; its exit status
run() {
	echo "# $*"
	"$@" 2>&1
}
in_c() {
	ip netns exec "$NS" "$@"
}
# ntpdig from the client namespace; prints its answer line, fails without one
ask() {
	echo "# ip netns exec $NS ntpdig -t 5 $SRV"
	out=$(in_c timeout 30 ntpdig -t 5 "$SRV" 2>&1) || {
		echo "$out"
		return 1
	}
	echo "$out"
	echo "$out" | grep -q " $SRV s[0-9]" || return 1
}
# ask, and the stratum of the answer is $1
answered_at() { # STRATUM WHAT
	ask >"$ST/ask" || {
		cat "$ST/ask"
		fail "$2: ntpdig not answered"
	}
	cat "$ST/ask"
	grep -q " $SRV s$1 " "$ST/ask" || fail "$2: the answer is not at stratum $1"
	ok "$2: ntpdig from $NS answered by $SRV at stratum $1"
}
prop() { # UNIT PROPERTY
	systemctl show -P "$2" "$1"
}
# Up to $1 seconds for "$2..." to succeed, by the clock: under emulation a
# try takes longer than its sleep
wait_until() {
	end=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	"$@" >/dev/null 2>&1
}

# Requests every 0.1 s from the client namespace, from before an operation
# until after it: across.py counts the answers (by stratum) and the requests
# never answered. Started by probe_start, ended by probe_end.
probe_start() {
	rm -f "$ST/probe.stop" "$ST/probe.out" "$ST/probe.up"
	in_c python3 "$P/across.py" "$CLI" "$SRV" "$ST/probe.stop" "$ST/probe.up" \
		>"$ST/probe.out" 2>&1 &
	echo $! >"$ST/probe.pid"
	wait_until 30 test -e "$ST/probe.up" || fail "the prober did not start: $(cat "$ST/probe.out")"
}
probe_end() { # WHAT
	touch "$ST/probe.stop"
	wait "$(cat "$ST/probe.pid")" 2>/dev/null
	line=$(tail -n 1 "$ST/probe.out")
	echo "across $1: $line"
	case $line in
	*" lost=0 "*) ok "no request lost across $1" ;;
	*) fail "requests lost across $1: $(cat "$ST/probe.out")" ;;
	esac
}

# ---------------------------------------------------------------------------
# The steps, in order

step_system() {
	echo "kernel $(uname -r), $(systemctl --version | head -n 1)"
	echo "PID 1: $(cat /proc/1/comm)"
	[ "$(cat /proc/1/comm)" = systemd ] || fail "PID 1 is not systemd"
	# the boot ends with this unit: systemd-analyze time cannot tell yet
	mu=$(prop multi-user.target ActiveEnterTimestampMonotonic)
	echo "multi-user.target reached $((mu / 1000000)).$((mu / 100000 % 10)) s after the kernel started"
	echo "# systemctl is-system-running"
	state=$(systemctl is-system-running)
	echo "$state"
	# our own unit is still activating: "starting" until it ends
	case $state in
	starting | running) ;;
	*)
		systemctl --failed --no-legend
		fail "the system is $state"
		;;
	esac
	ok "Debian $(cat /etc/debian_version) booted with systemd as PID 1"
}

step_install() {
	ls "$P"/debs/*.deb >/dev/null 2>&1 || fail "no .deb on the payload disk"
	for d in "$P"/debs/*.deb; do
		echo "$(basename "$d"): $(dpkg-deb -f "$d" Package Version Depends | tr '\n' ' ')"
	done
	# no network: everything the packages depend on is in the image already
	run dpkg -i "$P"/debs/*.deb || fail "dpkg -i failed"
	for d in "$P"/debs/*.deb; do
		pkg=$(dpkg-deb -f "$d" Package)
		s=$(dpkg-query -W -f '${Status} ${Version}' "$pkg")
		echo "$pkg: $s"
		case $s in
		"install ok installed "*) ;;
		*) fail "$pkg is not installed" ;;
		esac
	done
	for p in strata strata-tools strata-dpdk strata-pool; do
		dpkg-query -W "$p" >/dev/null 2>&1 || fail "no package $p among the debs"
	done
	ok "dpkg -i: the packages installed offline"
	# the operator names the interface first: nothing enabled or started
	run systemctl show -p Id -p UnitFileState -p ActiveState \
		strata strata-nts strata-dpdk strata-pool >"$ST/state"
	cat "$ST/state"
	grep -q "^UnitFileState=enabled" "$ST/state" && fail "a unit was enabled by the installation"
	grep "^ActiveState=" "$ST/state" | grep -qv "=inactive" && fail "a unit was started by the installation"
	ok "no unit enabled or started by the installation"
	for b in /usr/sbin/stratad /usr/sbin/strata-nts /usr/bin/stratactl \
		/usr/sbin/strata-dpdk /usr/sbin/strata-pool /usr/bin/strata-gen; do
		[ -x "$b" ] || fail "no $b"
		echo "$b --version: $("$b" --version 2>&1 | head -n 1)"
	done
	ok "the programs are in /usr/sbin and /usr/bin"
}

step_sysusers() {
	run getent passwd _strata || fail "no user _strata"
	run getent group _strata || fail "no group _strata"
	run getent group strata-ops || fail "no group strata-ops"
	uid=$(id -u _strata)
	[ "$uid" -lt 1000 ] || fail "_strata is not a system user (uid $uid)"
	case $(getent passwd _strata | cut -d: -f7) in
	*/nologin | */false) ;;
	*) fail "_strata has a login shell" ;;
	esac
	ok "sysusers: user _strata (uid $uid, no login), groups _strata and strata-ops"
}

step_units() {
	units=$(cd /lib/systemd/system && ls strata*.service)
	# shellcheck disable=SC2086 # one word per unit
	echo "units:" $units
	for u in strata strata-nts strata-dpdk strata-pool; do
		[ "$(prop $u LoadState)" = loaded ] || fail "$u.service: $(prop $u LoadState)"
	done
	# --man=no: the image has no man(1) to look Documentation= up with; the
	# pages it names are looked for below instead
	# shellcheck disable=SC2086
	(cd /lib/systemd/system && run systemd-analyze verify --man=no $units) >"$ST/verify" 2>&1
	rc=$?
	cat "$ST/verify"
	[ $rc -eq 0 ] || fail "systemd-analyze verify: exit $rc"
	for u in $units; do
		for d in $(prop "$u" Documentation); do
			case $d in
			man:*)
				page=${d#man:}
				sec=${page##*(}
				sec=${sec%)}
				f=/usr/share/man/man$sec/${page%(*}.$sec.gz
				[ -f "$f" ] || fail "$u: Documentation=$d, but no $f"
				;;
			esac
		done
		echo "$u: $(prop "$u" Documentation), installed"
	done
	# verify warns without failing; a warning about our units is a defect
	# (strata-vm.service is the test's own)
	grep -i "strata" "$ST/verify" | grep -v '^# \|strata-vm' &&
		fail "systemd-analyze verify warns about the units"
	run systemctl show -p Id -p Type -p NotifyAccess -p WatchdogUSec -p Restart \
		-p RestartPreventExitStatus strata strata-nts strata-dpdk strata-pool
	ok "every unit loads, systemd-analyze verify finds nothing"
}

step_configure() {
	ip netns add "$NS" || fail "cannot create the namespace $NS"
	ip link add s0 type veth peer name c0 netns "$NS"
	ip link set lo up
	ip -n "$NS" link set lo up
	ip addr add "$SRV/24" dev s0
	ip -n "$NS" addr add "$CLI/24" dev c0
	ip link set s0 up
	ip -n "$NS" link set c0 up
	# XDP_TX frames reach a veth peer only if the peer runs XDP itself; a
	# real NIC needs nothing of the kind. Without the program, generic mode.
	mode=native
	if [ -f "$P/xdp_pass.bpf.o" ]; then
		ip -n "$NS" link set dev c0 xdp obj "$P/xdp_pass.bpf.o" sec xdp ||
			fail "cannot attach XDP_PASS to the client's veth"
	else
		mode=generic
	fi
	echo "$mode" >"$ST/mode"
	echo "veth s0 ($SRV, here) <-> c0 ($CLI, namespace $NS); XDP on s0: $mode"
	[ -f "$CONF" ] || fail "no $CONF"
	cp "$CONF" "$ST/stratad.conf.dist"
	# As the guide says: the interface and its address on a 'listen' line,
	# a time source (here the free-running kernel clock: the guest has no
	# upstream), the rest as shipped. The shipped example lines of these
	# directives are commented out.
	sed -i -e 's/^\([[:space:]]*\)\(listen\|local\|refclock\|server\|pool\|xdpmode\)\([[:space:]]\)/# \1\2\3/' "$CONF"
	{
		echo "listen xdp s0 address $SRV"
		[ "$mode" = native ] || echo "xdpmode generic"
		echo "local stratum 10"
	} >>"$CONF"
	echo "# diff -u stratad.conf.dist $CONF"
	diff -u "$ST/stratad.conf.dist" "$CONF" | tail -n +3
	run stratad --check -c "$CONF" || fail "stratad --check refuses the edited file"
	ok "$CONF edited: listen xdp s0, local stratum 10; stratad --check accepts it"
}

step_start() {
	run systemctl enable --now strata || {
		run journalctl -u strata --no-pager -o short-monotonic -n 20
		fail "systemctl enable --now strata failed"
	}
	[ "$(systemctl is-active strata)" = active ] || fail "strata is $(systemctl is-active strata)"
	run systemctl status --no-pager --lines 20 strata
	run systemctl show -p Type -p NotifyAccess -p WatchdogUSec -p ActiveState \
		-p SubState -p MainPID -p StatusText strata
	[ "$(prop strata Type)" = notify ] || fail "Type=$(prop strata Type), not notify"
	prop strata WatchdogTimestampMonotonic >"$ST/wd0"
	ip link show s0 | grep -q "prog/xdp" || fail "no XDP program on s0: $(ip link show s0)"
	ok "systemctl enable --now strata: active (Type=notify: READY=1 came), XDP on s0"
}

# stratad answers on its control socket (as soon as active, with Type=notify)
ctl_up() {
	wait_until 60 stratactl tracking || fail "stratactl tracking: no answer"
}

step_waitsync() {
	if ! stratactl --help 2>&1 | grep -q waitsync; then
		echo "this stratactl has no waitsync: stratactl tracking instead"
		ctl_up
		run stratactl tracking || fail "stratactl tracking"
		ok "stratactl tracking answers (no waitsync in this stratactl)"
		return
	fi
	run stratactl waitsync 20 || fail "stratactl waitsync: exit $?"
	run stratactl tracking || fail "stratactl tracking"
	ok "stratactl waitsync: synchronised"
}

step_serve() {
	answered_at 10 "after start"
	run stratactl counters
}

step_reload_good() {
	probe_start
	sed -i 's/^local stratum 10$/local stratum 9/' "$CONF"
	echo "# sed -i 's/^local stratum 10\$/local stratum 9/' $CONF"
	run systemctl reload strata || fail "systemctl reload failed with a good file"
	[ "$(systemctl is-active strata)" = active ] || fail "strata is not active after the reload"
	answered_at 9 "after the reload"
	probe_end "the reload"
	run systemctl show -p StatusText strata
}

step_reload_bad() {
	cp "$CONF" "$ST/good.conf"
	# the good file back whatever happens here: the next steps start from it
	trap 'cp "$ST/good.conf" "$CONF"; echo "# (the good file back)"' EXIT
	sed -i 's/^local stratum 9$/local stratum 99/' "$CONF"
	echo "# sed -i 's/^local stratum 9\$/local stratum 99/' $CONF   (a mistake)"
	pid=$(prop strata MainPID)
	probe_start
	rc=0
	run systemctl reload strata || rc=$?
	[ $rc -ne 0 ] || fail "systemctl reload succeeded with a bad file"
	ok "systemctl reload strata fails with the bad file (exit $rc)"
	[ "$(systemctl is-active strata)" = active ] || fail "strata is not active after the bad reload"
	[ "$(prop strata MainPID)" = "$pid" ] || fail "stratad restarted on a bad reload"
	ok "the service stays active, same process ($pid)"
	answered_at 9 "after the bad reload (the old configuration)"
	probe_end "the refused reload"
	run systemctl show -p StatusText strata
	run journalctl -u strata -p warning --no-pager -o short-monotonic
	journalctl -u strata -p warning --no-pager -o cat | grep -q "stratum '99'" ||
		fail "journalctl -u strata -p warning does not show the refusal"
	journalctl -u strata -p warning --no-pager -o cat | grep -q "ready" &&
		fail "journalctl -p warning shows informational lines: priorities are not passed on"
	ok "journalctl -u strata -p warning: the refusal, not the informational lines"
}

step_watchdog() {
	usec=$(prop strata WatchdogUSec)
	echo "WatchdogUSec=$usec"
	case $usec in
	0 | infinity | "") fail "no watchdog (WatchdogUSec=$usec)" ;;
	esac
	t0=$(cat "$ST/wd0" 2>/dev/null || echo 0)
	# a ping comes at least every half interval: wait for one after t0
	wait_until 60 sh -c "[ \"\$(systemctl show -P WatchdogTimestampMonotonic strata)\" != '$t0' ]" ||
		fail "WatchdogTimestamp did not move in 60 s"
	t1=$(prop strata WatchdogTimestampMonotonic)
	run systemctl show -p WatchdogTimestamp -p WatchdogTimestampMonotonic strata
	ok "watchdog: WatchdogTimestampMonotonic moved from $t0 to $t1 (WATCHDOG=1 pings)"
}

step_restart() {
	pid=$(prop strata MainPID)
	probe_start
	run systemctl restart strata || fail "systemctl restart failed"
	npid=$(prop strata MainPID)
	[ "$(systemctl is-active strata)" = active ] || fail "strata is $(systemctl is-active strata)"
	[ "$npid" != "$pid" ] && [ "$npid" != 0 ] || fail "MainPID $npid after a restart (was $pid)"
	ctl_up
	answered_at 9 "after the restart"
	probe_end "the restart (the pinned program answers)"
	ok "systemctl restart strata: active, new process $npid (was $pid)"
}

step_kill() {
	pid=$(prop strata MainPID)
	n=$(prop strata NRestarts)
	probe_start
	run systemctl kill -s KILL strata || fail "systemctl kill failed"
	# Restart=on-failure, after RestartSec
	wait_until 60 sh -c "[ \"\$(systemctl show -P NRestarts strata)\" != '$n' ] &&
		[ \"\$(systemctl is-active strata)\" = active ]" ||
		fail "not restarted: $(systemctl is-active strata), NRestarts=$(prop strata NRestarts)"
	npid=$(prop strata MainPID)
	run systemctl show -p NRestarts -p MainPID -p ActiveState -p Result strata
	ctl_up
	answered_at 9 "after SIGKILL and Restart="
	probe_end "SIGKILL and the restart (the pinned program answers)"
	ok "systemctl kill -s KILL: Restart= brought stratad back ($pid -> $npid)"
	run journalctl -u strata --no-pager -o short-monotonic -n 12
}

step_nts() {
	# a throwaway certificate of a throwaway CA (the host's openssl, on the
	# payload disk): NTS on in stratad.conf, then strata-nts
	[ -f "$P/nts/server.pem" ] || fail "no certificate on the payload disk"
	install -m 644 "$P/nts/server.pem" /etc/strata/nts.pem
	install -m 600 "$P/nts/server.key" /etc/strata/nts.key
	printf 'ntsservercert /etc/strata/nts.pem\nntsserverkey /etc/strata/nts.key\n' >>"$CONF"
	echo "# echo 'ntsservercert /etc/strata/nts.pem' >>$CONF; echo 'ntsserverkey /etc/strata/nts.key' >>$CONF"
	run systemctl reload strata || fail "systemctl reload strata (NTS on) failed"
	run systemctl start strata-nts || {
		run journalctl -u strata-nts --no-pager -o short-monotonic -n 20
		fail "systemctl start strata-nts failed"
	}
	[ "$(systemctl is-active strata-nts)" = active ] || fail "strata-nts is $(systemctl is-active strata-nts)"
	run systemctl show -p Type -p NotifyAccess -p ActiveState -p MainPID -p StatusText strata-nts
	echo "# ip netns exec $NS python3 ntske.py $SRV ca.pem"
	wait_until 30 in_c python3 "$P/ntske.py" "$SRV" "$P/nts/ca.pem"
	in_c python3 "$P/ntske.py" "$SRV" "$P/nts/ca.pem" 2>&1 || fail "no NTS-KE from $NS"
	ok "strata-nts: NTS-KE answered from $NS with the throwaway certificate"
	run stratactl nts
	run systemctl stop strata-nts || fail "systemctl stop strata-nts failed"
	run journalctl -u strata-nts --no-pager -o short-monotonic
	ok "strata-nts started, answered NTS-KE, stopped"
}

step_stop() {
	run systemctl stop strata || fail "systemctl stop failed"
	[ "$(systemctl is-active strata)" = inactive ] ||
		fail "strata is $(systemctl is-active strata) after stop"
	ok "systemctl stop strata: inactive"
	# docs/xdp.md: the pinned program keeps answering from the last snapshot
	# (until its holdover ends), and stratad --remove stops for good
	ip link show s0 | grep -q "prog/xdp" || fail "no program on s0 after stop"
	answered_at 9 "after stop, by the pinned program"
	run stratad --remove -c "$CONF" || fail "stratad --remove failed"
	ip link show s0 | grep -q "prog/xdp" && fail "a program is still attached after --remove"
	echo "# ip netns exec $NS ntpdig -t 2 $SRV"
	if out=$(in_c timeout 20 ntpdig -t 2 "$SRV" 2>&1) && echo "$out" | grep -q " $SRV s"; then
		echo "$out"
		fail "answered after stratad --remove"
	fi
	echo "$out"
	ok "stratad --remove: detached, no answer (the guest runs no other NTP server)"
}

step_journal() {
	run journalctl -u strata --no-pager -o short-monotonic
	# the priorities journald stored, by the lines' own <N> prefixes
	journalctl -u strata -o export --no-pager | grep -a '^PRIORITY=' | sort | uniq -c
	n=$(journalctl -u strata -p warning -o cat --no-pager | wc -l)
	[ "$n" -ge 1 ] || fail "no line at priority warning or above"
	ok "journal: $n lines of strata at warning or above, the rest below"
}

step_security() {
	run systemd-analyze security --no-pager strata
	for u in strata strata-nts strata-dpdk strata-pool; do
		echo "$u.service: $(systemd-analyze security --no-pager "$u" 2>&1 | tail -n 1)"
	done
	ok "systemd-analyze security ran on every unit"
}

step_pool() {
	cp "$POOLCONF" "$ST/pool.conf.dist" 2>/dev/null || true
	head -c 32 /dev/urandom | base64 >/etc/strata/pool.key
	chmod 600 /etc/strata/pool.key
	# the smallest useful registrar: one pool, one static member (the client
	# namespace's address: unreachable, it is probed and scored down)
	cat >"$POOLCONF" <<EOF
zone strata.test
pool ntp.strata.test
member ntp.strata.test $CLI
registration $SRV:4460 key /etc/strata/pool.key
listen dns $SRV:53
EOF
	echo "# cat $POOLCONF"
	cat "$POOLCONF"
	run strata-pool -n -c "$POOLCONF" || fail "strata-pool -n refuses the file"
	run systemctl start strata-pool || {
		journalctl -u strata-pool --no-pager -o cat
		fail "systemctl start strata-pool failed"
	}
	[ "$(systemctl is-active strata-pool)" = active ] || fail "strata-pool is not active"
	wait_until 20 strata-pool -c "$POOLCONF" status || fail "strata-pool status does not answer"
	run strata-pool -c "$POOLCONF" status
	run systemctl show -p Type -p ActiveState -p MainPID strata-pool
	grep -q "^Uid:.*$(id -u _strata)" "/proc/$(prop strata-pool MainPID)/status" ||
		fail "strata-pool did not drop to _strata"
	run systemctl stop strata-pool || fail "systemctl stop strata-pool failed"
	run journalctl -u strata-pool --no-pager -o short-monotonic
	ok "strata-pool started with a minimal configuration, answered status, stopped"
}

step_dpdk() {
	# no NIC nor hugepages here: the unit loads and verifies (step units);
	# its ordering and restart policy are what the operator relies on
	run systemctl show -p After -p Wants -p BindsTo -p PartOf -p Restart strata-dpdk
	case $(prop strata-dpdk BindsTo)$(prop strata-dpdk PartOf) in
	*strata.service*) fail "strata-dpdk is bound to strata.service" ;;
	esac
	prop strata-dpdk After | grep -q strata.service || fail "strata-dpdk is not ordered after strata"
	ok "strata-dpdk.service: after strata.service, not bound to it"
}

# ---------------------------------------------------------------------------

if [ "${1:-}" = --step ]; then
	"step_$(echo "$2" | tr - _)"
	exit $?
fi

# On the console (the unit's TTYPath=), the commands would see a terminal:
# pagers, colours, progress bars, lines cut to its width. A pipe instead.
if [ -t 1 ] && [ -z "${WALK_PIPED:-}" ]; then
	WALK_PIPED=1 sh "$0" "$@" 2>&1 | cat
	exit 0
fi
mkdir -p "$ST"
STEPS="system install sysusers units configure start waitsync serve reload-good
reload-bad watchdog restart kill nts stop journal security dpdk pool"
# the steps that need the stratad that start started
NEEDS_STRATAD="waitsync serve reload-good reload-bad watchdog restart kill nts stop"
only=${*:-$(cat "$P/steps" 2>/dev/null || true)}
echo "strata-vm: walk on $(uname -r) with systemd $(systemctl --version | head -n 1 | cut -d' ' -f2)"
failed=""
for s in $STEPS; do
	if [ -n "$only" ] && ! echo " $only " | grep -q " $s "; then
		continue
	fi
	# after a failed installation nothing else has a meaning, and without a
	# running stratad the steps up to its stop do not either: their checks
	# would only wait for their time limits
	case " $failed " in
	*" install "*)
		echo "strata-vm: $s: FAIL (not run: the installation failed)"
		failed="$failed $s"
		continue
		;;
	*" start "*)
		if echo " $NEEDS_STRATAD " | grep -q " $s "; then
			echo "strata-vm: $s: FAIL (not run: strata did not start)"
			failed="$failed $s"
			continue
		fi
		;;
	esac
	echo "strata-vm: --- $s"
	t0=$(date +%s)
	timeout -k 5 120 sh "$0" --step "$s" 2>&1
	rc=$?
	t=$(($(date +%s) - t0))
	if [ $rc -eq 0 ]; then
		echo "strata-vm: $s: PASS (${t} s)"
	else
		echo "strata-vm: $s: FAIL (exit $rc after ${t} s)"
		failed="$failed $s"
	fi
done
# what a step left running (a prober, a namespace) goes with the guest
if [ -z "$failed" ]; then
	echo "strata-vm: RESULT PASS"
else
	echo "strata-vm: RESULT FAIL:$failed"
fi
