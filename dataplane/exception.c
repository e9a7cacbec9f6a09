/* SPDX-License-Identifier: BSD-3-Clause */
#include "exception.h"

#include <rte_ethdev.h>
#include <rte_pause.h>

#include "gen.h"
#include "worker.h"

/* Write @n frames from a worker's ring to the TAP of the port each came in on. */
static void
to_kernel(struct dp_exc *x, struct rte_mbuf **m, uint16_t n)
{
	struct rte_mbuf *by[DP_EXC_PORTS][DP_BURST];
	uint16_t cnt[DP_EXC_PORTS] = {0}, i;
	unsigned int p;

	for (i = 0; i < n; i++) {
		for (p = 0; p + 1 < x->n_ports && x->port[p].nic != m[i]->port; p++)
			;
		by[p][cnt[p]++] = m[i];
	}
	for (p = 0; p < x->n_ports; p++)
		dp_send(x->port[p].tap, 0, by[p], cnt[p], &x->cnt->c[STRATA_DP_TO_KERNEL_DROP]);
	x->cnt->c[STRATA_DP_TO_KERNEL] += n;
}

unsigned int
dp_exc_poll(struct dp_exc *x)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned int total = 0, r, p;
	uint16_t q, n;

	for (r = 0; r < x->n_rings; r++) {
		n = (uint16_t)rte_ring_sc_dequeue_burst(x->to_kernel[r], (void **)m, DP_BURST,
							NULL);
		if (n == 0)
			continue;
		to_kernel(x, m, n);
		total += n;
	}

	/* a multiqueue TAP: the kernel hashes each flow it sends to one of the queues */
	for (p = 0; p < x->n_ports; p++)
		for (q = 0; q < x->port[p].n_tapq; q++) {
			n = rte_eth_rx_burst(x->port[p].tap, q, m, DP_BURST);
			if (n == 0)
				continue;
			x->cnt->c[STRATA_DP_FROM_KERNEL] += n;
			dp_send(x->port[p].nic, x->queue, m, n,
				&x->cnt->c[STRATA_DP_FROM_KERNEL_DROP]);
			total += n;
		}
	return total;
}

int
dp_exc_loop(void *arg)
{
	struct dp_exc *x = arg;

	while (!dp_quit) {
		dp_gen_poll(x->gens, RTE_QSBR_THRID_INVALID);
		if (dp_exc_poll(x) == 0)
			rte_pause();
	}
	return 0;
}
