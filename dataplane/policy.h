/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who the DPDK workers answer: the access list in DPDK's LPM tables and one
 * rate limiter table per worker (include/strata/policy.h). A policy is built
 * for each generation of stratad's configuration (dataplane/gen.c); the
 * workers only read its tables and write their own limiter, which outlives
 * the generations (the limiter's seed does too, so its state stays valid).
 */
#pragma once

#include <stdint.h>

#include <strata/fastcfg.h>
#include <strata/policy.h>

struct rte_lpm;
struct rte_lpm6;

/* The access list as the STRATA_ACL4/6 hooks see it (struct strata_policy's acl). */
struct dp_acl {
	struct rte_lpm *lpm4;  /* NULL without IPv4 rules */
	struct rte_lpm6 *lpm6; /* NULL without IPv6 rules */
	uint32_t dflt4, dflt6; /* no rule matches: a /0 rule, else the configured default */
};

struct dp_policy {
	struct strata_policy_conf conf;
	struct dp_acl acl;
	unsigned int tick_shift; /* limiter ticks are TSC >> tick_shift */
};

/* The limiter tick of this host: TSC cycles >> the returned shift, about a millisecond. */
unsigned int dp_policy_tick_shift(void);

/*
 * Build @p from the checked @fc (dp_fastcfg_check()) on NUMA node @socket.
 * @return 0, or -1 with the reason logged and nothing left allocated.
 */
int dp_policy_build(struct dp_policy *p, const struct strata_fastcfg *fc, unsigned int tick_shift,
		    int socket);

/* Worker @w's rate limiter table, zeroed, or NULL with a message; rte_free() it. */
struct strata_rl_table *dp_policy_limiter(unsigned int w, int socket);

/* Free the access list tables of @p. */
void dp_policy_fini(struct dp_policy *p);
