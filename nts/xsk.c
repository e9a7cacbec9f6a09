/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-nts's AF_XDP child (docs/nts.md, "XDP"). The XDP program answers
 * plain NTP itself; an NTS request (RFC 8915 section 5.7) that its policy
 * let through it redirects, with its receive stamp in the frame's metadata
 * (include/strata/xsk_meta.h), to the AF_XDP socket on the queue it came in
 * on. This child owns those sockets: one per receive queue of every
 * "listen xdp" interface, each in the interface's XSKMAP that stratad pins
 * (xsks_IFACE), each with its own UMEM. It answers through the one reply
 * builder and lib/nts (strata_reply_nts()) and sends the answer back out of
 * the same socket, so the same queue.
 *
 * One thread per socket, each with its own lib/nts server state and its own
 * counter row: a NIC spreads its clients over its queues (RSS), and N
 * queues get N cores of NTS. The main thread serves the first socket, so
 * one queue (veth) means one thread. A thread makes no syscall per packet:
 * per burst the transmit kick (sendto) when the ring asks for a wakeup, and
 * poll() only when a round found nothing to do. The stamps come from the
 * vDSO (clock_gettime: no syscall).
 *
 * Wake-ups, not the crypto, were the cost (docs/performance.md, "NTS"): at
 * 20000 requests/s the kernel woke the thread for nearly every request, and
 * each wake-up, poll() and transmit kick cost more than the four AES-SIV
 * operations of the reply. So after a round that found work at a high
 * arrival rate the thread sleeps a bounded WAIT_NS before the next round,
 * and one wake-up serves the requests that came meanwhile; at low rates it
 * answers at once. That is safe for the time it serves: the receive stamp
 * is the XDP program's, taken before the request waits (the frame's
 * metadata), and the transmit stamp is read just before the reply is
 * sealed, so the wait lies between T2 and T3 and adds to the client's
 * round-trip delay, never to its offset (RFC 5905 section 8).
 *
 * Setup needs root (CAP_NET_RAW for the sockets, CAP_BPF and the bpffs for
 * the map); then the child drops to the configured user and keeps no
 * capability. The sockets stay in the map while stratad restarts (it adopts
 * the pinned map); closing one takes it out of the map (Linux
 * net/xdp/xsk.c xsk_delete_from_maps()), so a dead child leaves no socket
 * that swallows requests, and the XDP program's fallback hands them to the
 * kernel until the supervisor has started a new one.
 */
#include "xsk.h"

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include <strata/reply_nts.h>
#include <strata/xsk_meta.h>

#include "log.h"
#include "nts.h"
#include "privdrop.h"

/* a 1500-octet frame after the kernel's XDP_PACKET_HEADROOM (256) and the metadata */
#define FRAME_SIZE 2048
#define NUM_FRAMES 2048 /* 4 MiB of UMEM per socket: half in the fill ring, half in flight */
#define RING_SIZE 1024	/* fill, completion, rx and tx rings */
#define BATCH 64
#define IDLE_MS 100 /* poll()'s timeout: SIGTERM and new keys are seen within it */
/*
 * The wait between rounds at a high rate: the most a request waits in the
 * ring for company, beside the burst served before it (RING_SIZE frames
 * hold 200 us at 5 million requests/s). The timer slack (the kernel's default
 * is 50 us) bounds how late the wake-up may come.
 */
#define WAIT_NS 200000
#define WAIT_SLACK_NS 10000
#define PASS_LOG_NS (60 * 1000000000ull)
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#define MAC_CHECK_NS 1000000000ull /* as stratad follows the interface's MAC */

struct iface {
	char name[CFG_IFNAMSIZ];
	int ifindex;
	int map_fd;
	__u8 mac[6];
};

