/* SPDX-License-Identifier: BSD-3-Clause */
#include "exception.h"

#include <rte_ethdev.h>
#include <rte_pause.h>

#include "worker.h"

unsigned int
dp_exc_poll(struct dp_exc *x)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned int total = 0, r;
	uint16_t q, n;

	for (r = 0; r < x->n_rings; r++) {
		n = (uint16_t)rte_ring_sc_dequeue_burst(x->to_kernel[r], (void **)m, DP_BURST, NULL);
		if (n == 0)
			continue;
		x->to_tap += n;
		dp_send(x->tap, 0, m, n, &x->to_tap_drop);
		total += n;
	}

	/* a multiqueue TAP: the kernel hashes each flow it sends to one of the queues */
	for (q = 0; q < x->n_tapq; q++) {
		n = rte_eth_rx_burst(x->tap, q, m, DP_BURST);
		if (n == 0)
			continue;
		x->fwd += n;
		dp_send(x->port, x->queue, m, n, &x->drop);
		total += n;
	}
	return total;
}

int
dp_exc_loop(void *arg)
{
	struct dp_exc *x = arg;

	while (!dp_quit)
		if (dp_exc_poll(x) == 0)
			rte_pause();
	return 0;
}
