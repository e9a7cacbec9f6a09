/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-dpdk: the DPDK dataplane. It serves every "listen dpdk" port of
 * stratad's configuration file: workers answer NTP, ARP, neighbour
 * solicitations and pings in place, with the service addresses and the
 * policy stratad publishes in shared memory (one generation at a time,
 * dataplane/gen.c) and the time of its snapshot, and hand every other frame
 * to the host kernel through a TAP interface per port (strata0, strata1,
 * ...), to which the operator gives the host's addresses.
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
#include <rte_pci.h>

#include <strata/shm.h>

#include "config.h"
#include "exception.h"
#include "gen.h"
#include "log.h"
#include "placement.h"
#include "policy.h"
#include "port.h"
#include "sdnotify.h"
#include "shmcheck.h"
#include "worker.h"

#define DEFAULT_CONFIG "/etc/strata/stratad.conf"

static struct dp_worker workers[STRATA_SHM_MAX_LCORES];
static struct dp_port ports[DP_MAX_PORTS];
static struct dp_exc exc;
static struct dp_gens gens;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: strata-dpdk [-c FILE] [--shm NAME] [--check] [-- EAL arguments]\n"
		"\n"
		"The strata DPDK dataplane: answers NTP on the 'listen dpdk' ports of\n"
		"the configuration, with the addresses, policy and time stratad\n"
		"publishes. Frames it does not answer go to the kernel through one TAP\n"
		"interface per port, %s0, %s1, ...\n"
		"\n"
		"  -c, --config FILE  the ports and user (default %s; see docs/dpdk.md)\n"
		"  -s, --shm NAME     stratad's shared memory (default %s)\n"
		"  -t, --check        check the file, its user and EAL's -l and -a, and exit\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n"
		"\n"
		"EAL arguments (cores, memory, devices) follow '--', for example:\n"
		"  strata-dpdk -c strata.conf -- -l 0-3 -a 0000:01:00.0\n",
		DP_TAP_PREFIX, DP_TAP_PREFIX, DEFAULT_CONFIG, STRATA_SHM_NAME);
}

static void
on_signal(int sig)
{
	(void)sig;
	dp_quit = 1;
}

/*
 * The "listen dpdk" lines' ports, in file order, into @spec; their count.
 * Only the ports: the addresses come from stratad, through the shared memory.
 */
static unsigned int
dpdk_ports(const struct cfg *c, const char *spec[DP_MAX_PORTS])
{
	unsigned int i, n = 0;

	for (i = 0; i < c->n_listen; i++) {
		if (!c->listen[i].dpdk)
			continue;
		if (n == DP_MAX_PORTS) {
			log_warn("line %u: more than %u 'listen dpdk' ports: not served",
				 c->listen[i].line, DP_MAX_PORTS);
			continue;
		}
		spec[n++] = c->listen[i].port;
	}
	return n;
}

/*
 * What --check can see of EAL's arguments without starting EAL (which maps
 * hugepages and takes the devices): the core list of -l/--lcores and the
 * PCI addresses of -a/--allow. EAL checks the rest at start. @return 0, or
 * -1 with the message in @err.
 */
static int
check_eal(int argc, char **argv, char *err, size_t len)
{
	int i;

	for (i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		struct rte_pci_addr pci;
		char dev[64];

		if (strcmp(o, "-l") == 0 || strcmp(o, "--lcores") == 0) {
			if (v == NULL || v[0] == '\0' || v[strspn(v, "0123456789,-@()")] != '\0') {
				snprintf(err, len,
					 "EAL's %s: '%s' is not a core list (hint: -l 0-3)", o,
					 v != NULL ? v : "");
				return -1;
			}
		} else if (strcmp(o, "-a") == 0 || strcmp(o, "--allow") == 0) {
			snprintf(dev, sizeof(dev), "%s", v != NULL ? v : "");
			dev[strcspn(dev, ",")] = '\0';
			if (rte_pci_addr_parse(dev, &pci) != 0) {
				snprintf(err, len,
					 "EAL's %s: '%s' is not a PCI address (hint: -a "
					 "0000:01:00.0)",
					 o, dev);
				return -1;
			}
		} else {
			continue;
		}
		i++;
	}
	return 0;
}