struct queue {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	__u8 *area;
	int fd;
	int map_fd; /* the interface's XSKMAP */
	__u32 id;   /* the receive queue, our key in it */
	int in_map;
	const struct iface *ifc;
	struct strata_nts_counters *ctr; /* our row of shm->nts_xsk_c */
	/* the serving thread's own state: nothing here is shared between threads */
	struct strata_shm *shm;
	struct strata_service svc; /* from the shm's fast-path configuration */
	__u32 cfg_seq;
	int have_cfg;
	struct nts_server nts;
	__u8 mac[6]; /* the interface's, read again once a second */
	__u64 mac_checked;
	__u64 passed; /* frames the builder passed: no way back to the kernel from here */
	__u64 passed_logged;
	__u64 pass_log_at;
	pthread_t thread;
	int started;
	__u32 n_free;
	__u64 free[NUM_FRAMES]; /* frames owned by us, in no ring */
};

struct xsk_ctx {
	struct strata_shm *shm;
	struct iface ifs[CFG_MAX_LISTEN];
	unsigned int n_ifs;
	struct queue *q[STRATA_SHM_MAX_XSK];
	unsigned int n_q;
};

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static __u64
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* Receive queues of @ifname: /sys/class/net/IFACE/queues/rx-N. @return >= 1, or -errno. */
static int
count_queues(const char *ifname)
{
	char path[64 + CFG_IFNAMSIZ];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "rx-", 3) == 0;
	closedir(d);
	return n > 0 ? n : -ENOENT;
}

static int
read_mac(const char *ifname, __u8 mac[6])
{
	struct ifreq ifr;
	int sock, err = 0;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sock, SIOCGIFHWADDR, &ifr) != 0)
		err = -errno;
	else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		err = -EAFNOSUPPORT;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(sock);
	return err;
}

/* Whether @dir, or its parent while @dir is not made yet, is on a bpffs. */
static int
on_bpffs(const char *dir)
{
	char parent[CFG_PATH_MAX], *slash;
	struct statfs sfs;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash != NULL)
		slash[slash == parent] = '\0';
	return (statfs(dir, &sfs) == 0 || statfs(parent, &sfs) == 0) &&
	       (__u32)sfs.f_type == BPF_FS_MAGIC;
}

/*
 * The XSKMAP stratad pinned for @ifname, once it is there (stratad may start
 * after us), and only if it is stratad's: owned by root or @user, writable
 * by no one else (as stratad checks its own pins). @return its fd, or -errno
 * (-EINTR: SIGTERM came first).
 */
