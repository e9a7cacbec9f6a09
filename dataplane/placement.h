/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where the dataplane runs: the NIC's NUMA node, the worker lcores, and who
 * polls the exception path.
 */
#pragma once

#include <stdint.h>

#include <strata/shm.h>

struct dp_layout {
	int node;		/* the NIC's NUMA node, -1 when unknown (virtual devices) */
	unsigned int n_workers; /* worker w: lcore[w], NIC rx/tx queue w, TAP queue w */
	unsigned int lcore[STRATA_SHM_MAX_LCORES];
	int main_is_worker; /* the main lcore is the only one: it is worker 0 */
	int main_polls_exc; /* the main lcore polls the TAP, on NIC tx queue n_workers */
};

/* NUMA node of the PCI device at @pci (any form EAL accepts), or -1. */
int dp_pci_node(const char *pci);

/*
 * Choose the workers among EAL's lcores: the non-main ones on @node (all of
 * them when @node is -1 or has none), or the main lcore when it is alone;
 * at most @max_q (queue pairs the ports offer). The exception path gets the
 * main lcore and a NIC tx queue of its own when there is one spare among
 * @max_txq, else worker 0 polls it on its own queue.
 */
void dp_place(struct dp_layout *l, int node, uint16_t max_q, uint16_t max_txq);

/* Print the layout: lcores, their CPUs, cores and nodes, queues, and the rx stamp mode. */
void dp_place_print(const struct dp_layout *l, const char *port, const char *stamp);
