/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/fastcfg.c: strata-dpdk copies stratad's configuration out of the
 * shared memory only between two equal even sequence counts, and refuses a
 * copy with any field out of the bounds it indexes with or builds tables from.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fastcfg.h"

#include "cunit_main.h"

static struct strata_shm *
new_shm(void)
{
	struct strata_shm *m = calloc(1, sizeof(*m));
	struct strata_fastcfg *fc = &m->cfg;

	fc->gen = 3;
	fc->seed = 1;
	fc->svc.ttl = STRATA_DEFAULT_TTL;
	fc->svc.n_addr4 = 1;
	fc->svc.addr4[0] = 0x010200c0; /* 192.0.2.1 in memory order */
	fc->n_acl = 2;
	fc->acl[0] = (struct strata_acl_rule){
		.addr = {198, 51, 100}, .family = 4, .prefixlen = 24, .action = STRATA_ACL_DENY};
	fc->acl[1] = (struct strata_acl_rule){.addr = {0x20, 0x01, 0x0d, 0xb8},
					      .family = 6,
					      .prefixlen = 32,
					      .action = STRATA_ACL_DENY_KOD};
	fc->rl_on = 1;
	fc->rl_interval = -4;
	fc->rl_burst = 8;
	fc->rl_leak = 2;
	m->cfg_seq = 4;
	return m;
}

static void
test_copy(void)
{
	struct strata_shm *m = new_shm();
	struct strata_fastcfg fc;
	uint32_t seq = 0;

	CU_ASSERT_EQUAL(dp_fastcfg_copy(m, &fc, &seq), 0);
	CU_ASSERT_EQUAL(seq, 4);
	CU_ASSERT_EQUAL(memcmp(&fc, &m->cfg, sizeof(fc)), 0);
	/* odd: stratad is writing (or died writing) */
	m->cfg_seq = 5;
	CU_ASSERT_EQUAL(dp_fastcfg_copy(m, &fc, &seq), -EAGAIN);
	free(m);
}

/* Each fault alone, on an otherwise good copy. */
static void
test_check(void)
{
	struct strata_shm *m = new_shm();
	struct strata_fastcfg *fc = &m->cfg;
	char why[128];

	CU_ASSERT_EQUAL(dp_fastcfg_check(fc, why, sizeof(why)), 0);
#define BAD(stmt)                                                                                  \
	do {                                                                                       \
		struct strata_fastcfg keep = *fc;                                                  \
		stmt;                                                                              \
		CU_ASSERT_EQUAL(dp_fastcfg_check(fc, why, sizeof(why)), -EINVAL);                  \
		*fc = keep;                                                                        \
	} while (0)
	BAD(fc->gen = 0);
	BAD(fc->svc.n_addr4 = STRATA_MAX_ADDRS + 1);
	BAD(fc->svc.n_addr6 = 1000);
	BAD(fc->svc.ttl = 0);
	BAD(fc->n_acl = STRATA_ACL_MAX + 1);
	BAD(fc->acl_default = 7);
	BAD(fc->acl[0].family = 5);
	BAD(fc->acl[0].prefixlen = 33);
	BAD(fc->acl[1].prefixlen = 129);
	BAD(fc->acl[0].addr[3] = 1);	/* a host bit under a /24 */
	BAD(fc->acl[1].addr[4] = 0x80); /* under a /32 */
	BAD(fc->acl[1].action = 3);
	BAD(fc->rl_interval = 40);
	BAD(fc->rl_leak = 0);
	BAD(fc->rl_burst = 0);
#undef BAD
	/* the bounds themselves pass, and a rule past n_acl is not looked at */
	fc->svc.n_addr4 = fc->svc.n_addr6 = STRATA_MAX_ADDRS;
	fc->acl[0].prefixlen = 0;
	memset(fc->acl[0].addr, 0, sizeof(fc->acl[0].addr));
	fc->acl[1].prefixlen = 128;
	memset(fc->acl[1].addr, 0xff, sizeof(fc->acl[1].addr));
	fc->acl[2].family = 9;
	fc->rl_on = 0;
	fc->rl_interval = 99;
	CU_ASSERT_EQUAL(dp_fastcfg_check(fc, why, sizeof(why)), 0);
	free(m);
}

static const struct test_case cases[] = {
	TEST_CASE(test_copy),
	TEST_CASE(test_check),
};

CUNIT_MAIN("dp_fastcfg", cases)