/*
 * stratad's shared memory, mapped read-write; NULL with a message. Whoever can
 * write it decides the time, leap indicator and stratum served here, so it
 * must be stratad's (shm_attach()). A truncation later turns the mapping
 * into zero pages and stops the dataplane.
 */
static struct strata_shm *
open_shm(const char *name, const char *user)
{
	static char msg[800];
	struct strata_shm *m;
	char path[256], why[512];
	pid_t pid;
	int wait, err;

	/* stratad creates it: without stratad there is no time to serve */
	m = shm_attach(name, user, &wait, why, sizeof(why));
	if (m == NULL) {
		log_warn("shared memory %s: strata-dpdk stops", why);
		return NULL;
	}
	shm_path(name, path, sizeof(path));
	/* two dataplanes would add to the same counter rows */
	pid = (pid_t)STRATA_READ_ONCE(m->dp_pid);
	if (pid != 0 && pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM)) {
		log_warn("shared memory %s: strata-dpdk %d is already attached", path, (int)pid);
		goto unmap;
	}
	snprintf(msg, sizeof(msg),
		 "strata-dpdk: warning: shared memory %s was truncated under strata-dpdk: no "
		 "time to serve, requests are dropped (drop_no_time); strata-dpdk stops (hint: "
		 "stop stratad, remove %s, start stratad, then strata-dpdk)",
		 path, path);
	err = shm_guard(m, sizeof(*m), msg, &dp_quit);
	if (err == 0)
		return m;
	log_warn("shared memory %s: no guard against its truncation: %s", path, strerror(-err));
unmap:
	munmap(m, sizeof(*m));
	return NULL;
}

