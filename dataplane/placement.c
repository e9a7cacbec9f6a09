/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Placement: workers belong on the NIC's NUMA node, where its descriptors,
 * its mbufs and the PCIe root it sits behind are; a worker on the far node
 * pays a cross-node access on every packet.
 */
#include "placement.h"

#include <hwloc.h>
#include <rte_lcore.h>
#include <rte_pci.h>

#include "log.h"

int
dp_pci_node(const char *pci)
{
	char busid[PCI_PRI_STR_SIZE];
	struct rte_pci_addr addr;
	hwloc_topology_t topo;
	hwloc_obj_t dev, up;
	int node = -1;

	/* hwloc wants the full domain:bus:dev.fn form; EAL also accepts bus:dev.fn */
	if (rte_pci_addr_parse(pci, &addr) != 0)
		return -1;
	rte_pci_device_name(&addr, busid, sizeof(busid));
	if (hwloc_topology_init(&topo) != 0)
		return -1;
	/* PCI devices are filtered out of a topology by default */
	if (hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT) != 0 ||
	    hwloc_topology_load(topo) != 0)
		goto out;
	dev = hwloc_get_pcidev_by_busidstring(topo, busid);
	if (dev == NULL)
		goto out;
	/* the first CPU-side object above the device: its nodes are the NIC's */
	up = hwloc_get_non_io_ancestor_obj(topo, dev);
	if (up != NULL && up->nodeset != NULL && hwloc_bitmap_weight(up->nodeset) == 1)
		node = hwloc_bitmap_first(up->nodeset);
out:
	hwloc_topology_destroy(topo);
	return node;
}

void
dp_place(struct dp_layout *l, int node, uint16_t max_q, uint16_t max_txq)
{
	unsigned int lc, n = 0;
	int pass;

	l->node = node;
	/* first the node's lcores; the others only if the node has none */
	for (pass = 0; pass < 2 && n == 0; pass++) {
		/* RTE_LCORE_FOREACH_WORKER(), spelled out for clang-format */
		for (lc = rte_get_next_lcore(-1, 1, 0); lc < RTE_MAX_LCORE;
		     lc = rte_get_next_lcore(lc, 1, 0))
			if ((pass == 1 || node < 0 || (int)rte_lcore_to_socket_id(lc) == node) &&
			    n < max_q && n < STRATA_SHM_MAX_LCORES)
				l->lcore[n++] = lc;
		if (pass == 0 && n == 0 && node >= 0 && rte_lcore_count() > 1)
			log_warn("no worker lcore on the NIC's NUMA node %d: using the others",
				 node);
	}
	if (n > 0 && n < rte_lcore_count() - 1)
		log_warn("%u lcore(s) left idle: on another NUMA node, or more than the %u queue "
			 "pair(s) of the port",
			 rte_lcore_count() - 1 - n, max_q);
	l->main_is_worker = n == 0;
	if (n == 0)
		l->lcore[n++] = rte_get_main_lcore();
	l->n_workers = n;
	l->main_polls_exc = !l->main_is_worker && max_txq > n;
}

/* The first CPU lcore @lc may run on (EAL's --lcores can give it several). */
static int
first_cpu(unsigned int lc)
{
	rte_cpuset_t set = rte_lcore_cpuset(lc);
	int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			return cpu;
	return -1;
}

void
dp_place_print(const struct dp_layout *l, const char *port, const char *stamp)
{
	unsigned int w;

	log_info("port %s on NUMA node %d%s, %u rx queue%s, %u tx queue%s", port, l->node,
		 l->node < 0 ? " (unknown: not a PCI device)" : "", l->n_workers,
		 l->n_workers == 1 ? "" : "s", l->n_workers + l->main_polls_exc,
		 l->n_workers + l->main_polls_exc == 1 ? "" : "s");
	for (w = 0; w < l->n_workers; w++)
		log_info("worker %u: lcore %u (cpu %d, node %u), rx/tx queue %u, tap tx queue %u",
			 w, l->lcore[w], first_cpu(l->lcore[w]),
			 rte_lcore_to_socket_id(l->lcore[w]), w, w);
	if (l->main_polls_exc)
		log_info("exception path: main lcore %u polls the tap, tx queue %u",
			 rte_get_main_lcore(), l->n_workers);
	else
		log_info("exception path: worker 0 polls the tap, tx queue 0");
	log_info("rx timestamps: %s", stamp);
}
