#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# A Debian 12 system to boot under qemu, built with debootstrap from the
# package archive and cached outside the repository:
#
#   $STRATA_VM_CACHE/<key>/vmlinuz, initrd.img   the 6.1 kernel, for a direct boot
#   $STRATA_VM_CACHE/<key>/root.img              ext4, the whole root file system
#   $STRATA_VM_CACHE/<key>/manifest              kernel release, package versions
#   $STRATA_VM_CACHE/<key>/provides              every package installed, and
#                                                what it provides, one a line
#
# The key hashes this file, the kernel flavour and the mirrors: any change to
# the recipe builds a new image, an unchanged one is reused. The build happens
# in <key>.tmp and is renamed into place when complete, under a lock, so an
# interrupted or concurrent build never leaves a half image behind.
#
# No strata binary goes into the image: debian12.sh brings the ones built on
# the host (Debian 12 userspace too), or the .deb packages, on a second disk
# at each run. The same image boots two ways: with a shell script as PID 1
# (init=/sbin/strata-vm-init, the kernel test) or with systemd (the packages'
# test, debian12.sh --systemd), which runs the payload's walk.sh from a
# oneshot unit after multi-user.target and powers off.
#
# Usage: image.sh            prints the image directory, building it if needed
# Environment:
#   STRATA_VM_CACHE   default /var/cache/strata-vm
#   STRATA_VM_KERNEL  amd64 (default: the kernel most users run) or cloud-amd64
#   STRATA_VM_MIRROR, STRATA_VM_SECURITY   default: from this host's apt sources
set -eu

CACHE=${STRATA_VM_CACHE:-/var/cache/strata-vm}
FLAVOUR=${STRATA_VM_KERNEL:-amd64}
SUITE=bookworm

# What the guest runs: the kernel and its initramfs, the tools the tests use
# (ip with libbpf for the client's XDP_PASS program, sysctl, ntpdig, sntp, setfacl,
# python3 for ntp_probe.py) and the libraries the host-built binaries link
# (ldd build/stratad/stratad build/tests/unit/test_xdp).
PKGS="iproute2 procps ntpsec-ntpdig sntp acl python3 libbpf1 libelf1 libssl3 zlib1g libcunit1"
# systemd as an init for the packages' test, without udev, dbus or logind
# (--no-install-recommends), and the run-time libraries of strata's packages,
# which the guest, without network, cannot fetch: the shared libraries of
# stratad, stratactl, strata-nts, strata-pool, strata-dpdk and strata-gen
# (ldd, dpkg -S). debian12.sh --systemd checks the debs' Depends against
# the image's `provides` list before it boots, and names what is missing here.
SYSTEMD_PKGS="systemd systemd-sysv
libxdp1 libgnutls30 libnettle8 libhogweed6 libldns3 libhwloc15 libnuma1 libbsd0 libfdt1
librte-eal23 librte-ethdev23 librte-hash23 librte-kvargs23 librte-lpm23 librte-mbuf23
librte-mempool23 librte-meter23 librte-net23 librte-pci23 librte-rcu23 librte-ring23
librte-telemetry23"

log() {
	echo "image: $*" >&2
}

# The first source of this host's apt configuration whose address ends in
# /$1 (debian or debian-security), in either the one-line or the deb822 form.
apt_uri() {
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n -e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' \
			-e 's/^URIs:[[:space:]]*//p' |
		tr ' ' '\n' | grep -m1 "/$1/*\$" | sed 's:/*$::'
}