static void
print_stats(const struct strata_shm *m, unsigned int n_workers)
{
	const struct strata_dp_counters *x = &m->dp_exc;
	unsigned int w;

	for (w = 0; w < n_workers; w++) {
		const struct strata_dp_counters *s = &m->dp[w];
		const struct strata_nts_counters *t = &m->nts_dp[w];

		log_info("worker %u: ARP replies %llu, neighbour advertisements %llu"
			 ", echo replies %llu, drops %llu; lost: %llu"
			 " on the NICs' tx, %llu on the way to the TAPs",
			 w, s->c[STRATA_DP_ARP_REPLY], s->c[STRATA_DP_ND_REPLY],
			 s->c[STRATA_DP_ECHO_REPLY], s->c[STRATA_DP_NEIGH_DROP],
			 s->c[STRATA_DP_TX_DROP], s->c[STRATA_DP_EXC_RING_DROP]);
		/* testpmd's "CPU cycles/packet", on its boundary (include/strata/shm.h) */
		if (s->c[STRATA_DP_BURST_PACKETS] > 0)
			log_info("worker %u: %.1f TSC cycles/packet (%llu cycles, %llu packets)", w,
				 (double)s->c[STRATA_DP_BURST_CYCLES] /
					 (double)s->c[STRATA_DP_BURST_PACKETS],
				 s->c[STRATA_DP_BURST_CYCLES], s->c[STRATA_DP_BURST_PACKETS]);
		log_info("worker %u: NTS replies %llu with %llu cookies, NAKs %llu, drops %llu", w,
			 t->c[STRATA_NTS_REPLY], t->c[STRATA_NTS_COOKIES],
			 t->c[STRATA_NTS_NAK_KEY] + t->c[STRATA_NTS_NAK_COOKIE] +
				 t->c[STRATA_NTS_NAK_AUTH],
			 t->c[STRATA_NTS_DROP_NO_UID] + t->c[STRATA_NTS_DROP_NO_COOKIE] +
				 t->c[STRATA_NTS_DROP_MALFORMED] + t->c[STRATA_NTS_DROP_NO_KEYS]);
	}
	log_info("exception path: %llu frames to the kernel (%llu lost), %llu"
		 " from it (%llu lost)",
		 x->c[STRATA_DP_TO_KERNEL], x->c[STRATA_DP_TO_KERNEL_DROP],
		 x->c[STRATA_DP_FROM_KERNEL], x->c[STRATA_DP_FROM_KERNEL_DROP]);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"shm", required_argument, NULL, 's'},
		{"check", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_CONFIG, *shm_name = STRATA_SHM_NAME, *stamp;
	const char *spec[DP_MAX_PORTS];
	unsigned int n_ports = 0, n_open = 0, p, w;
	uint16_t max_q = UINT16_MAX, max_txq = UINT16_MAX;
	struct strata_shm *shm;
	struct dp_layout layout;
	struct sigaction sa;
	static struct cfg cfg;
	char err[512], names[512];
	int c, n, node = -1, hw = 1, socket, rc = 1, check = 0;

	/* '+': stop at the first non-option, leave "--" and EAL's arguments alone */
	while ((c = getopt_long(argc, argv, "+c:s:thV", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			check = 1;
			break;
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
	/* the file gives the ports (EAL's business) and stratad's user, nothing served */
	if (cfg_load(path, &cfg, err, sizeof(err)) == 0) {
		n_ports = dpdk_ports(&cfg, spec);
		if (n_ports == 0)
			snprintf(err, sizeof(err),
				 "%s: no 'listen dpdk' line, nothing to serve (hint: listen dpdk "
				 "0000:01:00.0 address ADDR)",
				 path);
		else if (getpwnam(cfg.user) == NULL)
			snprintf(err, sizeof(err), "%s: user '%s' does not exist", path, cfg.user);
		else if (check_eal(argc - optind, &argv[optind], err, sizeof(err)) == 0)
			err[0] = '\0';
	}
	if (err[0] != '\0')
		return log_config_error(check, err);
	if (check) {
		printf("%s: valid\n", path);
		return 0;
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

	names[0] = '\0';
	for (p = 0; p < n_ports; p++, n_open++) {
		struct dp_port *pt = &ports[p];

		if (dp_port_open(pt, spec[p], p) != 0)
			goto ports;
		max_q = RTE_MIN(max_q, pt->max_q);
		max_txq = RTE_MIN(max_txq, pt->max_txq);
		/* the workers go where the first PCI NIC is */
		if (node < 0 && pt->pci[0] != '\0')
			node = dp_pci_node(pt->pci);
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 p == 0 ? "" : ", ", pt->name);
	}
	dp_place(&layout, node, max_q, max_txq);
	for (p = 0; p < n_ports; p++) {
		if (dp_port_start(&ports[p], &layout) != 0)
			goto ports;
		hw &= ports[p].hw_stamp;
	}
	socket = layout.node >= 0 ? layout.node : (int)rte_socket_id();
	if (dp_gen_init(&gens, shm, layout.n_workers, socket) != 0)
		goto ports;

	exc.n_ports = n_ports;
	for (p = 0; p < n_ports; p++) {
		exc.port[p].nic = ports[p].nic;
		exc.port[p].tap = ports[p].tap;
		exc.port[p].n_tapq = (uint16_t)layout.n_workers;
	}
	exc.queue = layout.main_polls_exc ? (uint16_t)layout.n_workers : 0;
	exc.cnt = &shm->dp_exc;
	exc.gens = &gens;
	for (w = 0; w < layout.n_workers && w < DP_MAX_WORKERS; w++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "strata_exc%u", w);
		/* one worker enqueues, the exception lcore dequeues */
		exc.to_kernel[w] =
			rte_ring_create(name, 1024, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (exc.to_kernel[w] == NULL) {
			log_warn("cannot create the exception ring %s: %s", name,
				 rte_strerror(rte_errno));
			goto rings;
		}
		exc.n_rings++;
	}
	for (w = 0; w < layout.n_workers; w++) {
		struct dp_worker *wk = &workers[w];
		int e;

		wk->queue = (uint16_t)w;
		wk->id = w;
		wk->n_ports = (uint16_t)n_ports;
		for (p = 0; p < n_ports; p++) {
			wk->port[p].nic = ports[p].nic;
			wk->port[p].hw_stamp = (uint16_t)ports[p].hw_stamp;
			memcpy(wk->port[p].mac, ports[p].mac.addr_bytes, sizeof(wk->port[p].mac));
			if (ports[p].hw_stamp) {
				wk->stamp_off = ports[p].stamp_off;
				wk->stamp_flag = ports[p].stamp_flag;
			}
		}
		wk->gens = &gens;
		wk->adopts = layout.main_is_worker;
		wk->snap = &shm->snap;
		wk->cnt = &shm->lcore[w];
		wk->dpc = &shm->dp[w];
		wk->exc = w == 0 && !layout.main_polls_exc ? &exc : NULL;
		wk->to_kernel = exc.to_kernel[w];
		wk->tick_shift = gens.tick_shift;
		wk->pol.rl = dp_policy_limiter(w, (int)rte_lcore_to_socket_id(layout.lcore[w]));
		if (wk->pol.rl == NULL)
			goto rings;
		wk->nts_keys = &shm->nts_keys;
		wk->ntsc = &shm->nts_dp[w];
		e = nts_server_init(&wk->nts);
		if (e != 0) {
			log_warn("worker %u: cannot seed its NTS nonces: %s", w, strerror(-e));
			goto rings;
		}
	}

	stamp = hw ? "hardware (the NIC's, through stratad's PHC map; TSC without it)"
		   : "TSC (rte_rdtsc at rx burst, through stratad's TSC map)";
	dp_place_print(&layout, names, stamp);
	for (p = 0; p < n_ports; p++)
		log_info("exception path of %s: TAP %s, MAC " RTE_ETHER_ADDR_PRT_FMT
			 " (hint: give it the host's addresses)",
			 ports[p].name, ports[p].tap_name, RTE_ETHER_ADDR_BYTES(&ports[p].mac));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* nothing is answered before stratad has published its configuration */
	if (dp_gen_first(&gens) != 0)
		goto rings;

	/* what stratad shows of us; the PID last, as it marks the rest valid */
	STRATA_WRITE_ONCE(shm->dp_lcores, layout.n_workers);
	STRATA_WRITE_ONCE(shm->dp_ports, n_ports);
	STRATA_WRITE_ONCE(shm->dp_rx_stamp, hw ? STRATA_RX_HARDWARE : STRATA_RX_TSC);
	__atomic_store_n(&shm->dp_pid, (uint32_t)getpid(), __ATOMIC_RELEASE);
	log_info("ready: %u worker%s serving %u port%s, %u IPv4 and %u IPv6 address%s",
		 layout.n_workers, layout.n_workers == 1 ? "" : "s", n_ports,
		 n_ports == 1 ? "" : "s", gens.cur->svc.n_addr4, gens.cur->svc.n_addr6,
		 gens.cur->svc.n_addr4 + gens.cur->svc.n_addr6 == 1 ? "" : "es");

	for (w = 0; w < layout.n_workers && !layout.main_is_worker; w++)
		if (rte_eal_remote_launch(dp_worker_loop, &workers[w], layout.lcore[w]) != 0) {
			log_warn("lcore %u is busy: stopping", layout.lcore[w]);
			dp_quit = 1;
		}
	/* the workers run (worker 0 on this lcore, next): systemd may start what needs us */
	if (!dp_quit)
		sd_notifyf("READY=1\nSTATUS=%u worker%s serving %u port%s", layout.n_workers,
			   layout.n_workers == 1 ? "" : "s", n_ports, n_ports == 1 ? "" : "s");
	if (layout.main_is_worker) {
		dp_worker_loop(&workers[0]);
	} else if (layout.main_polls_exc) {
		dp_exc_loop(&exc);
	} else {
		/* the main lcore is no worker and polls no TAP: it may sleep between polls */
		while (!dp_quit) {
			dp_gen_poll(&gens, RTE_QSBR_THRID_INVALID);
			usleep(10000);
		}
	}
	sd_notifyf("STOPPING=1");
	rte_eal_mp_wait_lcore();
	log_info("stopping");
	print_stats(shm, layout.n_workers);
	for (p = 0; p < n_ports; p++)
		dp_port_stats(&ports[p]);
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
	dp_gen_fini(&gens);
ports:
	for (p = 0; p < n_open; p++)
		dp_port_close(&ports[p]);
eal:
	rte_eal_cleanup();
unmap:
	munmap(shm, sizeof(*shm));
	return rc;
}