static int
open_map(const struct cfg *cfg, const char *ifname)
{
	const struct passwd *pw = getpwnam(cfg->user);
	char path[CFG_PATH_MAX + sizeof(STRATA_XSKS_PIN) + CFG_IFNAMSIZ];
	struct stat st;
	int told = 0, fd;

	snprintf(path, sizeof(path), "%s/%s%s", cfg->bpffs, STRATA_XSKS_PIN, ifname);
	while (lstat(path, &st) != 0) {
		if (errno != ENOENT) {
			log_warn("%s: %s", path, strerror(errno));
			return -errno;
		}
		if (!told && !on_bpffs(cfg->bpffs))
			log_warn("%s: waiting for %s, but %s is not on a bpffs: stratad runs "
				 "unpinned there and pins no socket map, so NTS requests go to the "
				 "kernel (hint: mount -t bpf bpf on it, or a 'bpffs DIR' line on "
				 "one; docs/xdp.md)",
				 ifname, path, cfg->bpffs);
		else if (!told)
			log_info("%s: waiting for stratad's XDP program and its socket map %s "
				 "(hint: is stratad running with 'listen xdp %s' and this bpffs?)",
				 ifname, path, ifname);
		told = 1;
		if (stop)
			return -EINTR;
		usleep(200000);
	}
	if ((st.st_uid != 0 && (pw == NULL || st.st_uid != pw->pw_uid)) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warn("%s is not stratad's (owner uid %u, mode %04o): not used", path,
			 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	fd = bpf_obj_get(path);
	if (fd < 0) {
		log_warn("%s: %s", path, strerror(errno));
		return -errno;
	}
	return fd;
}

/* Give the kernel every frame we hold for receiving. */
static void
refill(struct queue *q)
{
	__u32 n = xsk_prod_nb_free(&q->fq, q->n_free), idx, i;

	if (n > q->n_free)
		n = q->n_free;
	if (n == 0 || xsk_ring_prod__reserve(&q->fq, n, &idx) != n)
		return;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx + i) = q->free[--q->n_free];
	xsk_ring_prod__submit(&q->fq, n);
}

/* Frames the kernel has sent are ours again. */
static void
complete(struct queue *q)
{
	__u32 idx, i, n = xsk_ring_cons__peek(&q->cq, RING_SIZE, &idx);

	for (i = 0; i < n; i++)
		q->free[q->n_free++] =
			*xsk_ring_cons__comp_addr(&q->cq, idx + i) & ~(__u64)(FRAME_SIZE - 1);
	if (n > 0)
		xsk_ring_cons__release(&q->cq, n);
}

static int
queue_open(struct queue *q, const struct iface *ifc, __u32 id)
{
	const struct xsk_umem_config ucfg = {
		.fill_size = RING_SIZE,
		.comp_size = RING_SIZE,
		.frame_size = FRAME_SIZE,
		.frame_headroom = 0,
	};
	/*
	 * No bind mode: zero-copy where the driver has it, copy mode elsewhere
	 * (veth). Our program stays: the library must not load its own.
	 */
	const struct xsk_socket_config scfg = {
		.rx_size = RING_SIZE,
		.tx_size = RING_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	__u32 i;
	int err;

	q->ifc = ifc;
	q->id = id;
	q->map_fd = ifc->map_fd;
	memcpy(q->mac, ifc->mac, 6);
	if (nts_server_init(&q->nts) != 0)
		return -EIO;
	q->area = mmap(NULL, (size_t)NUM_FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	err = xsk_umem__create(&q->umem, q->area, (__u64)NUM_FRAMES * FRAME_SIZE, &q->fq, &q->cq,
			       &ucfg);
	if (err != 0)
		return err;
	err = xsk_socket__create(&q->xsk, ifc->name, id, q->umem, &q->rx, &q->tx, &scfg);
	if (err != 0)
		return err;
	q->fd = xsk_socket__fd(q->xsk);
	for (i = 0; i < NUM_FRAMES; i++)
		q->free[i] = (__u64)(NUM_FRAMES - 1 - i) * FRAME_SIZE;
	q->n_free = NUM_FRAMES;
	refill(q);
	/* the fill ring is stocked first: the first redirected frame finds room */
	if (bpf_map_update_elem(q->map_fd, &id, &q->fd, BPF_ANY) != 0)
		return -errno;
	q->in_map = 1;
	return 0;
}

static void
queue_close(struct queue *q)
{
	/* closing the socket would take it out too; this says so at once */
	if (q->in_map && bpf_map_delete_elem(q->map_fd, &q->id) != 0 && errno != ENOENT)
		log_debug("%s queue %u: delete from the socket map: %s", q->ifc->name, q->id,
			  strerror(errno));
	if (q->xsk != NULL)
		xsk_socket__delete(q->xsk);
	if (q->umem != NULL)
		xsk_umem__delete(q->umem);
	if (q->area != NULL)
		munmap(q->area, (size_t)NUM_FRAMES * FRAME_SIZE);
}

/* The service addresses of the newest generation stratad published (dataplane/fastcfg.c). */
static void
sync_cfg(struct queue *q)
{
	const struct strata_shm *m = q->shm;
	struct strata_service svc;
	__u32 begin = __atomic_load_n(&m->cfg_seq, __ATOMIC_ACQUIRE);

	if ((q->have_cfg && begin == q->cfg_seq) || (begin & 1))
		return;
	memcpy(&svc, (const void *)&m->cfg.svc, sizeof(svc));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&m->cfg_seq, __ATOMIC_RELAXED) != begin)
		return; /* a write came in between: the next round copies again */
	q->svc = svc;
	q->cfg_seq = begin;
	q->have_cfg = 1;
}

/*
 * One burst of @q: take back what was sent, stock the fill ring, answer
 * what came in, send the answers. @return the frames received.
 */
static unsigned int
serve(struct queue *q)
{
	struct xdp_desc out[BATCH];
	__u32 idx, i, n, n_out = 0, sent;

	complete(q);
	refill(q);
	n = xsk_ring_cons__peek(&q->rx, BATCH, &idx);
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx + i);
		__u8 *pkt = xsk_umem__get_data(q->area, d->addr);
		/* in the frame's headroom, in front of the packet: always ours to read */
		struct strata_xsk_meta *meta = (struct strata_xsk_meta *)(pkt - sizeof(*meta));
		struct strata_clock clk;
		struct strata_result res;
		enum strata_verdict v;
		__u32 reason = STRATA_NTS_MAX, cookies = 0;

		clk.tx = mono();
		clk.tx_scale = SNAP_SCALE_MONO; /* bpf_ktime_get_ns()'s clock */
		if (meta->magic == STRATA_XSK_META_MAGIC) {
			clk.rx = meta->rx;
			clk.rx_scale = meta->rx_scale;
			meta->magic = 0; /* a frame without metadata must not reuse this stamp */
		} else {
			clk.rx = clk.tx;
			clk.rx_scale = SNAP_SCALE_MONO;
		}
		v = strata_reply_nts(pkt, pkt + d->len, &q->svc, q->mac, &q->shm->snap, &clk,
				     NULL /* the policy ran in XDP */, &q->nts, &res, &reason,
				     &cookies);
		if (reason < STRATA_NTS_MAX)
			q->ctr->c[reason]++;
		q->ctr->c[STRATA_NTS_COOKIES] += cookies;
		if (v == STRATA_REPLY) {
			out[n_out].addr = d->addr;
			out[n_out].len = res.len;
			out[n_out].options = 0;
			n_out++;
			continue;
		}
		/* a PASS cannot go back to the kernel from here: counted, dropped */
		q->passed += v == STRATA_PASS;
		q->free[q->n_free++] = d->addr & ~(__u64)(FRAME_SIZE - 1);
	}
	if (n > 0)
		xsk_ring_cons__release(&q->rx, n);
	if (n_out == 0)
		return n;

	sent = xsk_ring_prod__reserve(&q->tx, n_out, &idx) == n_out ? n_out : 0;
	for (i = 0; i < sent; i++)
		*xsk_ring_prod__tx_desc(&q->tx, idx + i) = out[i];
	for (i = sent; i < n_out; i++) {
		q->ctr->c[STRATA_NTS_TX_DROP]++;
		q->free[q->n_free++] = out[i].addr & ~(__u64)(FRAME_SIZE - 1);
	}
	if (sent > 0) {
		xsk_ring_prod__submit(&q->tx, sent);
		/* one kick per burst, when the kernel asks (copy mode always does) */
		if (xsk_ring_prod__needs_wakeup(&q->tx))
			sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	}
	return n;
}

