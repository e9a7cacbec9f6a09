/* SPDX-License-Identifier: BSD-3-Clause */
#include "policy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>

#include "log.h"

/*
 * A /0 rule is the family's default: DPDK's LPM tables hold prefixes of 1 to
 * 32 (128) bits only. Each generation's tables have names of their own: the
 * old generation's live until the workers have left them.
 */
static int
acl_build(struct dp_acl *a, const struct strata_fastcfg *fc, uint64_t id, int socket)
{
	struct rte_lpm_config c4 = {.max_rules = STRATA_ACL_MAX};
	struct rte_lpm6_config c6 = {.max_rules = STRATA_ACL_MAX};
	char name4[RTE_LPM_NAMESIZE], name6[RTE_LPM_NAMESIZE];
	unsigned int i;
	int err = 0;

	/*
	 * Second-level groups: a prefix past /24 takes one in IPv4, one per
	 * octet past the first 24 bits in IPv6 (13 for a /128).
	 */
	for (i = 0; i < fc->n_acl; i++) {
		if (fc->acl[i].family == 4)
			c4.number_tbl8s += fc->acl[i].prefixlen > 24;
		else if (fc->acl[i].prefixlen > 24)
			c6.number_tbl8s += (fc->acl[i].prefixlen - 24 + 7) / 8;
	}
	c4.number_tbl8s++;
	c6.number_tbl8s++;
	snprintf(name4, sizeof(name4), "strata_acl4_%" PRIu64, id);
	snprintf(name6, sizeof(name6), "strata_acl6_%" PRIu64, id);

	a->dflt4 = a->dflt6 = fc->acl_default;
	for (i = 0; i < fc->n_acl && err == 0; i++) {
		const struct strata_acl_rule *r = &fc->acl[i];

		if (r->prefixlen == 0) {
			*(r->family == 4 ? &a->dflt4 : &a->dflt6) = r->action;
		} else if (r->family == 4) {
			uint32_t ip;

			if (a->lpm4 == NULL)
				a->lpm4 = rte_lpm_create(name4, socket, &c4);
			if (a->lpm4 == NULL)
				break;
			memcpy(&ip, r->addr, sizeof(ip));
			err = rte_lpm_add(a->lpm4, rte_be_to_cpu_32(ip), r->prefixlen, r->action);
		} else {
			if (a->lpm6 == NULL)
				a->lpm6 = rte_lpm6_create(name6, socket, &c6);
			if (a->lpm6 == NULL)
				break;
			err = rte_lpm6_add(a->lpm6, r->addr, r->prefixlen, r->action);
		}
		if (err != 0)
			log_warn("access list rule %u: %s", i + 1, rte_strerror(-err));
	}
	if (i < fc->n_acl && err == 0) {
		log_warn("cannot create the access list tables: %s", rte_strerror(rte_errno));
		return -1;
	}
	return err != 0 ? -1 : 0;
}

unsigned int
dp_policy_tick_shift(void)
{
	uint64_t hz = rte_get_tsc_hz();

	/* limiter ticks: the largest power of two of TSC cycles within a millisecond */
	return 63 - (unsigned int)__builtin_clzll(hz / 1000 > 1 ? hz / 1000 : 1);
}

int
dp_policy_build(struct dp_policy *p, const struct strata_fastcfg *fc, unsigned int tick_shift,
		int socket)
{
	static uint64_t built; /* names the tables: a generation number may come back */

	memset(p, 0, sizeof(*p));
	p->tick_shift = tick_shift;
	strata_fastcfg_policy(fc, (double)(1ull << tick_shift) / (double)rte_get_tsc_hz(),
			      &p->conf);
	if (acl_build(&p->acl, fc, ++built, socket) != 0) {
		dp_policy_fini(p);
		return -1;
	}
	return 0;
}

struct strata_rl_table *
dp_policy_limiter(unsigned int w, int socket)
{
	struct strata_rl_table *rl;
	char name[32];

	/* always: a later generation may turn a ratelimit line on */
	snprintf(name, sizeof(name), "strata_rl%u", w);
	rl = rte_zmalloc_socket(name, sizeof(*rl), RTE_CACHE_LINE_SIZE, socket);
	if (rl == NULL) {
		log_warn("cannot allocate the rate limiter of worker %u (%zu octets)", w,
			 sizeof(*rl));
		return NULL;
	}
	/* each worker's own leak generator; 0 would be replaced from the seed */
	if (getrandom(&rl->rng, sizeof(rl->rng), 0) != sizeof(rl->rng))
		rl->rng = 0;
	return rl;
}

void
dp_policy_fini(struct dp_policy *p)
{
	rte_lpm_free(p->acl.lpm4);
	rte_lpm6_free(p->acl.lpm6);
	p->acl.lpm4 = NULL;
	p->acl.lpm6 = NULL;
}
