#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Inside the Debian 12 guest of tests/vm/debian12.sh, run by its PID 1 from
# the top of the payload disk (bin/ holds what the host built, vm/ and
# integration/ the scripts, as in the repository). Each step prints PASS or
# FAIL; the last line, "strata-vm: RESULT PASS" or "strata-vm: RESULT FAIL:
# steps", is what the host reads from the serial console. The steps' time
# limits add up to less than the host's (STRATA_VM_TIMEOUT, 600 s), so a
# stuck step still leaves a verdict.
set -u
P=$(cd "$(dirname "$0")" && pwd)
export CI=true
export STRATAD="$P/bin/stratad" STRATACTL="$P/bin/stratactl" XDP_PASS_OBJ="$P/bin/xdp_pass.bpf.o"

# What scripts/install-deps.sh makes on a test host: the user stratad drops
# to and the operators' group of its control socket. Not in the image, where
# the packages' test (walk.sh) checks that the strata package makes them
# (sysusers.d); the root disk is a snapshot, so they go at power-off.
getent passwd _strata >/dev/null ||
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin _strata
getent group strata-ops >/dev/null || groupadd --system strata-ops

# What systemd would have mounted: shm_open(3) needs /dev/shm; bpffs as usual
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs -o mode=1777 shm /dev/shm
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ip link set lo up

echo "strata-vm: kernel $(uname -r): $(cat /proc/version)"
echo "strata-vm: kernel.unprivileged_bpf_disabled=$(sysctl -n kernel.unprivileged_bpf_disabled)" \
	"bpf_jit_enable=$(sysctl -n net.core.bpf_jit_enable) cpus=$(nproc)"

failed=""
only=$(cat "$P/steps" 2>/dev/null || true) # debian12.sh STEP...: these alone
step() { # NAME SECONDS COMMAND...
	name=$1
	secs=$2
	shift 2
	if [ -n "$only" ] && ! echo " $only " | grep -q " $name "; then
		echo "strata-vm: $name: not asked for"
		return 0
	fi
	echo "strata-vm: --- $name: $*"
	t0=$(date +%s)
	timeout -k 5 "$secs" "$@" 2>&1
	rc=$?
	t=$(($(date +%s) - t0))
	if [ $rc -eq 0 ]; then
		echo "strata-vm: $name: PASS (${t} s)"
	else
		echo "strata-vm: $name: FAIL (exit $rc after ${t} s)"
		failed="$failed $name"
	fi
}

# The verifier on this kernel, and the program's answers through
# bpf_prog_test_run: tests/unit/test_xdp, as the host's CI runs it, but for
# the run time's count: under emulation a run's time says nothing of the
# kernel's, and its 500,000 runs took 6 of the step's 8 s; 2,000 a round
# still check that every run answers
export STRATA_XDP_TIME_RUNS=2000
step verifier 90 "$P/bin/test_xdp" "$P/bin/strata.bpf.o"
step xdp-native 120 sh "$P/vm/xdp_mode.sh" native
step xdp-generic 120 sh "$P/vm/xdp_mode.sh" generic
# the whole privilege test: on 6.1, no capability kept after setup
step privs 240 sh "$P/integration/privs.sh"

if [ -z "$failed" ]; then
	echo "strata-vm: RESULT PASS"
else
	echo "strata-vm: RESULT FAIL:$failed"
fi