MIRROR=${STRATA_VM_MIRROR:-$(apt_uri debian)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=${STRATA_VM_SECURITY-$(apt_uri debian-security)}

KEY=$( (cat "$0" && echo "$FLAVOUR $SUITE $MIRROR $SECURITY") | sha256sum | cut -c1-16)
DIR="$CACHE/debian12-$FLAVOUR-$KEY"
if [ -f "$DIR/manifest" ]; then
	echo "$DIR"
	exit 0
fi

for c in debootstrap chroot mke2fs flock; do
	command -v "$c" >/dev/null 2>&1 || {
		log "missing command $c (scripts/install-deps.sh installs it)"
		exit 2
	}
done
[ "$(id -u)" -eq 0 ] || {
	log "building the image needs root (debootstrap, chroot)"
	exit 2
}

mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock -w 3600 9 || {
	log "another build holds $CACHE/lock"
	exit 1
}
if [ -f "$DIR/manifest" ]; then # built while we waited
	echo "$DIR"
	exit 0
fi

WORK="$DIR.tmp"
ROOT="$WORK/root"
CHILD=""

# "$@" under timeout, in the background so that a signal to this script
# runs its trap at once. timeout gives its command a process group of its
# own, which a signal to ours does not reach: the trap kills timeout, and
# timeout its group. The children do not inherit the lock.
run() { # SECONDS COMMAND...
	timeout -k 10 "$@" 9>&- &
	CHILD=$!
	rc=0
	wait "$CHILD" || rc=$?
	CHILD=""
	return "$rc"
}

# Stop a running step, then unmount what debootstrap or an interrupted
# build left mounted under $WORK (proc, sys, devpts), deepest first; never
# remove a tree that is still mounted.
cleanup() {
	if [ -n "$CHILD" ]; then
		kill "$CHILD" 2>/dev/null || true
		wait "$CHILD" 2>/dev/null || true
		CHILD=""
	fi
	awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" || true
		done
	if awk -v w="$WORK/" 'index($2, w) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
		log "$WORK: something is still mounted there: not removed"
		return 1
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM
cleanup || exit 1
mkdir -p "$WORK"

log "debootstrap $SUITE from $MIRROR into $ROOT"
# shellcheck disable=SC2086
run 1800 debootstrap --variant=minbase --include="$(echo $PKGS | tr ' ' ,)" \
	"$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
	tail -20 "$WORK/debootstrap.log" >&2
	log "debootstrap failed"
	exit 1
}

# The kernel users run comes with the security updates: install it from
# there, after debootstrap (which takes one suite from one mirror).
{
	echo "deb $MIRROR $SUITE main"
	echo "deb $MIRROR $SUITE-updates main"
	if [ -n "$SECURITY" ]; then
		echo "deb $SECURITY $SUITE-security main"
	fi
} >"$ROOT/etc/apt/sources.list"

# The initramfs needs only what mounts a virtio disk: a small one unpacks in
# a fraction of a second under TCG, where MODULES=most takes several. Its
# udev (started, then settled over every device) cost 6 s of a 18 s boot
# under TCG: the listed modules are loaded without it, and the kernel's
# devtmpfs makes /dev/vda. Scripts in /etc/initramfs-tools/scripts replace
# those of the same name (mkinitramfs).
mkdir -p "$ROOT/etc/initramfs-tools/conf.d"
echo "MODULES=list" >"$ROOT/etc/initramfs-tools/conf.d/strata-vm"
printf '%s\n' virtio_pci virtio_blk ext4 >>"$ROOT/etc/initramfs-tools/modules"
for s in init-top init-bottom; do
	mkdir -p "$ROOT/etc/initramfs-tools/scripts/$s"
	{
		echo '#!/bin/sh'
		echo '[ "$1" = prereqs ] && exit 0'
		# what the replaced init-bottom/udev does besides stopping udevd
		[ $s = init-bottom ] && echo 'mount -n -o move /dev "${rootmnt:?}/dev"'
		echo 'exit 0'
	} >"$ROOT/etc/initramfs-tools/scripts/$s/udev"
	chmod 755 "$ROOT/etc/initramfs-tools/scripts/$s/udev"
done

mount -t proc proc "$ROOT/proc"
mount -t sysfs sys "$ROOT/sys"
log "installing linux-image-$FLAVOUR, systemd and the security updates"
# shellcheck disable=SC2086 # one word per package
run 1800 chroot "$ROOT" sh -c "
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q update &&
	apt-get -q -y upgrade &&
	apt-get -q -y install --no-install-recommends linux-image-$FLAVOUR initramfs-tools \
		$(echo $SYSTEMD_PKGS) &&
	apt-get clean" >"$WORK/apt.log" 2>&1 || {
	tail -20 "$WORK/apt.log" >&2
	log "installing the kernel failed"
	exit 1
}
umount "$ROOT/sys" "$ROOT/proc"

