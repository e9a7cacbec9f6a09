/* SPDX-License-Identifier: BSD-3-Clause */
#include "xdp_loader.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <strata/xsk_meta.h>

#include "log.h"
#include "strata.skel.h"
#include "strata_rxmeta.skel.h"

/* Linux 6.3 uapi; Debian 12's headers predate it */
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif
/* the directory, a prefix and an interface or file name (NAME_MAX) */
#define PIN_PATH_MAX (CFG_PATH_MAX + 8 + 256)
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

/* The maps all interfaces' programs share: pinned under these names. */
static const char *const shared_maps[] = {
	"strata_snap", "strata_act", "strata_svc",  "strata_ctr",
	"strata_pol",  "strata_acl4", "strata_acl6", "strata_rl",
};

static int *
shared_fd(struct xdp_state *x, unsigned int i)
{
	int *fds[] = {&x->snap_fd, &x->act_fd, &x->svc_fd,  &x->ctr_fd,
		      &x->pol_fd,  &x->acl4_fd, &x->acl6_fd, &x->rl_fd};

	_Static_assert(STRATA_ARRAY_SIZE(fds) == STRATA_ARRAY_SIZE(shared_maps), "shared maps");
	return fds[i];
}

static void
pin_path(const struct xdp_state *x, const char *prefix, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s%s", x->pin_dir, prefix, name);
}

/*
 * A pinned object, only when stratad's own: pinned by our effective uid and
 * writable by no one else (the directory's check keeps others from putting
 * one there; this one keeps a file root's other tools pinned). @return the
 * fd, or -errno (-ENOENT: nothing pinned there).
 */
static int
pin_get(const char *path)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0)
		return -errno;
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warn("%s is not stratad's (owner uid %u, mode %04o): not adopted", path,
			 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	fd = bpf_obj_get(path);
	return fd >= 0 ? fd : -errno;
}

/*
 * The bpffs directory @dir: made (mode 0700) when missing, used only when it
 * is ours: a directory owned by our effective uid that no one else can write,
 * like the shared memory (lib/shmcheck.c). A directory that is not on a bpffs
 * (`ip netns exec` mounts a fresh /sys, systemd's sandboxing its own) means
 * running unpinned, with a warning. @return 0 or -errno (stratad stops).
 */
static int
pin_open(struct xdp_state *x, const char *dir)
{
	char parent[CFG_PATH_MAX], *slash;
	struct statfs sfs;
	struct stat st;

	x->pin_dir[0] = '\0';
	if (dir[0] == '\0')
		return 0; /* bpffs none */
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash != NULL && slash != parent)
		*slash = '\0';
	else if (slash != NULL)
		slash[1] = '\0';
	if ((statfs(dir, &sfs) != 0 && statfs(parent, &sfs) != 0) ||
	    (__u32)sfs.f_type != BPF_FS_MAGIC) {
		log_warn("%s is not on a bpffs: the XDP program is not pinned and stops with "
			 "stratad, and a restart has a gap (hint: mount -t bpf bpf %s, or a "
			 "'bpffs DIR' line on one; docs/xdp.md)",
			 dir, parent);
		return 0;
	}
	if (mkdir(dir, 0700) == 0) {
		/* the umask may have taken bits away, never added any: make it exact */
		if (chmod(dir, 0700) != 0)
			log_warn("%s: chmod: %s", dir, strerror(errno));
	} else if (errno != EEXIST) {
		/* systemd's ProtectKernelTunables= makes /sys, its bpffs included, read-only */
		log_warn("cannot make the bpffs directory %s: %s: the XDP program is not pinned "
			 "and stops with stratad, and a restart has a gap (hint: under systemd, "
			 "ReadWritePaths=/sys/fs/bpf and no ProtectKernelTunables=; docs/xdp.md)",
			 dir, strerror(errno));
		return 0;
	}
	if (lstat(dir, &st) != 0) {
		log_warn("bpffs directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warn("bpffs directory %s is not stratad's (%s, owner uid %u, mode %04o): "
			 "whoever can write it decides what the XDP program serves, so stratad "
			 "uses only its own (hint: remove it, and stratad makes it anew)",
			 dir, S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
			 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	snprintf(x->pin_dir, sizeof(x->pin_dir), "%s", dir);
	return 0;
}

/* Whether the pinned map @fd is what @map would be: type, sizes, flags. */
static int
map_compatible(int fd, const struct bpf_map *map)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
		return 0;
	return info.type == bpf_map__type(map) && info.key_size == bpf_map__key_size(map) &&
	       info.value_size == bpf_map__value_size(map) &&
	       info.max_entries == bpf_map__max_entries(map) &&
	       info.map_flags == bpf_map__map_flags(map);
}

