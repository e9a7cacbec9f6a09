/* SPDX-License-Identifier: BSD-3-Clause */
#include "xdp_loader.h"

#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "log.h"
#include "strata.skel.h"
#include "strata_rxmeta.skel.h"

/* Linux 6.3 uapi; Debian 12's headers predate it */
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

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
open_obj(const struct xdp_state *x, int rx_meta, int ifindex, int quiet)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "strata");
	struct bpf_program *prog;
	struct bpf_object *obj;
	const void *elf;
	size_t sz;
	int err;

	elf = rx_meta ? strata_rxmeta_bpf__elf_bytes(&sz) : strata_bpf__elf_bytes(&sz);
	obj = bpf_object__open_mem(elf, sz, &opts);
	if (obj == NULL)
		return NULL;
	prog = bpf_object__find_program_by_name(obj, "strata_xdp");
	if (prog == NULL) {
		err = -ENOENT;
		goto fail;
	}
	if (rx_meta) {
		/* metadata kfuncs are driver code: the program is bound to its device */
		bpf_program__set_ifindex(prog, (__u32)ifindex);
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
		xi->obj = open_obj(x, 1, xi->ifindex, 1);
	if (xi->obj != NULL) {
		xi->rx_meta = 1;
	} else {
		if (!generic)
			log_info("%s: the kernel has no XDP receive-timestamp kfunc (Linux 6.3+): "
				 "receive stamps from the kernel clock",
				 xi->ifname);
		xi->obj = open_obj(x, 0, 0, 0);
		if (xi->obj == NULL) {
			int err = errno;

			log_warn("%s: the kernel refused the XDP program: %s (run with -v for the "
				 "verifier log; needs Linux 5.10+ with BPF JIT and CAP_BPF)",
				 xi->ifname, strerror(err));
			return -err;
		}
	}
	xi->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(xi->obj, "strata_xdp"));
	return 0;
}

/*
 * Through a bpf_link rather than netlink: the kernel detaches the program
 * when the link's last fd closes, so detaching needs no capability after the
 * privilege drop, and a stratad that dies cannot leave a program behind
 * answering from a frozen snapshot.
 */
static int
attach_iface(struct xdp_iface *xi, const struct cfg *c)
{
	/* a link never replaces a program someone else attached: EBUSY (net/core/dev.c) */
	LIBBPF_OPTS(bpf_link_create_opts, opts,
		    .flags = c->xdpmode == CFG_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	int err;

	xi->link_fd = bpf_link_create(xi->prog_fd, xi->ifindex, BPF_XDP, &opts);
	if (xi->link_fd >= 0)
		return 0;
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

/* Empty one LPM trie of access list rules (@key_len octets each). */
static int
clear_acl(int fd, size_t key_len)
{
	__u8 key[sizeof(struct strata_acl6_key)], next[sizeof(struct strata_acl6_key)];

	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, key_len);
		if (bpf_map_delete_elem(fd, key) != 0)
			return -errno;
	}
	return errno == ENOENT ? 0 : -errno;
}

int
xdp_apply(struct xdp_state *x, const struct strata_fastcfg *fc)
{
	struct strata_policy_conf pc;
	unsigned int i;
	int err;

	if (x->n_ifs == 0 || fc->gen == x->gen)
		return 0;
	if (bpf_map_update_elem(x->svc_fd, &(__u32){0}, &fc->svc, BPF_ANY) != 0) {
		err = -errno;
		log_warn("cannot write the service map: %s", strerror(errno));
		return err;
	}
	err = clear_acl(x->acl4_fd, sizeof(struct strata_acl4_key));
	if (err == 0)
		err = clear_acl(x->acl6_fd, sizeof(struct strata_acl6_key));
	for (i = 0; i < fc->n_acl && err == 0; i++) {
		const struct strata_acl_rule *a = &fc->acl[i];
		__u32 action = a->action;

		if (a->family == 4) {
			struct strata_acl4_key k = {.prefixlen = a->prefixlen};

			memcpy(k.addr, a->addr, sizeof(k.addr));
			err = bpf_map_update_elem(x->acl4_fd, &k, &action, BPF_ANY) ? -errno : 0;
		} else {
			struct strata_acl6_key k = {.prefixlen = a->prefixlen};

			memcpy(k.addr, a->addr, sizeof(k.addr));
			err = bpf_map_update_elem(x->acl6_fd, &k, &action, BPF_ANY) ? -errno : 0;
		}
	}
	if (err != 0) {
		log_warn("cannot write the access list maps: %s", strerror(-err));
		return err;
	}
	/* the limiter's ticks are the program's 2^20 ns */
	strata_fastcfg_policy(fc, 1048576e-9, &pc);
	if (bpf_map_update_elem(x->pol_fd, &(__u32){0}, &pc, BPF_ANY) != 0) {
		err = -errno;
		log_warn("cannot write the policy map: %s", strerror(errno));
		return err;
	}
	x->gen = fc->gen;
	return 0;
}

int
xdp_setup(struct xdp_state *x, const struct cfg *c, const struct strata_fastcfg *fc)
{
	unsigned int i;
	void *m;
	int err, ncpu;

	memset(x, 0, sizeof(*x));
	x->snap_fd = x->svc_fd = x->ctr_fd = -1;
	x->pol_fd = x->acl4_fd = x->acl6_fd = x->rl_fd = -1;
	libbpf_set_print(libbpf_print);
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
			x->snap_fd = bpf_object__find_map_fd_by_name(xi->obj, "strata_snap");
			x->svc_fd = bpf_object__find_map_fd_by_name(xi->obj, "strata_svc");
			x->ctr_fd = bpf_object__find_map_fd_by_name(xi->obj, "strata_ctr");
			x->pol_fd = bpf_object__find_map_fd_by_name(xi->obj, "strata_pol");
			x->acl4_fd = bpf_object__find_map_fd_by_name(xi->obj, "strata_acl4");
			x->acl6_fd = bpf_object__find_map_fd_by_name(xi->obj, "strata_acl6");
			x->rl_fd = bpf_object__find_map_fd_by_name(xi->obj, "strata_rl");
		}
	}

	/* the snapshot is written in place through a shared mapping of the map */
	m = mmap(NULL, snap_map_len(), PROT_READ | PROT_WRITE, MAP_SHARED, x->snap_fd, 0);
	if (m == MAP_FAILED) {
		err = -errno;
		log_warn("cannot map the snapshot: %s", strerror(errno));
		goto fail;
	}
	x->snap = m;
	snap_init(x->snap);

	/* the configuration is in the maps before the first packet meets the program */
	err = init_limiter(x);
	if (err == 0)
		err = xdp_apply(x, fc);
	if (err != 0)
		goto fail;

	for (i = 0; i < x->n_ifs; i++) {
		err = attach_iface(&x->ifs[i], c);
		if (err != 0)
			goto fail;
		log_info("%s: XDP attached (%s mode, answering frames to "
			 "%02x:%02x:%02x:%02x:%02x:%02x, receive stamps %s)",
			 x->ifs[i].ifname, c->xdpmode == CFG_XDP_GENERIC ? "generic" : "native",
			 x->ifs[i].mac[0], x->ifs[i].mac[1], x->ifs[i].mac[2], x->ifs[i].mac[3],
			 x->ifs[i].mac[4], x->ifs[i].mac[5],
			 x->ifs[i].rx_meta ? "from the driver's RX metadata where it has them and a "
					     "PHC is mapped, else the kernel clock"
					   : "from the kernel clock");
	}
	return 0;
fail:
	xdp_teardown(x);
	return err;
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
