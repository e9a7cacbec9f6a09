/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-dpdk: the DPDK dataplane. It serves the first "listen dpdk" port of
 * stratad's configuration: workers answer NTP, ARP, neighbour solicitations
 * and pings in place, reading time from the snapshot stratad publishes in
 * shared memory, and hand every other frame to the host kernel through a TAP
 * interface (strata0), to which the operator gives the host's addresses.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <strata/shm.h>

#include "config.h"
#include "exception.h"
#include "log.h"
#include "placement.h"
#include "policy.h"
#include "port.h"
#include "shmcheck.h"
#include "worker.h"

#define DEFAULT_CONFIG "/etc/strata/stratad.conf"

static struct dp_worker workers[STRATA_SHM_MAX_LCORES];

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: strata-dpdk [-c FILE] [--shm NAME] [-- EAL arguments]\n"
		"\n"
		"The strata DPDK dataplane: answers NTP on the first 'listen dpdk' port\n"
		"of the configuration, with the time stratad publishes. Frames it does\n"
		"not answer go to the kernel through the TAP interface %s.\n"
		"\n"
		"  -c, --config FILE  configuration (default %s; see docs/config.md)\n"
		"  -s, --shm NAME     stratad's shared memory (default %s)\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n"
		"\n"
		"EAL arguments (cores, memory, devices) follow '--', for example:\n"
		"  strata-dpdk -c strata.conf -- -l 0-3 -a 0000:01:00.0\n",
		DP_TAP_IFACE, DEFAULT_CONFIG, STRATA_SHM_NAME);
}

static void
on_signal(int sig)
{
	(void)sig;
	dp_quit = 1;
}

/* The first "listen dpdk" line, with the addresses of all of them. */
static const struct cfg_listen *
dpdk_service(const struct cfg *c, struct strata_service *svc)
{
	const struct cfg_listen *first = NULL;
	unsigned int i, j;

	memset(svc, 0, sizeof(*svc));
	svc->ttl = STRATA_DEFAULT_TTL;
	for (i = 0; i < c->n_listen; i++) {
		const struct cfg_listen *l = &c->listen[i];

		if (!l->dpdk)
			continue;
		if (first == NULL)
			first = l;
		else
			log_warn("line %u: only the first 'listen dpdk' port (line %u) is served",
				 l->line, first->line);
		/* the parser caps the addresses of all lines together */
		for (j = 0; j < l->n_addr4; j++)
			svc->addr4[svc->n_addr4++] = l->addr4[j];
		for (j = 0; j < l->n_addr6; j++)
			memcpy(svc->addr6[svc->n_addr6++], l->addr6[j], sizeof(l->addr6[j]));
	}
	return first;
}

/*
 * stratad's shared memory, mapped read-write; NULL with a message. Whoever can
 * write it decides the time, leap indicator and stratum served here, so it
 * must be stratad's: owned by root (stratad opens it before dropping
 * privileges) or by the user stratad runs as (@user, when started as that
 * user), writable by no one else, of exactly the size of this version. A
 * truncation later turns the mapping into zero pages and stops the dataplane.
 */
static struct strata_shm *
open_shm(const char *name, const char *user)
{
	static char msg[800];
	const struct passwd *pw = getpwnam(user);
	uid_t alt = pw != NULL && pw->pw_uid != 0 ? pw->pw_uid : SHM_NO_UID;
	struct strata_shm *m = NULL;
	char path[256], why[128];
	struct stat st;
	pid_t pid;
	int fd, err;

	shm_path(name, path, sizeof(path));
	/* stratad creates it: without stratad there is no time to serve */
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("shared memory %s: %s (hint: is stratad running?)", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		log_warn("shared memory %s: %s", path, strerror(errno));
		goto out;
	}
	if (shm_check_stat(&st, 0, alt, sizeof(*m), why, sizeof(why)) != 0) {
		log_warn("shared memory %s %s: strata-dpdk stops: whoever can write it decides "
			 "the time served here, so it must be stratad's (owner root or user %s, "
			 "no write for others, %zu bytes) (hint: stop stratad, remove %s, start "
			 "stratad, then strata-dpdk)",
			 path, why, user, sizeof(*m), path);
		goto out;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		log_warn("shared memory %s: mmap: %s", path, strerror(errno));
		m = NULL;
		goto out;
	}
	snprintf(msg, sizeof(msg),
		 "strata-dpdk: warning: shared memory %s was truncated under strata-dpdk: no "
		 "time to serve, requests are dropped (drop_no_time); strata-dpdk stops (hint: "
		 "stop stratad, remove %s, start stratad, then strata-dpdk)",
		 path, path);
	err = shm_guard(m, sizeof(*m), msg, &dp_quit);
	if (err != 0) {
		log_warn("shared memory %s: no guard against its truncation: %s", path,
			 strerror(-err));
		goto unmap;
	}
	if (__atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) != STRATA_SHM_MAGIC) {
		log_warn("shared memory %s: bad magic (hint: is stratad running, and the same "
			 "version?)",
			 path);
		goto unmap;
	}
	/* two dataplanes would add to the same counter rows */
	pid = (pid_t)STRATA_READ_ONCE(m->dp_pid);
	if (pid != 0 && pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM)) {
		log_warn("shared memory %s: strata-dpdk %d is already attached", path, (int)pid);
		goto unmap;
	}
	goto out;