/*
 * The XSKMAP of @xi's program: the one strata pinned before when it has this
 * layout, so that the AF_XDP sockets strata-nts put in it stay there across
 * the restart and NTS requests keep reaching them (docs/nts.md). One of
 * another layout is unpinned, and strata-nts's sockets then go in again when
 * it restarts. @return 1 adopted, 0 the object makes its own, -errno.
 */
static int
adopt_xsks(struct xdp_state *x, struct bpf_object *obj, const struct xdp_iface *xi)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "strata_xsks");
	char path[PIN_PATH_MAX];
	int fd, err;

	pin_path(x, STRATA_XSKS_PIN, xi->ifname, path, sizeof(path));
	fd = pin_get(path);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (!map_compatible(fd, map)) {
		log_info("%s: the pinned AF_XDP socket map is not this stratad's layout: "
			 "replaced (restart strata-nts to serve NTS on it)", xi->ifname);
		close(fd);
		unlink(path);
		return 0;
	}
	err = bpf_map__reuse_fd(map, fd);
	close(fd);
	return err != 0 ? err : 1;
}

/*
 * Adopt the shared maps a running strata pinned, so that its snapshot,
 * counters and limiter state go on: all of them, or none. Pinned maps of
 * another layout (another version) are unpinned and replaced: the program
 * then starts over from an empty snapshot, a gap, logged. @return 1 when
 * adopted, 0 when the object makes its own, -errno.
 */
static int
adopt_maps(struct xdp_state *x, struct bpf_object *obj)
{
	int fds[STRATA_ARRAY_SIZE(shared_maps)];
	unsigned int i, found = 0, ok = 0;
	char path[PIN_PATH_MAX];
	int err = 0;

	for (i = 0; i < STRATA_ARRAY_SIZE(shared_maps); i++) {
		pin_path(x, "", shared_maps[i], path, sizeof(path));
		fds[i] = pin_get(path);
		if (fds[i] == -EPERM)
			err = -EPERM;
		if (fds[i] < 0)
			continue;
		found++;
		ok += map_compatible(fds[i], bpf_object__find_map_by_name(obj, shared_maps[i]));
	}
	if (err == 0 && found == STRATA_ARRAY_SIZE(shared_maps) && ok == found) {
		for (i = 0; i < STRATA_ARRAY_SIZE(shared_maps) && err == 0; i++)
			err = bpf_map__reuse_fd(bpf_object__find_map_by_name(obj, shared_maps[i]),
						fds[i]);
	} else if (err == 0 && found > 0) {
		log_warn("%s: the pinned maps are not this stratad's layout (another version): "
			 "replacing them; the XDP program starts over from an empty snapshot, "
			 "counters and limiter (a gap until the first publish)",
			 x->pin_dir);
		for (i = 0; i < STRATA_ARRAY_SIZE(shared_maps); i++) {
			pin_path(x, "", shared_maps[i], path, sizeof(path));
			unlink(path);
		}
	}
	for (i = 0; i < STRATA_ARRAY_SIZE(shared_maps); i++)
		if (fds[i] >= 0)
			close(fds[i]); /* reuse_fd took its own copy */
	if (err != 0)
		return err;
	return found == STRATA_ARRAY_SIZE(shared_maps) && ok == found;
}

/* Pin the shared maps the first object made: all or none. @return 0 or -errno, logged. */
static int
pin_maps(struct xdp_state *x)
{
	char path[PIN_PATH_MAX];
	unsigned int i;

	for (i = 0; i < STRATA_ARRAY_SIZE(shared_maps); i++) {
		pin_path(x, "", shared_maps[i], path, sizeof(path));
		unlink(path);
		if (bpf_obj_pin(*shared_fd(x, i), path) != 0) {
			int err = -errno;

			log_warn("cannot pin %s: %s", path, strerror(errno));
			while (i-- > 0) {
				pin_path(x, "", shared_maps[i], path, sizeof(path));
				unlink(path);
			}
			return err;
		}
	}
	return 0;
}

static size_t
snap_map_len(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return (sizeof(struct snap) + (size_t)page - 1) & ~((size_t)page - 1);
}

/* Keep libbpf's verifier logs for the debug log, its warnings as warnings. */
static int
libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	if (level == LIBBPF_WARN)
		log_warn("libbpf: %s", line);
	else
		log_debug("libbpf: %s", line);
	return 0;
}

