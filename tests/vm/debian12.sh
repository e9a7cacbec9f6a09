#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata on the kernel Debian 12 users run (6.1), whatever kernel this host
# runs: boots the Debian 12 system of image.sh under qemu (software
# emulation, TCG: no KVM needed) with the binaries built here on a second
# disk, and reads the verdict of guest.sh from the serial console:
#   - the BPF verifier and bpf_prog_test_run on 6.1 (tests/unit/test_xdp),
#   - stratad in native, then generic XDP on a veth between two namespaces,
#     `local stratum 10`, answering ntpdig, privileges dropped (xdp_mode.sh),
#   - the whole privilege test with its CAP_BPF branch (integration/privs.sh).
# Exit 0 on "RESULT PASS", 1 otherwise; 77 (skip) without root, qemu or
# debootstrap, except under CI=true.
#
# Usage: debian12.sh [STEP...]   the steps of guest.sh to run (default: all):
#        verifier xdp-native xdp-generic privs
#
# Environment: STRATA_BUILD (default: build/ of this checkout), or STRATAD,
# STRATACTL, XDP_PASS_OBJ, STRATA_BPF_OBJ, TEST_XDP one by one; the image's
# STRATA_VM_* (image.sh); STRATA_VM_TIMEOUT (seconds for boot and tests,
# default 600); STRATA_VM_ACCEL (default tcg).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"

BUILD=${STRATA_BUILD:-$HERE/../../build}
STRATAD=${STRATAD:-$BUILD/stratad/stratad}
STRATACTL=${STRATACTL:-$BUILD/stratactl/stratactl}
XDP_PASS_OBJ=${XDP_PASS_OBJ:-$BUILD/xdp/xdp_pass.bpf.o}
STRATA_BPF_OBJ=${STRATA_BPF_OBJ:-$BUILD/xdp/strata.bpf.o}
TEST_XDP=${TEST_XDP:-$BUILD/tests/unit/test_xdp}
TIMEOUT=${STRATA_VM_TIMEOUT:-600}
# KVM, where there is one, is no more faithful; TCG runs everywhere
ACCEL=${STRATA_VM_ACCEL:-tcg}

require_root
require_cmd qemu-system-x86_64 debootstrap mke2fs flock timeout
for f in "$STRATAD" "$STRATACTL" "$XDP_PASS_OBJ" "$STRATA_BPF_OBJ" "$TEST_XDP"; do
	[ -e "$f" ] || skip "missing $f (build first: ninja -C build)"
done

t0=$(date +%s)
rc=0
IMG=$(sh "$HERE/image.sh") || rc=$?
case $rc in
0) ;;
2) skip "cannot build the Debian 12 image (see above)" ;;
*) fail "building the Debian 12 image failed" ;;
esac
t1=$(date +%s)
echo "image $IMG ($(head -1 "$IMG/manifest")) ready in $((t1 - t0)) s"

# The payload disk: the host's build and the scripts, laid out as in the
# repository so that the scripts find each other by relative path
PL="$TMP/payload"
mkdir -p "$PL/bin" "$PL/vm" "$PL/integration"
cp "$STRATAD" "$STRATACTL" "$XDP_PASS_OBJ" "$STRATA_BPF_OBJ" "$TEST_XDP" "$PL/bin/"
cp "$HERE/guest.sh" "$PL/" # the guest's init runs /run/payload/guest.sh
cp "$HERE/xdp_mode.sh" "$PL/vm/"
cp "$HERE/../integration/lib.sh" "$HERE/../integration/privs.sh" \
	"$HERE/../integration/ntp_probe.py" "$PL/integration/"
echo "$*" >"$PL/steps"
mke2fs -q -t ext4 -L strata-payload -d "$PL" "$TMP/payload.img" 128M >/dev/null

# The root disk is opened with snapshot=on: the guest's writes go to a
# temporary file, the cached image stays as built
export TMPDIR="$TMP"
SERIAL="$TMP/serial.log"
spawn timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -cpu max -smp 2 -m 1024 \
	-nographic -no-reboot -nic none \
	-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 init=/sbin/strata-vm-init panic=-1 quiet" \
	-drive "file=$IMG/root.img,format=raw,if=virtio,snapshot=on" \
	-drive "file=$TMP/payload.img,format=raw,if=virtio,readonly=on" \
	</dev/null >"$SERIAL" 2>&1
QPID=$LAST_PID
qrc=0
wait "$QPID" || qrc=$?
t2=$(date +%s)

# The console without the firmware's terminal escapes
tr -d '\r' <"$SERIAL" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc/\n/g'
echo "qemu exited $qrc; boot and tests took $((t2 - t1)) s, $((t2 - t0)) s in all"
if grep -q "^strata-vm: RESULT PASS" "$SERIAL"; then
	ok "Debian 12 kernel $(sed -n 's/^kernel //p' "$IMG/manifest"): every step passed"
	exit 0
fi
grep -q "^strata-vm: RESULT FAIL" "$SERIAL" && fail "$(grep "^strata-vm: RESULT" "$SERIAL")"
[ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ] && fail "no verdict within $TIMEOUT s"
fail "no verdict: the guest stopped before its end (qemu exit $qrc)"