/*
 * The interface's MAC again, once a second: stratad's program answers from
 * the new one within a second of `ip link set dev IFACE address`, and so do
 * we (requests to the new MAC reach us; answers leave from it).
 */
static void
follow_mac(struct queue *q, __u64 now)
{
	__u8 mac[6];

	if (now - q->mac_checked < MAC_CHECK_NS)
		return;
	q->mac_checked = now;
	if (read_mac(q->ifc->name, mac) == 0)
		memcpy(q->mac, mac, 6);
}

/* One socket's thread, until SIGTERM (any thread may take it: all see stop). */
static void *
loop(void *arg)
{
	struct queue *q = arg;
	struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
	const struct timespec wait = {.tv_sec = 0, .tv_nsec = WAIT_NS};
	__u64 now, prev = 0;
	unsigned int got;

	prctl(PR_SET_TIMERSLACK, WAIT_SLACK_NS, 0, 0, 0); /* this thread's */
	while (!stop) {
		/* between bursts: new master keys, a new configuration generation */
		nts_server_sync(&q->nts, &q->shm->nts_keys);
		sync_cfg(q);
		got = serve(q);
		now = mono();
		if (got == 0) {
			/* also the fill ring's wakeup in zero-copy mode (xsk_poll()) */
			poll(&pfd, 1, IDLE_MS);
		} else {
			if (xsk_ring_prod__needs_wakeup(&q->fq))
				recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
			/*
			 * Wait when a wait of WAIT_NS would gather two requests
			 * or more at the rate of this round (@got since the
			 * last round that found work), i.e. from about 10000/s;
			 * a full burst goes round again at once. Slower, the
			 * next round finds nothing and sleeps in poll(), woken
			 * by the next request: answered at once. Why the wait
			 * cannot shift the client's offset: the comment at the
			 * top.
			 */
			if (got < BATCH && (__u64)got * WAIT_NS >= 2 * (now - prev))
				clock_nanosleep(CLOCK_MONOTONIC, 0, &wait, NULL);
			prev = now;
		}
		now = mono();
		follow_mac(q, now);
		if (q->passed != q->passed_logged && now >= q->pass_log_at) {
			log_warn("%s queue %u: %llu NTS frames reached AF_XDP that the reply "
				 "builder passes (not NTS, or not ours): dropped, as there is no "
				 "way back to the kernel",
				 q->ifc->name, q->id,
				 (unsigned long long)(q->passed - q->passed_logged));
			q->passed_logged = q->passed;
			q->pass_log_at = now + PASS_LOG_NS;
		}
	}
	return NULL;
}

