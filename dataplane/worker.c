/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The burst loop (DPDK examples/skeleton/basicfwd.c): receive a burst, answer
 * each frame in place, send the answers back on the same queue and hand the
 * rest to the kernel through a ring to the exception path's lcore. No
 * syscall, lock, log or allocation in here (a virtual PMD may make its own:
 * af_xdp kicks the kernel to transmit).
 */
#include "worker.h"

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "neigh.h"
#include "policy.h"

/* The access list lookups the reply builder calls (include/strata/reply.h). */
static inline uint32_t
acl4(const struct strata_policy *pol, __be32 a)
{
	const struct dp_acl *acl = pol->acl;
	uint32_t nh;

	if (acl->lpm4 != NULL && rte_lpm_lookup(acl->lpm4, rte_be_to_cpu_32(a), &nh) == 0)
		return nh;
	return acl->dflt4;
}

static inline uint32_t
acl6(const struct strata_policy *pol, const __be32 *a)
{
	const struct dp_acl *acl = pol->acl;
	uint32_t nh;

	if (acl->lpm6 != NULL && rte_lpm6_lookup(acl->lpm6, (const uint8_t *)a, &nh) == 0)
		return nh;
	return acl->dflt6;
}

#define STRATA_ACL4(pol, a) acl4(pol, a)
#define STRATA_ACL6(pol, a) acl6(pol, a)
#include <strata/reply.h>

volatile sig_atomic_t dp_quit;

enum action {
	TO_NIC,	 /* answered: back where it came from */
	TO_TAP,	 /* not ours: the kernel's */
	TO_FREE, /* dropped */
};

void
dp_send(uint16_t port, uint16_t queue, struct rte_mbuf **m, uint16_t n, uint64_t *lost)
{
	uint16_t sent;

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(port, queue, m, n);
	if (unlikely(sent < n)) {
		*lost += n - sent;
		rte_pktmbuf_free_bulk(&m[sent], n - sent);
	}
}

/* Set the frame length to @len, which the neighbour responder may have grown. */
static int
set_len(struct rte_mbuf *m, uint16_t len)
{
	uint16_t have = rte_pktmbuf_data_len(m);

	if (len <= have)
		return rte_pktmbuf_trim(m, have - len);
	return rte_pktmbuf_append(m, len - have) == NULL ? -1 : 0;
}

static enum action
handle(struct dp_worker *w, struct rte_mbuf *m, uint64_t tsc, int phc)
{
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m);
	struct strata_result res;
	struct strata_clock clk;
	enum strata_verdict v;

	/* no scatter is configured: a chained frame is a jumbo, not NTP */
	if (unlikely(m->nb_segs != 1))
		return TO_TAP;

	switch (neigh_reply(data, &len, w->svc, w->mac)) {
	case NEIGH_REPLY:
		if (set_len(m, len) != 0)
			return TO_FREE;
		w->st.neigh_reply++;
		return TO_NIC;
	case NEIGH_DROP:
		w->st.neigh_drop++;
		return TO_FREE;
	case NEIGH_PASS:
		break;
	}

	clk.rx = tsc;
	clk.rx_scale = SNAP_SCALE_TSC;
	/* the PMD sets the flag on each mbuf it stamped */
	if (phc && (m->ol_flags & w->stamp_flag)) {
		clk.rx = *RTE_MBUF_DYNFIELD(m, w->stamp_off, rte_mbuf_timestamp_t *);
		clk.rx_scale = SNAP_SCALE_PHC0;
	}
	clk.tx_scale = SNAP_SCALE_TSC;
	clk.tx = rte_rdtsc();
	v = strata_reply_policy(data, data + len, w->svc, w->mac, w->snap, &clk, &w->pol, &res);
	/* one writer per row: a plain add, stratad sums the rows */
	w->cnt->c[res.reason]++;
	if (v == STRATA_REPLY) {
		rte_pktmbuf_trim(m, (uint16_t)(len - res.len));
		return TO_NIC;
	}
	return v == STRATA_PASS ? TO_TAP : TO_FREE;
}

int
dp_worker_loop(void *arg)
{
	struct dp_worker *w = arg;
	struct rte_mbuf *rx[DP_BURST], *tx[DP_BURST], *exc[DP_BURST];
	uint16_t n, i, ntx, nexc;
	uint64_t tsc;
	int phc;

	while (!dp_quit) {
		if (w->exc != NULL)
			dp_exc_poll(w->exc);
		n = rte_eth_rx_burst(w->port, w->queue, rx, DP_BURST);
		if (n == 0)
			continue;
		/* one software stamp for the burst: the frames arrived together */
		tsc = rte_rdtsc();
		w->pol.now = (uint32_t)(tsc >> w->tick_shift);
		/* a hardware stamp is in the NIC's PHC timescale: only with a PHC map */
		phc = w->hw_stamp && snap_has_map(w->snap, SNAP_SCALE_PHC0);
		ntx = nexc = 0;
		for (i = 0; i < n; i++) {
			if (i + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void *));
			switch (handle(w, rx[i], tsc, phc)) {
			case TO_NIC:
				tx[ntx++] = rx[i];
				break;
			case TO_TAP:
				exc[nexc++] = rx[i];
				break;
			case TO_FREE:
				rte_pktmbuf_free(rx[i]);
				break;
			}
		}
		dp_send(w->port, w->queue, tx, ntx, &w->st.tx_drop);
		if (nexc > 0) {
			unsigned int q = rte_ring_sp_enqueue_burst(w->to_kernel, (void **)exc,
								   nexc, NULL);

			if (unlikely(q < nexc)) {
				w->st.exc_drop += nexc - q;
				rte_pktmbuf_free_bulk(&exc[q], nexc - q);
			}
		}
	}
	return 0;
}
