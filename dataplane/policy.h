/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who the DPDK workers answer: the access list in DPDK's LPM tables and one
 * rate limiter table per worker (include/strata/policy.h). Built once before
 * the workers start; the workers only read the tables and write their own
 * limiter.
 */
#pragma once

#include <stdint.h>

#include <strata/policy.h>

#include "config.h"

struct rte_lpm;
struct rte_lpm6;

/* The access list as the STRATA_ACL4/6 hooks see it (struct strata_policy's acl). */
struct dp_acl {
	struct rte_lpm *lpm4;   /* NULL without IPv4 rules */
	struct rte_lpm6 *lpm6;  /* NULL without IPv6 rules */
	uint32_t dflt4, dflt6;  /* no rule matches: a /0 rule, else the configured default */
};

struct dp_policy {
	struct strata_policy_conf conf;
	struct dp_acl acl;
	unsigned int tick_shift; /* limiter ticks are TSC >> tick_shift */
};

/*
 * Build @p from @c on NUMA node @socket. @return 0, or -1 with the reason
 * logged.
 */
int dp_policy_init(struct dp_policy *p, const struct cfg *c, int socket);

/* Give worker @w's @pol the shared settings and its own limiter table; 0 or -1. */
int dp_policy_worker(const struct dp_policy *p, struct strata_policy *pol, unsigned int w,
		     int socket);

/* Free the access list tables of @p (a worker's limiter is rte_free()d by its owner). */
void dp_policy_fini(struct dp_policy *p);
