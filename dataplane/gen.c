/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "fastcfg.h"
#include "log.h"
#include "sdnotify.h"
#include "worker.h"

int
dp_gen_init(struct dp_gens *g, struct strata_shm *shm, unsigned int n_workers, int socket)
{
	size_t sz = rte_rcu_qsbr_get_memsize(n_workers);

	memset(g, 0, sizeof(*g));
	g->shm = shm;
	g->socket = socket;
	g->tick_shift = dp_policy_tick_shift();
	g->poll_cycles = rte_get_tsc_hz() / 1000 * DP_GEN_POLL_MS;
	g->wd_cycles = rte_get_tsc_hz() / 1000 * sd_watchdog_init(0);
	g->wd_next = rte_rdtsc() + g->wd_cycles;
	g->qsbr = rte_zmalloc_socket("strata_qsbr", sz, RTE_CACHE_LINE_SIZE, socket);
	if (g->qsbr == NULL || rte_rcu_qsbr_init(g->qsbr, n_workers) != 0) {
		log_warn("cannot set up RCU QSBR for %u workers: %s", n_workers,
			 rte_strerror(rte_errno));
		rte_free(g->qsbr);
		g->qsbr = NULL;
		return -1;
	}
	return 0;
}

static void
gen_free(struct dp_gen *x)
{
	if (x == NULL)
		return;
	dp_policy_fini(&x->pol);
	rte_free(x);
}

/* Build generation @fc (checked); NULL with a message. */
static struct dp_gen *
gen_build(struct dp_gens *g, const struct strata_fastcfg *fc)
{
	struct dp_gen *x =
		rte_zmalloc_socket("strata_gen", sizeof(*x), RTE_CACHE_LINE_SIZE, g->socket);

	if (x == NULL) {
		log_warn("generation %llu: out of memory", fc->gen);
		return NULL;
	}
	x->gen = fc->gen;
	x->svc = fc->svc;
	if (dp_policy_build(&x->pol, fc, g->tick_shift, g->socket) != 0) {
		rte_free(x);
		return NULL;
	}
	return x;
}

static void
gen_log(const struct strata_fastcfg *fc, const char *what)
{
	log_info("generation %llu %s: %u IPv4 and %u IPv6 service addresses, %u access "
		 "list rule%s (default %s)%s",
		 fc->gen, what, fc->svc.n_addr4, fc->svc.n_addr6, fc->n_acl,
		 fc->n_acl == 1 ? "" : "s", fc->acl_default == STRATA_ACL_ALLOW ? "allow" : "deny",
		 fc->rl_on ? ", rate limit on" : "");
}

/*
 * A copy of a new generation that passes the checks, in g->fc. @return 1,
 * or 0 when there is none (no change, a write under way, or a refused copy,
 * logged once).
 */
static int
gen_read(struct dp_gens *g)
{
	const struct dp_gen *cur = g->cur;
	uint32_t seq = __atomic_load_n(&g->shm->cfg_seq, __ATOMIC_ACQUIRE);
	char why[128];

	/* the same count: nothing was written since the last look */
	if (g->have_seq && seq == g->seq)
		return 0;
	if (dp_fastcfg_copy(g->shm, &g->fc, &seq) != 0)
		return 0;
	g->seq = seq;
	g->have_seq = 1;
	if (g->fc.gen == 0 || (cur != NULL && g->fc.gen == cur->gen))
		return 0;
	if (dp_fastcfg_check(&g->fc, why, sizeof(why)) != 0) {
		if (cur != NULL)
			log_warn("generation %llu in the shared memory refused: %s; the "
				 "workers keep generation %llu",
				 g->fc.gen, why, cur->gen);
		else
			log_warn("generation %llu in the shared memory refused: %s; still "
				 "waiting for a good one",
				 g->fc.gen, why);
		return 0;
	}
	return 1;
}

int
dp_gen_first(struct dp_gens *g)
{
	int said = 0;

	while (!dp_quit) {
		if (gen_read(g)) {
			g->cur = gen_build(g, &g->fc);
			if (g->cur != NULL) {
				gen_log(&g->fc, "adopted");
				STRATA_WRITE_ONCE(g->shm->dp_gen, g->cur->gen);
				return 0;
			}
		}
		if (!said)
			log_info("waiting for stratad's first configuration in the shared memory: "
				 "nothing is served until then");
		said = 1;
		usleep(10000);
	}
	return -1;
}

/*
 * systemd's watchdog: ping only when every worker has reported a quiescent
 * state since the last ping (the token), so that one stuck in a loop stops
 * the pings and systemd restarts the dataplane. A late check waits a whole
 * period, which systemd's timeout (twice the period) allows once.
 */
static void
watchdog(struct dp_gens *g, uint64_t now)
{
	if (g->wd_cycles == 0 || now < g->wd_next)
		return;
	g->wd_next = now + g->wd_cycles;
	if (g->wd_token != 0 && rte_rcu_qsbr_check(g->qsbr, g->wd_token, false) != 1) {
		log_warn("a worker has reported no quiescent state for %llu ms: no watchdog ping",
			 (unsigned long long)(g->wd_cycles * 1000 / rte_get_tsc_hz()));
		return;
	}
	sd_notifyf("WATCHDOG=1");
	g->wd_token = rte_rcu_qsbr_start(g->qsbr);
}

/* The grace period of the retired generation is over: no worker can still see it. */
static void
retire_end(struct dp_gens *g)
{
	gen_free(g->retired);
	g->retired = NULL;
	STRATA_WRITE_ONCE(g->shm->dp_gen, g->cur->gen);
}

void
dp_gen_poll(struct dp_gens *g, unsigned int self)
{
	struct dp_gen *x, *old;
	uint64_t now = rte_rdtsc();

	if (now < g->next_poll)
		return;
	g->next_poll = now + g->poll_cycles;
	watchdog(g, now);
	if (g->retired != NULL && rte_rcu_qsbr_check(g->qsbr, g->token, false) == 1)
		retire_end(g);
	if (!gen_read(g))
		return;
	x = gen_build(g, &g->fc);
	if (x == NULL) {
		log_warn("generation %llu not adopted; the workers keep generation %llu", g->fc.gen,
			 g->cur->gen);
		return;
	}
	/* one retired generation at a time: wait out the previous grace period */
	if (g->retired != NULL) {
		rte_rcu_qsbr_synchronize(g->qsbr, self);
		retire_end(g);
	}
	old = g->cur;
	/* release: the workers that load the pointer see the generation built whole */
	__atomic_store_n(&g->cur, x, __ATOMIC_RELEASE);
	g->retired = old;
	if (self != RTE_QSBR_THRID_INVALID) {
		/* the one worker is here, between bursts: the grace period ends at once */
		rte_rcu_qsbr_synchronize(g->qsbr, self);
		retire_end(g);
	} else {
		g->token = rte_rcu_qsbr_start(g->qsbr);
	}
	gen_log(&g->fc, "adopted");
}

void
dp_gen_fini(struct dp_gens *g)
{
	gen_free(g->retired);
	gen_free(g->cur);
	g->retired = g->cur = NULL;
	rte_free(g->qsbr);
	g->qsbr = NULL;
}