/*
 * A thread for each socket but the first, which the calling thread serves;
 * then wait for them. @return 0, or -errno when a thread could not start
 * (the others are stopped: the supervisor starts a new child).
 */
static int
serve_all(struct xsk_ctx *c)
{
	unsigned int i;
	int err = 0;

	if (c->n_q == 0)
		return -ENODEV;
	for (i = 1; i < c->n_q && err == 0; i++) {
		err = -pthread_create(&c->q[i]->thread, NULL, loop, c->q[i]);
		c->q[i]->started = err == 0;
		if (err != 0)
			log_warn("%s queue %u: cannot start its thread: %s", c->q[i]->ifc->name,
				 c->q[i]->id, strerror(-err));
	}
	if (err != 0) {
		stop = 1;
	} else {
		loop(c->q[0]);
	}
	for (i = 1; i < c->n_q; i++)
		if (c->q[i]->started)
			pthread_join(c->q[i]->thread, NULL);
	return err;
}

/* The sockets of every listen xdp interface, as root. @return 0 or -errno, logged. */
static int
open_all(struct xsk_ctx *c, const struct cfg *cfg)
{
	unsigned int i;
	int err, nq, j;

	for (i = 0; i < cfg->n_listen; i++) {
		struct iface *ifc = &c->ifs[c->n_ifs];

		if (cfg->listen[i].dpdk)
			continue;
		snprintf(ifc->name, sizeof(ifc->name), "%s", cfg->listen[i].ifname);
		ifc->map_fd = -1;
		ifc->ifindex = (int)if_nametoindex(ifc->name);
		if (ifc->ifindex == 0) {
			log_warn("%s: no such interface (config line %u)", ifc->name,
				 cfg->listen[i].line);
			return -ENODEV;
		}
		c->n_ifs++;
		err = read_mac(ifc->name, ifc->mac);
		if (err != 0) {
			log_warn("%s: cannot read its MAC address: %s", ifc->name, strerror(-err));
			return err;
		}
		ifc->map_fd = open_map(cfg, ifc->name);
		if (ifc->map_fd < 0)
			return ifc->map_fd;
		nq = count_queues(ifc->name);
		if (nq < 0) {
			log_warn("%s: cannot count its receive queues: %s", ifc->name,
				 strerror(-nq));
			return nq;
		}
		if (nq > STRATA_XSKS_MAX) {
			log_warn("%s: %d receive queues, NTS served on the first %d (hint: ethtool "
				 "-L %s combined %d)",
				 ifc->name, nq, STRATA_XSKS_MAX, ifc->name, STRATA_XSKS_MAX);
			nq = STRATA_XSKS_MAX;
		}
		for (j = 0; j < nq; j++) {
			struct queue *q;

			if (c->n_q == STRATA_SHM_MAX_XSK) {
				log_warn("%s queue %d: more than %d AF_XDP sockets in all: NTS "
					 "requests on it go to the kernel",
					 ifc->name, j, STRATA_SHM_MAX_XSK);
				break;
			}
			q = calloc(1, sizeof(*q));
			if (q == NULL)
				return -ENOMEM;
			q->fd = -1;
			q->shm = c->shm;
			c->q[c->n_q++] = q;
			q->ctr = &c->shm->nts_xsk_c[c->n_q - 1];
			err = queue_open(q, ifc, (__u32)j);
			if (err != 0) {
				log_warn("%s queue %d: cannot open an AF_XDP socket: %s%s",
					 ifc->name, j, strerror(-err),
					 err == -EBUSY
						 ? " (hint: another AF_XDP socket on that queue?)"
						 : "");
				return err;
			}
			c->shm->nts_xsk_ifindex[c->n_q - 1] = (__u32)ifc->ifindex;
			c->shm->nts_xsk_queue[c->n_q - 1] = (__u32)j;
		}
	}
	__atomic_store_n(&c->shm->nts_xsk, c->n_q, __ATOMIC_RELEASE);
	return 0;
}

