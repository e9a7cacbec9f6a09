#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# strata on the kernel Debian 12 users run (6.1), whatever kernel this host
# runs: boots the Debian 12 system of image.sh under qemu (software
# emulation, TCG: no KVM needed) and reads the guest's verdict from the
# serial console. Two ways:
#
# The kernel test (default): a shell script as PID 1 runs guest.sh with the
# binaries built here on a second disk:
#   - the BPF verifier and bpf_prog_test_run on 6.1 (tests/unit/test_xdp),
#   - stratad in native, then generic XDP on a veth between two namespaces,
#     `local stratum 10`, answering ntpdig, privileges dropped (xdp_mode.sh),
#   - the whole privilege test with its CAP_BPF branch (integration/privs.sh).
#
# The packages' test (--systemd): systemd as PID 1 runs walk.sh with the
# .deb packages on a second disk: the operator's walk from `dpkg -i` through
# `systemctl enable --now strata`, reloads with a good and a bad file,
# restart, SIGKILL, stop, the journal's priorities and `systemd-analyze
# security`, with ntpdig from a second namespace at each step
# (docs/systemd-run.md).
#
# Exit 0 on "RESULT PASS", 1 otherwise; 77 (skip) without root, qemu,
# debootstrap or (--systemd) the packages, except under CI=true.
#
# Usage: debian12.sh [STEP...]   the steps of guest.sh to run (default: all):
#        verifier xdp-native xdp-generic privs
#        debian12.sh --systemd [--record FILE] [STEP...]   the steps of walk.sh
#        (default: all); --record writes the whole output into FILE, a
#        Markdown page (docs/systemd-run.md)
#
# Environment: STRATA_BUILD (default: build/ of this checkout), or STRATAD,
# STRATACTL, XDP_PASS_OBJ, STRATA_BPF_OBJ, TEST_XDP one by one; STRATA_DEBS
# (--systemd: the directory of the .deb files, default build/debs, which
# `sh scripts/build-deb.sh build/debs` fills); the image's STRATA_VM_*
# (image.sh); STRATA_VM_TIMEOUT (seconds for boot and tests, default 600);
# STRATA_VM_ACCEL (default tcg).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"

MODE=kernel
RECORD=""
while [ $# -gt 0 ]; do
	case $1 in
	--systemd) MODE=systemd ;;
	--record)
		[ $# -ge 2 ] || fail "--record needs a file name"
		RECORD=$2
		shift
		;;
	*) break ;;
	esac
	shift
done
[ -z "$RECORD" ] || [ "$MODE" = systemd ] || fail "--record goes with --systemd"

BUILD=${STRATA_BUILD:-$HERE/../../build}
STRATAD=${STRATAD:-$BUILD/stratad/stratad}
STRATACTL=${STRATACTL:-$BUILD/stratactl/stratactl}
XDP_PASS_OBJ=${XDP_PASS_OBJ:-$BUILD/xdp/xdp_pass.bpf.o}
STRATA_BPF_OBJ=${STRATA_BPF_OBJ:-$BUILD/xdp/strata.bpf.o}
TEST_XDP=${TEST_XDP:-$BUILD/tests/unit/test_xdp}
TIMEOUT=${STRATA_VM_TIMEOUT:-600}
# KVM, where there is one, is no more faithful; TCG runs everywhere
ACCEL=${STRATA_VM_ACCEL:-tcg}

DEBS=${STRATA_DEBS:-$BUILD/debs}

require_root
require_cmd qemu-system-x86_64 debootstrap mke2fs flock timeout
if [ "$MODE" = kernel ]; then
	for f in "$STRATAD" "$STRATACTL" "$XDP_PASS_OBJ" "$STRATA_BPF_OBJ" "$TEST_XDP"; do
		[ -e "$f" ] || skip "missing $f (build first: ninja -C build)"
	done