/*
 * Open one object from its embedded ELF bytes; the maps of the first
 * interface are reused by the others so that all share one snapshot.
 */
static struct bpf_object *
open_obj(struct xdp_state *x, struct xdp_iface *xi, int rx_meta, int quiet)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "strata");
	struct bpf_program *prog;
	struct bpf_object *obj;
	const void *elf;
	size_t sz;
	int err;

	if (x->obj_override != NULL) {
		/*
		 * STRATA_XDP_OBJECT: a benchmark's or ablation's build in place of
		 * both variants, tried as both: bound to the device first, as the
		 * RX-metadata one is (a build without the kfunc loads so too)
		 */
		obj = bpf_object__open_file(x->obj_override, &opts);
	} else {
		elf = rx_meta ? strata_rxmeta_bpf__elf_bytes(&sz) : strata_bpf__elf_bytes(&sz);
		obj = bpf_object__open_mem(elf, sz, &opts);
	}
	if (obj == NULL)
		return NULL;
	prog = bpf_object__find_program_by_name(obj, "strata_xdp");
	if (prog == NULL) {
		err = -ENOENT;
		goto fail;
	}
	if (rx_meta) {
		/* metadata kfuncs are driver code: the program is bound to its device */
		bpf_program__set_ifindex(prog, (__u32)xi->ifindex);
		bpf_program__set_flags(prog, BPF_F_XDP_DEV_BOUND_ONLY);
	}
	if (x->snap_fd >= 0) {
		const struct {
			const char *name;
			int fd;
		} shared[] = {
			{"strata_snap", x->snap_fd}, {"strata_svc", x->svc_fd},
			{"strata_ctr", x->ctr_fd},   {"strata_pol", x->pol_fd},
			{"strata_acl4", x->acl4_fd}, {"strata_acl6", x->acl6_fd},
			{"strata_rl", x->rl_fd},
		};
		unsigned int i;

		for (i = 0; i < STRATA_ARRAY_SIZE(shared); i++) {
			err = bpf_map__reuse_fd(bpf_object__find_map_by_name(obj, shared[i].name),
						shared[i].fd);
			if (err != 0)
				goto fail;
		}
	} else {
		err = bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "strata_rl"),
					       x->rl_tables);
		if (err != 0)
			goto fail;
		if (x->pin_dir[0] != '\0') {
			err = adopt_maps(x, obj);
			if (err < 0)
				goto fail;
			x->adopted = err;
		}
	}
	xi->adopted_xsks = 0;
	if (x->pin_dir[0] != '\0') {
		err = adopt_xsks(x, obj, xi);
		if (err < 0)
			goto fail;
		xi->adopted_xsks = err;
	}
	if (quiet)
		libbpf_set_print(NULL);
	err = bpf_object__load(obj);
	libbpf_set_print(libbpf_print);
	if (err != 0)
		goto fail;
	return obj;
fail:
	bpf_object__close(obj);
	errno = -err;
	return NULL;
}

static int
load_iface(struct xdp_state *x, struct xdp_iface *xi, const struct cfg *c)
{
	int generic = c->xdpmode == CFG_XDP_GENERIC;

	/*
	 * Probe rather than assume: the RX-metadata variant loads only on a
	 * kernel with the timestamp kfunc (6.3+). The kernel binds the kfunc to
	 * the device's driver; one without the metadata op makes it return an
	 * error at run time, and the program then stamps with the kernel clock.
	 * Generic XDP runs after the driver, without its metadata.
	 */
	xi->obj = NULL;
	if (!generic)
		xi->obj = open_obj(x, xi, 1, 1);
	if (xi->obj != NULL) {
		xi->rx_meta = 1;
	} else {
		if (!generic)
			log_info("%s: the kernel has no XDP receive-timestamp kfunc (Linux 6.3+): "
				 "receive stamps from the kernel clock",
				 xi->ifname);
		xi->obj = open_obj(x, xi, 0, 0);
		if (xi->obj == NULL) {
			int err = errno;

			log_warn("%s: the kernel refused the XDP program: %s (run with -v for the "
				 "verifier log; needs Linux 5.10+ with BPF JIT and CAP_BPF)",
				 xi->ifname, strerror(err));
			return -err;
		}
	}
	xi->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(xi->obj, "strata_xdp"));
	if (x->pin_dir[0] != '\0' && !xi->adopted_xsks) {
		char path[PIN_PATH_MAX];

		pin_path(x, STRATA_XSKS_PIN, xi->ifname, path, sizeof(path));
		unlink(path);
		if (bpf_obj_pin(bpf_object__find_map_fd_by_name(xi->obj, "strata_xsks"), path) != 0)
			log_warn("%s: cannot pin the AF_XDP socket map at %s: %s: strata-nts "
				 "cannot serve NTS on it", xi->ifname, path, strerror(errno));
	}
	return 0;
}