static void
close_all(struct xsk_ctx *c)
{
	unsigned int i;

	__atomic_store_n(&c->shm->nts_xsk, 0, __ATOMIC_RELEASE);
	for (i = 0; i < c->n_q; i++) {
		queue_close(c->q[i]);
		free(c->q[i]);
	}
	for (i = 0; i < c->n_ifs; i++)
		if (c->ifs[i].map_fd >= 0)
			close(c->ifs[i].map_fd);
}

/* The child, from fork() to exit. @return 0 after SIGTERM, else -1. */
static int
child(const struct cfg *cfg, struct strata_shm *shm, pid_t parent)
{
	static struct xsk_ctx c; /* 64 queue pointers: not on the stack */
	struct sigaction sa;
	sigset_t mask;
	int err;

	/* the supervisor's listeners and signalfd are not ours */
	close_range(3, ~0u, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term; /* no SA_RESTART: poll() returns at once */
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN); /* a terminal's ^C: the supervisor stops us in order */
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&mask);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	c.shm = shm;

	err = open_all(&c, cfg);
	if (err == 0 && priv_drop_to(cfg->user, 0, NULL, 0) != 0)
		err = -EPERM;
	/* after the drop, which clears it: a supervisor killed outright stops us too */
	if (err == 0 && (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent))
		err = -ESRCH;
	if (err == 0) {
		log_info("AF_XDP: NTS on %u queue%s of %u interface%s, a thread each", c.n_q,
			 c.n_q == 1 ? "" : "s", c.n_ifs, c.n_ifs == 1 ? "" : "s");
		err = serve_all(&c);
	}
	close_all(&c);
	return err == 0 || err == -EINTR ? 0 : -1;
}

pid_t
xsk_start(const struct cfg *cfg, struct strata_shm *shm)
{
	unsigned int i, n = 0;
	pid_t parent = getpid(), pid;

	for (i = 0; i < cfg->n_listen; i++)
		n += !cfg->listen[i].dpdk;
	if (n == 0)
		return 0;
	if (cfg->bpffs[0] == '\0') {
		log_warn("bpffs none: no AF_XDP socket map, so NTS requests on the listen xdp "
			 "interfaces go to the kernel (docs/nts.md)");
		return 0;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("cannot fork the AF_XDP child: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(child(cfg, shm, parent) == 0 ? 0 : 1);
	return pid;
}
