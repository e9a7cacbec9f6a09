/* SPDX-License-Identifier: BSD-3-Clause */
#include "policy.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>

#include "log.h"

/*
 * A /0 rule is the family's default: DPDK's LPM tables hold prefixes of 1 to
 * 32 (128) bits only.
 */
static int
acl_build(struct dp_acl *a, const struct cfg *c, uint32_t dflt, int socket)
{
	struct rte_lpm_config c4 = {.max_rules = STRATA_ACL_MAX};
	struct rte_lpm6_config c6 = {.max_rules = STRATA_ACL_MAX};
	unsigned int i;
	int err = 0;

	/*
	 * Second-level groups: a prefix past /24 takes one in IPv4, one per
	 * octet past the first 24 bits in IPv6 (13 for a /128).
	 */
	for (i = 0; i < c->n_acl; i++) {
		if (c->acl[i].family == AF_INET)
			c4.number_tbl8s += c->acl[i].prefixlen > 24;
		else if (c->acl[i].prefixlen > 24)
			c6.number_tbl8s += (c->acl[i].prefixlen - 24 + 7) / 8;
	}
	c4.number_tbl8s++;
	c6.number_tbl8s++;

	a->dflt4 = a->dflt6 = dflt;
	for (i = 0; i < c->n_acl && err == 0; i++) {
		const struct cfg_acl *r = &c->acl[i];

		if (r->prefixlen == 0) {
			*(r->family == AF_INET ? &a->dflt4 : &a->dflt6) = (uint32_t)r->action;
		} else if (r->family == AF_INET) {
			uint32_t ip;

			if (a->lpm4 == NULL)
				a->lpm4 = rte_lpm_create("strata_acl4", socket, &c4);
			if (a->lpm4 == NULL)
				break;
			memcpy(&ip, r->addr, sizeof(ip));
			err = rte_lpm_add(a->lpm4, rte_be_to_cpu_32(ip), (uint8_t)r->prefixlen,
					  (uint32_t)r->action);
		} else {
			if (a->lpm6 == NULL)
				a->lpm6 = rte_lpm6_create("strata_acl6", socket, &c6);
			if (a->lpm6 == NULL)
				break;
			err = rte_lpm6_add(a->lpm6, r->addr, (uint8_t)r->prefixlen,
					   (uint32_t)r->action);
		}
		if (err != 0)
			log_warn("access list line %u: %s", r->line, rte_strerror(-err));
	}
	if (i < c->n_acl && err == 0) {
		log_warn("cannot create the access list tables: %s", rte_strerror(rte_errno));
		return -1;
	}
	return err != 0 ? -1 : 0;
}

int
dp_policy_init(struct dp_policy *p, const struct cfg *c, int socket)
{
	uint64_t hz = rte_get_tsc_hz(), seed;
	char line[128];

	memset(p, 0, sizeof(*p));
	/* limiter ticks: the largest power of two of TSC cycles within a millisecond */
	p->tick_shift = 63 - (unsigned int)__builtin_clzll(hz / 1000 > 1 ? hz / 1000 : 1);
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
		log_warn("getrandom: %s", strerror(errno));
		return -1;
	}
	cfg_policy(c, (double)(1ull << p->tick_shift) / (double)hz, seed, &p->conf);
	if (acl_build(&p->acl, c, p->conf.acl_default, socket) != 0) {
		dp_policy_fini(p);
		return -1;
	}
	if (c->n_acl > 0 || c->ratelimit.on)
		log_info("policy: %s", cfg_policy_summary(c, line, sizeof(line)));
	return 0;
}

int
dp_policy_worker(const struct dp_policy *p, struct strata_policy *pol, unsigned int w,
		 int socket)
{
	char name[32];

	memset(pol, 0, sizeof(*pol));
	pol->conf = &p->conf;
	pol->acl = &p->acl;
	if (!p->conf.rl_on)
		return 0;
	snprintf(name, sizeof(name), "strata_rl%u", w);
	pol->rl = rte_zmalloc_socket(name, sizeof(*pol->rl), RTE_CACHE_LINE_SIZE, socket);
	if (pol->rl == NULL) {
		log_warn("cannot allocate the rate limiter of worker %u (%zu octets)", w,
			 sizeof(*pol->rl));
		return -1;
	}
	/* each worker's own leak generator; 0 would be replaced from the seed */
	if (getrandom(&pol->rl->rng, sizeof(pol->rl->rng), 0) != sizeof(pol->rl->rng))
		pol->rl->rng = 0;
	return 0;
}

void
dp_policy_fini(struct dp_policy *p)
{
	rte_lpm_free(p->acl.lpm4);
	rte_lpm6_free(p->acl.lpm6);
	p->acl.lpm4 = NULL;
	p->acl.lpm6 = NULL;
}