/*
 * The link a running strata pinned for @xi, when it still holds the program
 * on that interface in the configured mode: the new program replaces the old
 * one in it with bpf_link_update(), so that some program answers at every
 * moment. A stale one (the interface was recreated, or the mode changed) is
 * detached and unpinned. @return 1 when taken over, 0 when there is none.
 */
static int
adopt_link(struct xdp_iface *xi, const struct cfg *c, const char *path)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	__u8 mode = c->xdpmode == CFG_XDP_GENERIC ? XDP_ATTACHED_SKB : XDP_ATTACHED_DRV;
	int fd = pin_get(path);

	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == BPF_LINK_TYPE_XDP &&
	    (int)info.xdp.ifindex == xi->ifindex &&
	    bpf_xdp_query(xi->ifindex, 0, &q) == 0 && q.attach_mode == mode) {
		if (bpf_link_update(fd, xi->prog_fd, NULL) == 0) {
			xi->link_fd = fd;
			return 1;
		}
		log_warn("%s: cannot swap the new program into the pinned link: %s; attaching "
			 "anew (a gap)", xi->ifname, strerror(errno));
	} else {
		log_info("%s: the pinned XDP link is for another interface or mode: replaced",
			 xi->ifname);
	}
	bpf_link_detach(fd);
	close(fd);
	unlink(path);
	return 0;
}

/*
 * Through a bpf_link rather than netlink: the kernel detaches the program
 * when the link's last reference goes, so detaching needs no capability
 * after the privilege drop. Pinned in the bpffs directory, the link (and so
 * the program, answering from the last snapshot) outlives stratad.
 */