unmap:
	munmap(m, sizeof(*m));
	m = NULL;
out:
	close(fd);
	return m;
}

static void
print_stats(const struct dp_layout *l, const struct dp_exc *x)
{
	unsigned int w;

	for (w = 0; w < l->n_workers; w++) {
		const struct dp_worker_stats *s = &workers[w].st;

		log_info("worker %u: neighbour replies %" PRIu64 " drops %" PRIu64
			 "; lost: %" PRIu64 " on the NIC's tx, %" PRIu64 " on the TAP's",
			 w, s->neigh_reply, s->neigh_drop, s->tx_drop, s->exc_drop);
	}
	log_info("exception path: %" PRIu64 " frames to the kernel (%" PRIu64 " lost), %" PRIu64
		 " from it", x->to_tap, x->to_tap_drop, x->fwd);
	log_info("exception path: %" PRIu64 " frames from the kernel, %" PRIu64 " lost", x->fwd,
		 x->drop);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"shm", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_CONFIG, *shm_name = STRATA_SHM_NAME, *stamp;
	const struct cfg_listen *listen;
	struct strata_service svc;
	struct strata_shm *shm;
	struct dp_layout layout;
	struct dp_exc exc = {0};
	struct sigaction sa;
	struct dp_port port;
	struct dp_policy policy;
	static struct cfg cfg;
	char err[512];
	unsigned int w;
	int c, n, rc = 1;

	/* '+': stop at the first non-option, leave "--" and EAL's arguments alone */
	while ((c = getopt_long(argc, argv, "+c:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 's':
			shm_name = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("strata-dpdk %s\n", STRATA_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		fprintf(stderr,
			"strata-dpdk: unexpected argument '%s' (hint: EAL arguments go "
			"after '--')\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init("strata-dpdk", 0);
	if (cfg_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "strata-dpdk: %s\n", err);
		return 1;
	}
	listen = dpdk_service(&cfg, &svc);
	if (listen == NULL) {
		fprintf(stderr,
			"strata-dpdk: %s: no 'listen dpdk' line, nothing to serve (hint: listen "
			"dpdk 0000:01:00.0 address ADDR)\n",
			path);
		return 1;
	}
	shm = open_shm(shm_name, cfg.user);
	if (shm == NULL)
		return 1;

	/* EAL sees our argv[0] and what follows "--" */
	argv[optind - 1] = argv[0];
	n = rte_eal_init(argc - optind + 1, &argv[optind - 1]);
	if (n < 0) {
		log_warn("EAL: %s", rte_strerror(rte_errno));
		goto unmap;
	}
	if (n != argc - optind) {
		log_warn("unexpected EAL argument '%s'", argv[optind + n]);
		goto eal;
	}

	if (dp_port_open(&port, listen->port) != 0)
		goto ports;
	dp_place(&layout, port.pci[0] != '\0' ? dp_pci_node(port.pci) : -1, port.max_q,
		 port.max_txq);
	if (dp_port_start(&port, &layout) != 0)
		goto ports;

	if (dp_policy_init(&policy, &cfg, (int)rte_socket_id()) != 0)
		goto ports;
	exc.tap = port.tap;
	exc.n_tapq = (uint16_t)layout.n_workers;
	for (w = 0; w < layout.n_workers && w < DP_MAX_WORKERS; w++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "strata_exc%u", w);
		/* one worker enqueues, the exception lcore dequeues */
		exc.to_kernel[w] = rte_ring_create(name, 1024, rte_socket_id(),
						   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (exc.to_kernel[w] == NULL) {
			log_warn("cannot create the exception ring %s: %s", name,
				 rte_strerror(rte_errno));
			goto rings;
		}
		exc.n_rings++;
	}
	exc.port = port.nic;
	exc.queue = layout.main_polls_exc ? (uint16_t)layout.n_workers : 0;
	for (w = 0; w < layout.n_workers; w++) {
		struct dp_worker *wk = &workers[w];

		wk->port = port.nic;
		wk->queue = (uint16_t)w;
		wk->tap = port.tap;
		wk->hw_stamp = port.hw_stamp;
		wk->stamp_off = port.stamp_off;
		wk->stamp_flag = port.stamp_flag;
		memcpy(wk->mac, port.mac.addr_bytes, sizeof(wk->mac));
		wk->svc = &svc;
		wk->snap = &shm->snap;
		wk->cnt = &shm->lcore[w];
		wk->exc = w == 0 && !layout.main_polls_exc ? &exc : NULL;
		wk->to_kernel = exc.to_kernel[w];
		wk->tick_shift = policy.tick_shift;
		if (dp_policy_worker(&policy, &wk->pol, w,
				     (int)rte_lcore_to_socket_id(layout.lcore[w])) != 0)
			goto rings;
	}

	stamp = port.hw_stamp ? "hardware (the NIC's, through stratad's PHC map; TSC without it)"
			      : "TSC (rte_rdtsc at rx burst, through stratad's TSC map)";
	dp_place_print(&layout, listen->port, stamp);
	log_info("exception path: TAP %s, MAC " RTE_ETHER_ADDR_PRT_FMT
		 " (hint: give it the host's addresses)",
		 DP_TAP_IFACE, RTE_ETHER_ADDR_BYTES(&port.mac));

	/* what stratad shows of us; the PID last, as it marks the rest valid */
	STRATA_WRITE_ONCE(shm->dp_lcores, layout.n_workers);
	STRATA_WRITE_ONCE(shm->dp_rx_stamp, port.hw_stamp ? STRATA_RX_HARDWARE : STRATA_RX_TSC);
	__atomic_store_n(&shm->dp_pid, (uint32_t)getpid(), __ATOMIC_RELEASE);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	log_info("ready: %u worker%s serving %u IPv4 and %u IPv6 address%s", layout.n_workers,
		 layout.n_workers == 1 ? "" : "s", svc.n_addr4, svc.n_addr6,
		 svc.n_addr4 + svc.n_addr6 == 1 ? "" : "es");

	for (w = 0; w < layout.n_workers && !layout.main_is_worker; w++)
		if (rte_eal_remote_launch(dp_worker_loop, &workers[w], layout.lcore[w]) != 0) {
			log_warn("lcore %u is busy: stopping", layout.lcore[w]);
			dp_quit = 1;
		}
	if (layout.main_is_worker)
		dp_worker_loop(&workers[0]);
	else if (layout.main_polls_exc)
		dp_exc_loop(&exc);
	else
		/* the main lcore is no worker: it may sleep */
		while (!dp_quit)
			usleep(100000);
	rte_eal_mp_wait_lcore();
	log_info("stopping");
	print_stats(&layout, &exc);
	dp_port_stats(&port);
	/* a truncated shared memory stopped us: systemd's Restart=on-failure applies */
	rc = shm_guard_tripped() ? 1 : 0;
	__atomic_store_n(&shm->dp_pid, 0, __ATOMIC_RELEASE);
	STRATA_WRITE_ONCE(shm->dp_rx_stamp, STRATA_RX_NONE);
rings:
	for (w = 0; w < exc.n_rings; w++) {
		struct rte_mbuf *m = NULL;

		while (rte_ring_sc_dequeue(exc.to_kernel[w], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(exc.to_kernel[w]);
	}
	for (w = 0; w < layout.n_workers; w++) {
		rte_free(workers[w].pol.rl);
		workers[w].pol.rl = NULL;
	}
	dp_policy_fini(&policy);
ports:
	dp_port_close(&port);
eal:
	rte_eal_cleanup();
unmap:
	munmap(shm, sizeof(*shm));
	return rc;
}
