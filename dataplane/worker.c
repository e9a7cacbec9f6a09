/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The burst loop (DPDK examples/skeleton/basicfwd.c): on each port in turn,
 * receive a burst, answer each frame in place, send the answers back on the
 * same queue and hand the rest to the kernel through a ring to the exception
 * path's lcore. No syscall, lock, log or allocation in a burst (a virtual PMD
 * may make its own: af_xdp kicks the kernel to transmit); a lone worker that
 * adopts generations itself does so between bursts (dataplane/gen.c).
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

#include "gen.h"
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
#include <strata/reply_nts.h>

volatile sig_atomic_t dp_quit;

enum action {
	TO_NIC,	    /* answered: back where it came from */
	TO_NIC_NTS, /* the same, an NTS answer (its losses are counted apart) */
	TO_TAP,	    /* not ours: the kernel's */
	TO_FREE,    /* dropped */
};
_Static_assert(DP_BURST <= 64, "burst() marks a burst's NTS answers in a 64-bit mask");

uint16_t
dp_send(uint16_t port, uint16_t queue, struct rte_mbuf **m, uint16_t n, __u64 *lost)
{
	uint16_t sent;

	if (n == 0)
		return 0;
	sent = rte_eth_tx_burst(port, queue, m, n);
	if (unlikely(sent < n)) {
		*lost += n - sent;
		rte_pktmbuf_free_bulk(&m[sent], n - sent);
	}
	return sent;
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

/*
 * Which answer the neighbour responder wrote, read off the reply: ARP, a
 * neighbour advertisement (ICMPv6 type 136), or else an echo reply.
 */
static enum strata_dp_counter
neigh_kind(const uint8_t *frame)
{
	const struct strata_eth *eth = (const struct strata_eth *)frame;
	unsigned int off = sizeof(*eth);
	__be16 type = eth->proto;

	if (type == STRATA_CONST_HTONS(0x8100)) {
		type = *(const __be16 *)(frame + off + 2);
		off += 4;
	}
	if (type == STRATA_CONST_HTONS(0x0806))
		return STRATA_DP_ARP_REPLY;
	/* the advertisement follows a bare IPv6 header: the responder wrote it so */
	if (type == STRATA_CONST_HTONS(0x86dd) && frame[off + 40] == 136)
		return STRATA_DP_ND_REPLY;
	return STRATA_DP_ECHO_REPLY;
}

static enum action
handle(struct dp_worker *w, const struct dp_wport *p, const struct dp_gen *g, struct rte_mbuf *m,
       uint64_t tsc, int phc)
{
	uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m);
	struct strata_result res;
	struct strata_clock clk;
	enum strata_verdict v;
	uint32_t nr, cookies;

	/* no scatter is configured: a chained frame is a jumbo, not NTP */
	if (unlikely(m->nb_segs != 1))
		return TO_TAP;

	switch (neigh_reply(data, &len, &g->svc, p->mac)) {
	case NEIGH_REPLY:
		if (set_len(m, len) != 0)
			return TO_FREE;
		w->dpc->c[neigh_kind(data)]++;
		return TO_NIC;
	case NEIGH_DROP:
		w->dpc->c[STRATA_DP_NEIGH_DROP]++;
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
	/* without master keys (none published yet) NTS requests are dropped: drop_no_keys */
	v = strata_reply_nts(data, data + len, &g->svc, p->mac, w->snap, &clk, &w->pol, &w->nts,
			     &res, &nr, &cookies);
	/* one writer per row: a plain add, stratad sums the rows */
	w->cnt->c[res.reason]++;
	if (unlikely(nr != STRATA_NTS_MAX)) {
		w->ntsc->c[nr]++;
		w->ntsc->c[STRATA_NTS_COOKIES] += cookies;
		if (v == STRATA_REPLY) {
			rte_pktmbuf_trim(m, (uint16_t)(len - res.len));
			return TO_NIC_NTS;
		}
	}
	if (v == STRATA_REPLY) {
		rte_pktmbuf_trim(m, (uint16_t)(len - res.len));
		return TO_NIC;
	}
	return v == STRATA_PASS ? TO_TAP : TO_FREE;
}

/* One burst from port @p, answered with one generation. */
static void
burst(struct dp_worker *w, const struct dp_wport *p)
{
	struct rte_mbuf *rx[DP_BURST], *tx[DP_BURST], *exc[DP_BURST];
	const struct dp_gen *g;
	uint16_t n, i, ntx, nexc, sent;
	uint64_t start, tsc, nts_tx = 0; /* bit i: tx[i] is an NTS answer */
	int phc;

	/*
	 * The forwarding cost, on testpmd's boundary (--record-core-cycles,
	 * app/test-pmd/5tswap.c): from before rx_burst to after tx_burst, in
	 * bursts that received frames; an empty poll is not counted.
	 */
	start = rte_rdtsc();
	n = rte_eth_rx_burst(p->nic, w->queue, rx, DP_BURST);
	if (n == 0)
		return;
	/* one software stamp for the burst: the frames arrived together */
	tsc = rte_rdtsc();
	/* the whole burst sees this generation; the loop's quiescent report comes after it */
	g = dp_gen_get(w->gens);
	w->pol.conf = &g->pol.conf;
	w->pol.acl = &g->pol.acl;
	w->pol.now = (uint32_t)(tsc >> w->tick_shift);
	/* a hardware stamp is in the NIC's PHC timescale: only with a PHC map */
	phc = p->hw_stamp && snap_has_map(w->snap, SNAP_SCALE_PHC0);
	ntx = nexc = 0;
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void *));
		switch (handle(w, p, g, rx[i], tsc, phc)) {
		case TO_NIC_NTS:
			nts_tx |= 1ull << ntx;
			/* fall through */
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
	sent = dp_send(p->nic, w->queue, tx, ntx, &w->dpc->c[STRATA_DP_TX_DROP]);
	/* dp_send() lost tx[sent..]: the NTS answers among them count in the NTS row too */
	if (unlikely((nts_tx >> sent) != 0))
		w->ntsc->c[STRATA_NTS_TX_DROP] += (uint64_t)__builtin_popcountll(nts_tx >> sent);
	if (nexc > 0) {
		/* mbuf->port says the exception path which TAP each frame is for */
		unsigned int q = rte_ring_sp_enqueue_burst(w->to_kernel, (void **)exc, nexc, NULL);

		if (unlikely(q < nexc)) {
			w->dpc->c[STRATA_DP_EXC_RING_DROP] += nexc - q;
			rte_pktmbuf_free_bulk(&exc[q], nexc - q);
		}
	}
	w->dpc->c[STRATA_DP_BURST_CYCLES] += rte_rdtsc() - start;
	w->dpc->c[STRATA_DP_BURST_PACKETS] += n;
}

int
dp_worker_loop(void *arg)
{
	struct dp_worker *w = arg;
	struct rte_rcu_qsbr *q = w->gens->qsbr;
	uint16_t p;

	rte_rcu_qsbr_thread_register(q, w->id);
	rte_rcu_qsbr_thread_online(q, w->id);
	while (!dp_quit) {
		/* here the worker holds no generation: a grace period may end */
		rte_rcu_qsbr_quiescent(q, w->id);
		if (w->adopts)
			dp_gen_poll(w->gens, w->id);
		if (w->exc != NULL)
			dp_exc_poll(w->exc);
		/*
		 * The master keys stratad rotates: two loads of a line it
		 * rarely writes, and a re-key only when their generation moved
		 * (a write under way is retried in the next round).
		 */
		nts_server_sync(&w->nts, w->nts_keys);
		for (p = 0; p < w->n_ports; p++)
			burst(w, &w->port[p]);
	}
	rte_rcu_qsbr_thread_offline(q, w->id);
	rte_rcu_qsbr_thread_unregister(q, w->id);
	return 0;
}