static int
attach_iface(struct xdp_state *x, struct xdp_iface *xi, const struct cfg *c)
{
	/* a link never replaces a program someone else attached: EBUSY (net/core/dev.c) */
	LIBBPF_OPTS(bpf_link_create_opts, opts,
		    .flags = c->xdpmode == CFG_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	char path[PIN_PATH_MAX];
	int err;

	xi->adopted_link = 0;
	if (x->pin_dir[0] != '\0') {
		pin_path(x, "link_", xi->ifname, path, sizeof(path));
		if (adopt_link(xi, c, path)) {
			xi->adopted_link = 1;
			return 0;
		}
	}
	xi->link_fd = bpf_link_create(xi->prog_fd, xi->ifindex, BPF_XDP, &opts);
	if (xi->link_fd >= 0) {
		if (x->pin_dir[0] != '\0' && bpf_obj_pin(xi->link_fd, path) != 0)
			log_warn("%s: cannot pin the XDP link at %s: %s: the program stops with "
				 "stratad", xi->ifname, path, strerror(errno));
		return 0;
	}
	err = -errno;
	if (err == -EBUSY || err == -EEXIST)
		log_warn("%s: another XDP program is attached; remove it first "
			 "(ip link set dev %s xdp off)", xi->ifname, xi->ifname);
	else if (c->xdpmode == CFG_XDP_NATIVE && (err == -EOPNOTSUPP || err == -EINVAL))
		log_warn("%s: the driver cannot run XDP natively (%s); "
			 "set 'xdpmode generic' to run it in the kernel after the driver",
			 xi->ifname, strerror(-err));
	else
		log_warn("%s: cannot attach XDP: %s", xi->ifname, strerror(-err));
	return err;
}

/*
 * The interface's link-layer address, looked up by index so that a renamed
 * interface is still found. Once a second at most: a socket each time keeps
 * no descriptor open. @return 0 or -errno.
 */
static int
read_mac(int ifindex, __u8 mac[6])
{
	struct ifreq ifr;
	int sock, err = 0;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = ifindex;
	if (ioctl(sock, SIOCGIFNAME, &ifr) != 0 || ioctl(sock, SIOCGIFHWADDR, &ifr) != 0)
		err = -errno;
	else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		err = -EAFNOSUPPORT;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(sock);
	return err;
}

/* Give the program of @xi its interface's MAC; @return 0 or -errno, logged. */
static int
set_mac(struct xdp_iface *xi)
{
	struct strata_iface v;
	int err;

	memset(&v, 0, sizeof(v));
	err = read_mac(xi->ifindex, v.mac);

	if (err == -EAFNOSUPPORT) {
		log_warn("%s: not an Ethernet interface: strata answers Ethernet frames only",
			 xi->ifname);
		return err;
	}
	if (err != 0) {
		log_warn("%s: cannot read its MAC address: %s", xi->ifname, strerror(-err));
		return err;
	}
	if (memcmp(v.mac, xi->mac, 6) == 0)
		return 0;
	if (bpf_map_update_elem(xi->if_fd, &(__u32){0}, &v, BPF_ANY) != 0) {
		err = -errno;
		log_warn("%s: cannot write the interface map: %s", xi->ifname, strerror(errno));
		return err;
	}
	/* the first time is the attach message's business */
	if (xi->mac[0] | xi->mac[1] | xi->mac[2] | xi->mac[3] | xi->mac[4] | xi->mac[5])
		log_info("%s: MAC address now %02x:%02x:%02x:%02x:%02x:%02x; replies follow it",
			 xi->ifname, v.mac[0], v.mac[1], v.mac[2], v.mac[3], v.mac[4], v.mac[5]);
	memcpy(xi->mac, v.mac, 6);
	return 0;
}

void
xdp_follow_mac(struct xdp_state *x, __u64 mono_ns)
{
	unsigned int i;

	if (x->n_ifs == 0 || mono_ns - x->mac_checked_ns < 1000000000ull)
		return;
	x->mac_checked_ns = mono_ns;
	/* a failure is logged and the last MAC kept: the interface may be on its way back */
	for (i = 0; i < x->n_ifs; i++)
		set_mac(&x->ifs[i]);
}

/* Each CPU's limiter table, with its own leak generator state. */
static int
init_limiter(const struct xdp_state *x)
{
	struct strata_rl_table *t;
	unsigned int i;
	int err = 0;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (i = 0; i < x->rl_tables && err == 0; i++) {
		if (getrandom(&t->rng, sizeof(t->rng), 0) != sizeof(t->rng))
			err = -errno;
		else if (bpf_map_update_elem(x->rl_fd, &i, t, BPF_ANY) != 0)
			err = -errno;
	}
	free(t);
	if (err != 0)
		log_warn("cannot set up the rate limiter: %s", strerror(-err));
	return err;
}

/*
 * Empty set @set of one LPM trie of access list rules (@key_len octets each,
 * the set in the octet after the prefix length in both families' keys). The keys are gathered
 * first: deleting while walking would restart the walk at each deletion.
 */
static int
clear_acl(int fd, size_t key_len, __u32 set)
{
	__u8 key[sizeof(struct strata_acl6_key)], *keys;
	unsigned int n = 0, i;
	int err = 0;

	keys = calloc(2 * STRATA_ACL_MAX, key_len);
	if (keys == NULL)
		return -ENOMEM;
	while (n < 2 * STRATA_ACL_MAX &&
	       bpf_map_get_next_key(fd, n == 0 ? NULL : keys + (n - 1) * key_len,
				    keys + n * key_len) == 0)
		n++;
	for (i = 0; i < n && err == 0; i++) {
		memcpy(key, keys + i * key_len, key_len);
		if (key[offsetof(struct strata_acl4_key, set)] == set &&
		    bpf_map_delete_elem(fd, key) != 0)
			err = -errno;
	}
	free(keys);
	return err;
}

/*
 * Wait until no program still runs with what it read before: an update of a
 * map-in-map returns only after synchronize_rcu() (maybe_wait_bpf_programs()
 * in kernel/bpf/syscall.c; the BPF selftests' kern_sync_rcu() uses the same),
 * and XDP programs run inside an RCU read-side section (softirq). The maps
 * are made once, before the privilege drop; the update needs no privilege.
 */
static int
wait_programs(struct xdp_state *x)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	__u32 key = 0;

	if (x->sync_fd < 0) {
		x->sync_inner_fd =
			bpf_map_create(BPF_MAP_TYPE_ARRAY, "strata_sync_in", 4, 4, 1, NULL);
		if (x->sync_inner_fd < 0)
			return -errno;
		opts.inner_map_fd = (__u32)x->sync_inner_fd;
		x->sync_fd =
			bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "strata_sync", 4, 4, 1, &opts);
		if (x->sync_fd < 0)
			return -errno;
	}
	return bpf_map_update_elem(x->sync_fd, &key, &x->sync_inner_fd, BPF_ANY) == 0 ? 0 : -errno;
}

