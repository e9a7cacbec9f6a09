/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration generations: the service addresses and the policy the
 * workers use, taken from stratad's shared memory (dataplane/fastcfg.h) and
 * swapped at a quiescent point, after grout's control plane and datapath
 * (modules/infra/datapath/main_loop.c): the lcore that adopts a generation
 * builds it whole, publishes one pointer, and frees the previous generation
 * only after every worker has reported a quiescent state (rte_rcu_qsbr)
 * since the publish. A worker loads the pointer once per burst and reports
 * quiescence once per loop, outside any burst: each frame sees one
 * generation, old or new, never parts of both.
 */
#pragma once

#include <stdint.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#include <strata/shm.h>

#include "policy.h"

/* How often the adopting lcore looks at the shared memory's sequence count. */
#define DP_GEN_POLL_MS 50

/* One generation, as the workers read it. */
struct dp_gen {
	__u64 gen;
	struct strata_service svc;
	struct dp_policy pol;
};

struct dp_gens {
	struct dp_gen *cur; /* the workers' generation: dp_gen_get() */
	uint8_t pad[RTE_CACHE_LINE_SIZE - sizeof(struct dp_gen *)];
	/* the adopting lcore's own, below */
	struct strata_shm *shm;
	struct rte_rcu_qsbr *qsbr; /* worker w reports as thread w */
	struct dp_gen *retired;	   /* the previous generation, until its grace period ends */
	uint64_t token;		   /* rte_rcu_qsbr_start() of that grace period */
	uint32_t seq;		   /* the sequence count last looked at */
	int have_seq;
	unsigned int tick_shift;
	int socket;
	uint64_t next_poll; /* TSC */
	uint64_t poll_cycles;
	uint64_t wd_next;   /* TSC of systemd's next watchdog ping */
	uint64_t wd_cycles; /* half WATCHDOG_USEC; 0: no watchdog */
	uint64_t wd_token;  /* rte_rcu_qsbr_start() at the last ping */
	struct strata_fastcfg fc; /* the copy being checked (20 KiB: not on a stack) */
} __rte_cache_aligned;

/*
 * Set @g up for @n_workers readers on NUMA node @socket, reading @shm.
 * @return 0, or -1 with a message.
 */
int dp_gen_init(struct dp_gens *g, struct strata_shm *shm, unsigned int n_workers, int socket);

/*
 * Wait until stratad has published a first generation and adopt it (no
 * worker runs yet). @return 0, or -1 when asked to quit first.
 */
int dp_gen_first(struct dp_gens *g);

/*
 * On the adopting lcore, between its own work: at most every
 * DP_GEN_POLL_MS, end a grace period that is over, then adopt a new
 * generation if stratad has published one that passes the checks; and
 * ping systemd's watchdog (WATCHDOG=1 at half WATCHDOG_USEC) while every
 * worker reports quiescent states, so that a stuck worker stops the pings. @self is
 * the caller's reader id when it is also a worker (it is quiescent here),
 * else RTE_QSBR_THRID_INVALID.
 */
void dp_gen_poll(struct dp_gens *g, unsigned int self);

/* Free every generation and the QSBR variable; the workers have stopped. */
void dp_gen_fini(struct dp_gens *g);

/* The generation a worker uses for one burst: loaded once, after its quiescent report. */
static inline const struct dp_gen *
dp_gen_get(const struct dp_gens *g)
{
	return __atomic_load_n(&g->cur, __ATOMIC_ACQUIRE);
}
