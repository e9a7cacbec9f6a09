/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port setup, after DPDK examples/skeleton/basicfwd.c port_init(), plus the
 * exception TAP as in grout's control plane ports.
 */
#include "port.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_pci.h>

#include "ethdev.h"
#include "log.h"
#include "rss.h"

#define NIC_RXD 1024
#define NIC_TXD 1024
#define TAP_RXD 512
#define TAP_TXD 512
#define POOL_CACHE 256
#define POOL_MIN 8191 /* a mempool is best at 2^n - 1 mbufs */

/* The port of @spec, named @name in EAL, with a message saying what to do when it fails. */
static int
open_dev(const char *spec, const char *name)
{
	int id = dp_ethdev_open(spec, name);

	if (id == -ENODEV)
		log_warn("'%s' is not an ethernet port DPDK can use", spec);
	else if (id < 0)
		log_warn("cannot probe DPDK port '%s': %s (hint: a PCI device must be bound to "
			 "vfio-pci, see dpdk-devbind.py; EAL must not run with --no-pci for it)",
			 spec, strerror(-id));
	return id;
}

int
dp_port_open(struct dp_port *p, const char *spec, unsigned int index)
{
	struct rte_eth_dev_info ni, ti;
	char tapspec[128], tapname[32];
	struct rte_pci_addr addr;
	size_t n = strcspn(spec, ",");
	int id;

	memset(p, 0, sizeof(*p));
	p->nic = p->tap = RTE_MAX_ETHPORTS;
	p->index = index;
	snprintf(p->tap_name, sizeof(p->tap_name), DP_TAP_PREFIX "%u", index);
	if (n >= sizeof(p->name)) {
		log_warn("DPDK port '%s': name too long", spec);
		return -ENAMETOOLONG;
	}
	memcpy(p->name, spec, n);
	/* EAL names PCI devices in the full form: 0000:01:00.0, not 01:00.0 */
	if (rte_pci_addr_parse(p->name, &addr) == 0) {
		rte_pci_device_name(&addr, p->name, sizeof(p->name));
		memcpy(p->pci, p->name, sizeof(p->pci));
	}
	id = open_dev(spec, p->name);
	if (id < 0)
		return id;
	p->nic = (uint16_t)id;
	id = rte_eth_macaddr_get(p->nic, &p->mac);
	if (id < 0) {
		log_warn("port %s: no MAC address: %s", p->name, strerror(-id));
		return id;
	}

	/* the kernel's frames leave with the NIC's MAC, as if the host owned the NIC */
	snprintf(tapname, sizeof(tapname), "net_tap%u", index);
	snprintf(tapspec, sizeof(tapspec), "%s,iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT, tapname,
		 p->tap_name, RTE_ETHER_ADDR_BYTES(&p->mac));
	id = open_dev(tapspec, tapname);
	if (id < 0)
		return id;
	p->tap = (uint16_t)id;

	id = rte_eth_dev_info_get(p->nic, &ni);
	if (id == 0)
		id = rte_eth_dev_info_get(p->tap, &ti);
	if (id != 0) {
		log_warn("port %s: %s", p->name, strerror(-id));
		return id;
	}
	p->max_q = RTE_MIN(RTE_MIN(ni.max_rx_queues, ni.max_tx_queues),
			   RTE_MIN(ti.max_rx_queues, ti.max_tx_queues));
	p->max_txq = ni.max_tx_queues;
	return 0;
}

/* Up to @nq queue pairs on port @id, rx from @pool; @conf already set. */
static int
setup_queues(uint16_t id, const struct rte_eth_conf *conf, uint16_t nrxq, uint16_t ntxq,
	     uint16_t nrxd, uint16_t ntxd, int socket, struct rte_mempool *pool)
{
	uint16_t q;
	int err;

	err = rte_eth_dev_configure(id, nrxq, ntxq, conf);
	if (err == 0)
		err = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nrxd, &ntxd);
	for (q = 0; err == 0 && q < nrxq; q++)
		err = rte_eth_rx_queue_setup(id, q, nrxd, (unsigned int)socket, NULL, pool);
	for (q = 0; err == 0 && q < ntxq; q++)
		err = rte_eth_tx_queue_setup(id, q, ntxd, (unsigned int)socket, NULL);
	return err;
}