int
xdp_stage(struct xdp_state *x, const struct strata_fastcfg *fc)
{
	struct strata_policy_conf pc;
	__u32 next = x->set ^ 1;
	unsigned int i;
	int err;

	/*
	 * What a stratad killed half way through a reload left in the inactive
	 * set. No program reads it: the flip that left it was waited for long
	 * ago, or never happened.
	 */
	err = clear_acl(x->acl4_fd, sizeof(struct strata_acl4_key), next);
	if (err == 0)
		err = clear_acl(x->acl6_fd, sizeof(struct strata_acl6_key), next);
	for (i = 0; i < fc->n_acl && err == 0; i++) {
		const struct strata_acl_rule *a = &fc->acl[i];
		__u32 action = a->action;

		if (a->family == 4) {
			struct strata_acl4_key k = {.prefixlen = 8u + a->prefixlen,
						    .set = (__u8)next};

			memcpy(k.addr, a->addr, sizeof(k.addr));
			err = bpf_map_update_elem(x->acl4_fd, &k, &action, BPF_ANY) ? -errno : 0;
		} else {
			struct strata_acl6_key k = {.prefixlen = 8u + a->prefixlen,
						    .set = (__u8)next};

			memcpy(k.addr, a->addr, sizeof(k.addr));
			err = bpf_map_update_elem(x->acl6_fd, &k, &action, BPF_ANY) ? -errno : 0;
		}
	}
	if (err != 0) {
		log_warn("cannot write the access list maps: %s", strerror(-err));
		return err;
	}
	if (bpf_map_update_elem(x->svc_fd, &next, &fc->svc, BPF_ANY) != 0) {
		err = -errno;
		log_warn("cannot write the service map: %s", strerror(errno));
		return err;
	}
	/* the limiter's ticks are the program's 2^20 ns */
	strata_fastcfg_policy(fc, 1048576e-9, &pc);
	if (bpf_map_update_elem(x->pol_fd, &next, &pc, BPF_ANY) != 0) {
		err = -errno;
		log_warn("cannot write the policy map: %s", strerror(errno));
		return err;
	}
	return 0;
}

int
xdp_flip(struct xdp_state *x)
{
	__u32 key = 0, next = x->set ^ 1;
	int err;

	/* one store: each packet reads it once, then takes all from that set */
	if (bpf_map_update_elem(x->act_fd, &key, &next, BPF_ANY) != 0) {
		err = -errno;
		log_warn("cannot switch the XDP configuration set: %s", strerror(errno));
		return err;
	}
	x->set = next;
	err = wait_programs(x);
	if (err != 0) {
		/* the old set stays as it is; the next stage clears it */
		log_warn("cannot wait for the XDP programs in flight: %s", strerror(-err));
		return 0;
	}
	err = clear_acl(x->acl4_fd, sizeof(struct strata_acl4_key), next ^ 1);
	if (err == 0)
		err = clear_acl(x->acl6_fd, sizeof(struct strata_acl6_key), next ^ 1);
	if (err != 0)
		log_warn("cannot empty the old access list set: %s", strerror(-err));
	return 0;
}

int
xdp_apply(struct xdp_state *x, const struct strata_fastcfg *fc)
{
	int err;

	if (x->n_ifs == 0 || fc->gen == x->gen)
		return 0;
	err = xdp_stage(x, fc);
	if (err == 0)
		err = xdp_flip(x);
	if (err == 0)
		x->gen = fc->gen;
	return err;
}

/* Whether @name is @prefix and the name of one of @x's interfaces. */
static int
own_pin(const struct xdp_state *x, const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	unsigned int i;

	for (i = 0; i < x->n_ifs; i++)
		if (strncmp(name, prefix, n) == 0 && strcmp(name + n, x->ifs[i].ifname) == 0)
			return 1;
	return 0;
}

/*
 * Detach and unpin the links of interfaces no longer configured (a listen
 * line removed between two runs): their programs would go on answering.
 * Their AF_XDP socket maps go too (strata-nts reads the configuration too).
 */