# The guest's init: the test the host puts on the second disk, then power off.
# A shell as PID 1 instead of systemd: the guest boots in seconds under TCG.
cat >"$ROOT/sbin/strata-vm-init" <<'EOF'
#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# PID 1 of the strata test VM (tests/vm/image.sh): run the payload, power off.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# the initramfs moves its /proc, /sys, /run and /dev here
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sys /sys
mountpoint -q /run || mount -t tmpfs -o mode=0755 tmpfs /run
mountpoint -q /dev || mount -t devtmpfs dev /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /run/payload
if mount -o ro /dev/vdb /run/payload; then
	sh /run/payload/guest.sh
	echo "strata-vm: guest.sh exited $?"
else
	echo "strata-vm: no payload disk"
fi
sync
echo o >/proc/sysrq-trigger
sleep 10
EOF
chmod 755 "$ROOT/sbin/strata-vm-init"
echo strata-vm >"$ROOT/etc/hostname"

# Booted with systemd (no init= on the command line): multi-user.target,
# then the payload's walk, then power off whatever its outcome; the host
# bounds the whole with its own time limit. What would only slow a boot
# under emulation, or fail without dbus, is masked: gettys (the console is
# the walk's), logind, the periodic timers.
cat >"$ROOT/etc/systemd/system/strata-vm.service" <<'EOF'
# SPDX-License-Identifier: BSD-3-Clause
# The strata test VM under systemd (tests/vm/image.sh): the payload's walk
[Unit]
Description=strata test VM: the payload's walk, then power off
After=multi-user.target
ConditionPathExists=/dev/vdb
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
ExecStartPre=/bin/mkdir -p /run/payload
ExecStartPre=/bin/mount -o ro /dev/vdb /run/payload
ExecStart=/bin/sh /run/payload/walk.sh
# straight to the serial console, without journald's prefixes
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
: >"$ROOT/etc/fstab" # the kernel mounts the root (root=, rw); nothing else
chroot "$ROOT" systemctl set-default multi-user.target >&2
chroot "$ROOT" systemctl enable strata-vm.service >&2
chroot "$ROOT" systemctl mask getty.target systemd-logind.service \
	apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
	e2scrub_all.timer e2scrub_reap.service fstrim.timer >&2

kver=$(ls "$ROOT/lib/modules")
cp "$ROOT/boot/vmlinuz-$kver" "$WORK/vmlinuz"
cp "$ROOT/boot/initrd.img-$kver" "$WORK/initrd.img"
{
	echo "kernel $kver"
	echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) from $MIRROR ${SECURITY:+and $SECURITY}"
	# shellcheck disable=SC2086 # one word per package
	chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' \
		"linux-image-$kver" $PKGS $SYSTEMD_PKGS
} >"$WORK/manifest.new"
chroot "$ROOT" dpkg-query -W -f '${Package}\n${Provides}\n' |
	tr ',' '\n' | sed 's/(.*//; s/:.*//; s/[[:space:]]//g' | sed '/^$/d' |
	sort -u >"$WORK/provides"

rm -rf "$ROOT/var/lib/apt/lists/"* "$ROOT/var/cache/apt/"*.bin
# mke2fs copies the tree with its owners and modes: no loop mount, no mount privilege
mke2fs -q -t ext4 -L strata-root -d "$ROOT" "$WORK/root.img" 2G >&2
rm -rf "$ROOT" "$WORK"/*.log
mv "$WORK/manifest.new" "$WORK/manifest"
mv "$WORK" "$DIR"
trap - EXIT INT TERM
log "built $DIR: $(head -1 "$DIR/manifest")"
echo "$DIR"