int
dp_port_start(struct dp_port *p, const struct dp_layout *l)
{
	uint16_t nq = (uint16_t)l->n_workers, ntxq = nq + (uint16_t)l->main_polls_exc;
	struct rte_eth_conf conf = {0}, tapconf = {0};
	struct rte_eth_dev_info info;
	enum dp_rss_kind kind;
	char poolname[RTE_MEMPOOL_NAMESIZE];
	unsigned int nmbuf;
	uint64_t rss;
	int socket, err;

	err = rte_eth_dev_info_get(p->nic, &info);
	if (err != 0)
		goto fail;
	/*
	 * RSS spreads clients over the workers, each with its own limiter
	 * table: a client's requests must all reach one worker for its rate
	 * limit to hold once (dataplane/rss.c).
	 */
	rss = dp_rss_choose(info.flow_type_rss_offloads, &kind);
	if (nq > 1 && rss != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = rss;
	}
	if (nq > 1 && kind == DP_RSS_ADDR)
		log_info("port %s: RSS on IP addresses only (rss_hf 0x%" PRIx64 "): each client "
			 "stays on one of the %u workers, and a ratelimit line holds once",
			 p->name, rss, nq);
	else if (nq > 1 && kind == DP_RSS_PORTS)
		log_warn("port %s: the NIC hashes on UDP ports too (rss_hf 0x%" PRIx64 "; no "
			 "address-only RSS offered): a client that changes its source port per "
			 "request (RFC 9109) reaches all %u workers, so a ratelimit line limits it "
			 "to %u times the configured rate",
			 p->name, rss, nq, nq);
	else if (nq > 1)
		log_warn("port %s has no RSS over IP: its own rule (for af_xdp and af_packet, the "
			 "kernel's RSS) spreads packets over the %u queues; a ratelimit line holds "
			 "once per client only if that rule keeps a client on one queue, up to %u "
			 "times the configured rate if not (docs/dpdk.md, \"RSS\")",
			 p->name, nq, nq);
	/*
	 * af_xdp and af_packet open a socket per queue of their devargs: the
	 * kernel keeps putting frames on a queue nobody polls, and they are lost.
	 */
	if ((strcmp(info.driver_name, "net_af_xdp") == 0 ||
	     strcmp(info.driver_name, "net_af_packet") == 0) &&
	    info.max_rx_queues > nq)
		log_warn("port %s has %u queues for %u worker(s): frames on the others are lost "
			 "(hint: queue_count= for af_xdp, qpairs= for af_packet, one per worker)",
			 p->name, info.max_rx_queues, nq);
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
		p->hw_stamp = 1;
	}

	/*
	 * Every mbuf that can be held at once: the NIC's and the TAP's rx rings,
	 * the NIC's tx rings (the TAP sends by copy), a burst in flight and a
	 * mempool cache per lcore.
	 */
	nmbuf = nq * (NIC_RXD + TAP_RXD) + ntxq * NIC_TXD +
		(l->n_workers + 1) * (POOL_CACHE + 3 * 32);
	nmbuf = nmbuf < POOL_MIN ? POOL_MIN : rte_align32pow2(nmbuf) - 1;
	socket = l->node >= 0 ? l->node : (int)rte_lcore_to_socket_id(l->lcore[0]);
	snprintf(poolname, sizeof(poolname), "dp_mbuf%u", p->index);
	p->pool = rte_pktmbuf_pool_create(poolname, nmbuf, POOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  socket);
	if (p->pool == NULL) {
		err = -rte_errno;
		log_warn("cannot allocate %u mbufs on node %d: %s (hint: more hugepages, or "
			 "EAL's -m)",
			 nmbuf, socket, rte_strerror(rte_errno));
		return err;
	}

	err = setup_queues(p->nic, &conf, nq, ntxq, NIC_RXD, NIC_TXD, socket, p->pool);
	if (err != 0)
		goto fail;
	if (p->hw_stamp) {
		/* the field and flag the PMD stamps into, registered once per process */
		err = rte_mbuf_dyn_rx_timestamp_register(&p->stamp_off, &p->stamp_flag);
		if (err != 0) {
			err = -rte_errno;
			goto fail;
		}
	}
	/* IPv6 neighbour solicitations go to solicited-node multicast groups */
	err = rte_eth_allmulticast_enable(p->nic);
	if (err != 0 && err != -ENOTSUP)
		log_warn("port %s: cannot receive all multicast (%s): IPv6 neighbours may not "
			 "find us",
			 p->name, strerror(-err));
	err = rte_eth_dev_start(p->nic);
	if (err != 0)
		goto fail;

	/* the TAP's tx queue w is worker w's; the kernel picks an rx queue per flow */
	err = setup_queues(p->tap, &tapconf, nq, nq, TAP_RXD, TAP_TXD, socket, p->pool);
	if (err == 0)
		err = rte_eth_dev_start(p->tap);
	if (err != 0) {
		rte_eth_dev_stop(p->nic);
		log_warn("exception port %s: %s", p->tap_name, strerror(-err));
		return err;
	}
	p->started = 1;
	return 0;
fail:
	log_warn("port %s: %s", p->name, strerror(-err));
	return err;
}

static void
print_stats(uint16_t id, const char *name)
{
	struct rte_eth_stats s;

	if (rte_eth_stats_get(id, &s) != 0)
		return;
	log_info("%s: rx %" PRIu64 " tx %" PRIu64 " missed %" PRIu64 " rx errors %" PRIu64
		 " tx errors %" PRIu64 " no mbuf %" PRIu64,
		 name, s.ipackets, s.opackets, s.imissed, s.ierrors, s.oerrors, s.rx_nombuf);
}

void
dp_port_stats(const struct dp_port *p)
{
	print_stats(p->nic, p->name);
	print_stats(p->tap, p->tap_name);
}

void
dp_port_close(struct dp_port *p)
{
	if (p->started) {
		rte_eth_dev_stop(p->tap);
		rte_eth_dev_stop(p->nic);
	}
	if (p->tap != RTE_MAX_ETHPORTS)
		rte_eth_dev_close(p->tap);
	if (p->nic != RTE_MAX_ETHPORTS)
		rte_eth_dev_close(p->nic);
	/* after the ports: their queues hold mbufs of the pool until closed */
	rte_mempool_free(p->pool);
	p->started = 0;
	p->pool = NULL;
}