static void
drop_stale(const struct xdp_state *x)
{
	char path[PIN_PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(x->pin_dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		int fd;

		pin_path(x, "", e->d_name, path, sizeof(path));
		if (strncmp(e->d_name, STRATA_XSKS_PIN, strlen(STRATA_XSKS_PIN)) == 0 &&
		    !own_pin(x, e->d_name, STRATA_XSKS_PIN)) {
			unlink(path);
			continue;
		}
		if (strncmp(e->d_name, "link_", 5) != 0 || own_pin(x, e->d_name, "link_"))
			continue;
		fd = pin_get(path);
		if (fd < 0)
			continue;
		bpf_link_detach(fd);
		close(fd);
		unlink(path);
		log_info("%s: no listen line for it any more: XDP detached", e->d_name + 5);
	}
	closedir(d);
}

int
xdp_remove(const char *dir)
{
	char path[PIN_PATH_MAX];
	struct dirent *e;
	DIR *d;
	int err = 0;

	if (dir[0] == '\0')
		return 0;
	d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT) {
			log_info("%s: nothing pinned", dir);
			return 0;
		}
		log_warn("%s: %s", dir, strerror(errno));
		return -errno;
	}
	/* links first: the programs stop answering before their maps go */
	while ((e = readdir(d)) != NULL) {
		int fd;

		if (strncmp(e->d_name, "link_", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (bpf_link_detach(fd) != 0 && errno != ENOLINK) {
				err = -errno;
				log_warn("%s: cannot detach: %s", path, strerror(errno));
			} else {
				log_info("%s: XDP detached", e->d_name + 5);
			}
			close(fd);
		}
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) != 0) {
			err = -errno;
			log_warn("%s: cannot unpin: %s", path, strerror(errno));
		}
	}
	closedir(d);
	if (rmdir(dir) != 0 && err == 0) {
		err = -errno;
		log_warn("%s: %s", dir, strerror(errno));
	}
	if (err == 0)
		log_info("%s: unpinned and removed", dir);
	return err;
}

int
xdp_setup(struct xdp_state *x, const struct cfg *c, const struct strata_fastcfg *fc)
{
	unsigned int i;
	void *m;
	int err, ncpu;

	memset(x, 0, sizeof(*x));
	x->snap_fd = x->act_fd = x->svc_fd = x->ctr_fd = -1;
	x->pol_fd = x->acl4_fd = x->acl6_fd = x->rl_fd = -1;
	x->sync_fd = x->sync_inner_fd = -1;
	libbpf_set_print(libbpf_print);
	/*
	 * perf/xdp-cost times builds of the program with parts taken out
	 * (xdp/meson.build, "ablation"): the same maps and the same loader, so
	 * that the one thing that differs is the part taken out.
	 */
	x->obj_override = getenv("STRATA_XDP_OBJECT");
	if (x->obj_override != NULL && x->obj_override[0] == '\0')
		x->obj_override = NULL;
	if (x->obj_override != NULL)
		log_warn("STRATA_XDP_OBJECT: loading the XDP program from %s, not the built-in one "
			 "(for benchmarks only)",
			 x->obj_override);
	err = pin_open(x, c->bpffs);
	if (err != 0)
		return err;
	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	x->ncpu = (unsigned int)ncpu;
	/* a table per CPU whether or not a ratelimit line asks now: a reload may add one */
	x->rl_tables = x->ncpu;

	for (i = 0; i < c->n_listen; i++) {
		struct xdp_iface *xi = &x->ifs[x->n_ifs];

		xi->link_fd = -1;
		if (c->listen[i].dpdk)
			continue; /* strata-dpdk's */
		snprintf(xi->ifname, sizeof(xi->ifname), "%s", c->listen[i].ifname);
		xi->ifindex = (int)if_nametoindex(xi->ifname);
		if (xi->ifindex == 0) {
			err = -errno;
			log_warn("%s: no such interface (config line %u)", xi->ifname,
				 c->listen[i].line);
			goto fail;
		}
		err = load_iface(x, xi, c);
		if (err != 0)
			goto fail;
		x->n_ifs++;
		xi->if_fd = bpf_object__find_map_fd_by_name(xi->obj, "strata_if");
		err = set_mac(xi);
		if (err != 0)
			goto fail;
		if (x->snap_fd < 0) {
			unsigned int j;

			for (j = 0; j < STRATA_ARRAY_SIZE(shared_maps); j++)
				*shared_fd(x, j) =
					bpf_object__find_map_fd_by_name(xi->obj, shared_maps[j]);
			if (x->pin_dir[0] != '\0' && !x->adopted && pin_maps(x) != 0) {
				log_warn("%s: running unpinned: the XDP program stops with "
					 "stratad", x->pin_dir);
				x->pin_dir[0] = '\0';
			}
		}
	}
	if (x->adopted) {
		__u32 key = 0;

		/* the running configuration set: the next generation goes into the other */
		if (bpf_map_lookup_elem(x->act_fd, &key, &x->set) != 0)
			x->set = 0;
		x->set &= 1;
		log_info("%s: adopted the pinned XDP maps: the snapshot, counters and rate "
			 "limiter of the strata that ran before go on", x->pin_dir);
	}
	/* before the privilege drop: making a map-in-map needs CAP_BPF */
	err = wait_programs(x);
	if (err != 0) {
		log_warn("cannot make the map that waits for XDP programs in flight: %s",
			 strerror(-err));
		goto fail;
	}

	/* the snapshot is written in place through a shared mapping of the map */
	m = mmap(NULL, snap_map_len(), PROT_READ | PROT_WRITE, MAP_SHARED, x->snap_fd, 0);
	if (m == MAP_FAILED) {
		err = -errno;
		log_warn("cannot map the snapshot: %s", strerror(errno));
		goto fail;
	}
	x->snap = m;
	if (x->adopted)
		snap_adopt(x->snap); /* the one before may have died in the middle of a publish */
	else
		snap_init(x->snap);

	/* the configuration is in the maps before the first packet meets the program */
	err = x->adopted ? 0 : init_limiter(x);
	if (err == 0)
		err = xdp_apply(x, fc);
	if (err != 0)
		goto fail;

	for (i = 0; i < x->n_ifs; i++) {
		err = attach_iface(x, &x->ifs[i], c);
		if (err != 0)
			goto fail;
		log_info("%s: XDP %s (%s mode, answering frames to "
			 "%02x:%02x:%02x:%02x:%02x:%02x, receive stamps %s)",
			 x->ifs[i].ifname,
			 x->ifs[i].adopted_link   ? "program swapped into the pinned link"
			 : x->pin_dir[0] != '\0' ? "attached and pinned"
						  : "attached",
			 c->xdpmode == CFG_XDP_GENERIC ? "generic" : "native",
			 x->ifs[i].mac[0], x->ifs[i].mac[1], x->ifs[i].mac[2], x->ifs[i].mac[3],
			 x->ifs[i].mac[4], x->ifs[i].mac[5],
			 x->ifs[i].rx_meta ? "from the driver's RX metadata where it has them and a "
					     "PHC is mapped, else the kernel clock"
					   : "from the kernel clock");
	}
	if (x->pin_dir[0] != '\0')
		drop_stale(x);
	return 0;
fail:
	xdp_abandon(x);
	xdp_teardown(x);
	return err;
}