else
	require_cmd dpkg-deb openssl
	ls "$DEBS"/*.deb >/dev/null 2>&1 ||
		skip "no .deb in $DEBS (build them first: sh scripts/build-deb.sh $DEBS)"
fi

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

PL="$TMP/payload"
if [ "$MODE" = kernel ]; then
	# The payload disk: the host's build and the scripts, laid out as in the
	# repository so that the scripts find each other by relative path
	mkdir -p "$PL/bin" "$PL/vm" "$PL/integration"
	cp "$STRATAD" "$STRATACTL" "$XDP_PASS_OBJ" "$STRATA_BPF_OBJ" "$TEST_XDP" "$PL/bin/"
	cp "$HERE/guest.sh" "$PL/" # the guest's init runs /run/payload/guest.sh
	cp "$HERE/xdp_mode.sh" "$PL/vm/"
	cp "$HERE/../integration/lib.sh" "$HERE/../integration/privs.sh" \
		"$HERE/../integration/ntp_probe.py" "$PL/integration/"
	INIT="init=/sbin/strata-vm-init"
else
	# The packages and the walk; the image's strata-vm.service runs
	# /run/payload/walk.sh. The guest has no network: whatever the packages
	# depend on must be in the image already. Checked here, before a boot,
	# from the debs' Depends (first alternative that the image has; versions
	# are dpkg's to check in the guest).
	mkdir -p "$PL/debs"
	cp "$DEBS"/*.deb "$PL/debs/"
	cp "$HERE/walk.sh" "$HERE/across.py" "$HERE/ntske.py" "$PL/"
	# a throwaway CA and server certificate for strata-nts (lib.sh)
	nts_make_ca "$PL/nts" 192.0.2.1
	# the client's XDP_PASS program, for native XDP on the veth (else generic)
	[ ! -f "$XDP_PASS_OBJ" ] || cp "$XDP_PASS_OBJ" "$PL/"
	ours=$(for d in "$DEBS"/*.deb; do dpkg-deb -f "$d" Package; done)
	missing=$(for d in "$DEBS"/*.deb; do
		dpkg-deb -f "$d" Pre-Depends Depends | sed 's/^[A-Za-z-]*: //'
	done | tr ',' '\n' | while read -r alts; do
		[ -n "$alts" ] || continue
		found=""
		for a in $(echo "$alts" | sed 's/([^)]*)//g; s/:[a-z0-9]*//g; s/|/ /g'); do
			if grep -qx "$a" "$IMG/provides" || echo "$ours" | grep -qx "$a"; then
				found=$a
				break
			fi
		done
		[ -n "$found" ] || echo "$alts"
	done | sort -u)
	if [ -n "$missing" ]; then
		echo "the image lacks what the packages depend on:" >&2
		echo "$missing" | sed 's/^/  /' >&2
		fail "add these to SYSTEMD_PKGS in tests/vm/image.sh (the guest has no network)"
	fi
	# shellcheck disable=SC2046 # one word per file
	echo "packages:" $(cd "$DEBS" && echo ./*.deb)
	# systemd as init; its status lines ("[FAILED] ...", cut to 80
	# columns) would interleave with the walk's own account of each unit
	INIT="systemd.show_status=false"
fi
echo "$*" >"$PL/steps"
mke2fs -q -t ext4 -L strata-payload -d "$PL" "$TMP/payload.img" 128M >/dev/null

# The root disk is opened with snapshot=on: the guest's writes go to a
# temporary file, the cached image stays as built
export TMPDIR="$TMP"
SERIAL="$TMP/serial.log"
spawn timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -cpu max -smp 2 -m 1024 \
	-nographic -no-reboot -nic none \
	-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 $INIT panic=-1 quiet" \
	-drive "file=$IMG/root.img,format=raw,if=virtio,snapshot=on" \
	-drive "file=$TMP/payload.img,format=raw,if=virtio,readonly=on" \
	</dev/null >"$SERIAL" 2>&1
QPID=$LAST_PID
qrc=0
wait "$QPID" || qrc=$?
t2=$(date +%s)

# The console without the firmware's terminal escapes
tr -d '\r' <"$SERIAL" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc/\n/g' >"$TMP/console"
cat "$TMP/console"
echo "qemu exited $qrc; boot and tests took $((t2 - t1)) s, $((t2 - t0)) s in all"
verdict=1
if grep -q "^strata-vm: RESULT PASS" "$SERIAL"; then
	verdict=0
fi
if [ -n "$RECORD" ]; then
	sh "$HERE/record.sh" "$IMG" "$DEBS" "$TMP/console" \
		"qemu exited $qrc; boot and tests took $((t2 - t1)) s, $((t2 - t0)) s in all" >"$RECORD.new"
	mv "$RECORD.new" "$RECORD"
	echo "recorded in $RECORD"
fi
if [ $verdict -eq 0 ]; then
	if [ "$MODE" = kernel ]; then
		ok "Debian 12 kernel $(sed -n 's/^kernel //p' "$IMG/manifest"): every step passed"
	else
		ok "Debian 12 with systemd, kernel $(sed -n 's/^kernel //p' "$IMG/manifest"): the packages passed every step"
	fi
	exit 0
fi
grep -q "^strata-vm: RESULT FAIL" "$SERIAL" && fail "$(grep "^strata-vm: RESULT" "$SERIAL")"
[ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ] && fail "no verdict within $TIMEOUT s"
fail "no verdict: the guest stopped before its end (qemu exit $qrc)"
