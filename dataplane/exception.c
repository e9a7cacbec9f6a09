/* SPDX-License-Identifier: BSD-3-Clause */
#include "exception.h"

#include <rte_ethdev.h>
#include <rte_pause.h>

#include "worker.h"

unsigned int
dp_exc_poll(struct dp_exc *x)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned int total = 0;
	uint16_t q, n;

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