void
xdp_abandon(struct xdp_state *x)
{
	char path[PIN_PATH_MAX];
	unsigned int i;

	if (x->pin_dir[0] == '\0')
		return;
	for (i = 0; i < x->n_ifs; i++) {
		if (!x->ifs[i].adopted_xsks) {
			pin_path(x, STRATA_XSKS_PIN, x->ifs[i].ifname, path, sizeof(path));
			unlink(path);
		}
		if (x->ifs[i].link_fd < 0 || x->ifs[i].adopted_link)
			continue;
		pin_path(x, "link_", x->ifs[i].ifname, path, sizeof(path));
		unlink(path);
	}
	if (x->adopted || x->snap_fd < 0)
		return;
	for (i = 0; i < STRATA_ARRAY_SIZE(shared_maps); i++) {
		pin_path(x, "", shared_maps[i], path, sizeof(path));
		unlink(path);
	}
}

void
xdp_teardown(struct xdp_state *x)
{
	unsigned int i;

	for (i = 0; i < x->n_ifs; i++) {
		struct xdp_iface *xi = &x->ifs[i];

		if (xi->link_fd >= 0)
			close(xi->link_fd);
		xi->link_fd = -1;
	}
	if (x->snap != NULL)
		munmap(x->snap, snap_map_len());
	x->snap = NULL;
	for (i = 0; i < x->n_ifs; i++)
		bpf_object__close(x->ifs[i].obj);
	x->n_ifs = 0;
	if (x->sync_fd >= 0)
		close(x->sync_fd);
	if (x->sync_inner_fd >= 0)
		close(x->sync_inner_fd);
	x->sync_fd = x->sync_inner_fd = -1;
}

int
xdp_read_counters(const struct xdp_state *x, struct strata_counters *out, unsigned int max)
{
	struct strata_counters *v;
	__u32 key = 0;
	unsigned int n = x->ncpu < max ? x->ncpu : max;
	int err = 0;

	v = calloc(x->ncpu, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	/* a per-CPU map value comes back as one copy per possible CPU */
	if (bpf_map_lookup_elem(x->ctr_fd, &key, v) != 0)
		err = -errno;
	else
		memcpy(out, v, n * sizeof(*v));
	free(v);
	return err != 0 ? err : (int)n;
}
