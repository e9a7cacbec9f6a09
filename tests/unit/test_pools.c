/* SPDX-License-Identifier: BSD-3-Clause */
/* Pool upkeep (stratad/pools.c): which members go, and which addresses wait. */
#include <arpa/inet.h>
#include <string.h>

#include "pools.h"

#include "cunit_main.h"

#define NS 1000000000ULL

static void
test_drop_reason(void)
{
	struct peer p;

	memset(&p, 0, sizeof(p));
	p.polls = POOL_LOST_POLLS;
	p.ntpc.reach = 0x10; /* heard five polls ago, not in the last four */
	CU_ASSERT_STRING_EQUAL(pools_drop_reason(&p), "unreachable");
	p.ntpc.reach = 0x11;
	CU_ASSERT_PTR_NULL(pools_drop_reason(&p));
	/* a new member is not judged before its fourth poll */
	p.ntpc.reach = 0;
	p.polls = POOL_LOST_POLLS - 1;
	CU_ASSERT_PTR_NULL(pools_drop_reason(&p));
	p.falseticks = POOL_FALSETICKS;
	CU_ASSERT_STRING_EQUAL(pools_drop_reason(&p), "falseticker");
	p.ntpc.denied = 1;
	CU_ASSERT_STRING_EQUAL(pools_drop_reason(&p), "denied by kiss-o'-death");
}

static socklen_t
addr(struct sockaddr_in *sin, unsigned int i)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(123);
	sin->sin_addr.s_addr = htonl(0xc0000200 + i); /* 192.0.2.i */
	return sizeof(*sin);
}

static void
test_avoid(void)
{
	static struct pools_avoid v;
	struct sockaddr_in a;
	socklen_t len;
	unsigned int i;

	len = addr(&a, 1);
	CU_ASSERT_EQUAL(pools_avoided(&v, (struct sockaddr *)&a, len, 100 * NS), 0);
	pools_avoid_add(&v, (struct sockaddr *)&a, len, 100 * NS);
	CU_ASSERT_EQUAL(pools_avoided(&v, (struct sockaddr *)&a, len, 100 * NS), 1);
	CU_ASSERT_EQUAL(pools_avoided(&v, (struct sockaddr *)&a, len, 100 * NS + POOL_AVOID_NS), 0);
	len = addr(&a, 2);
	CU_ASSERT_EQUAL(pools_avoided(&v, (struct sockaddr *)&a, len, 100 * NS), 0);
	/* full: the entry that ends first makes room, here 192.0.2.1 */
	for (i = 2; i < POOL_AVOID_MAX + 2; i++) {
		len = addr(&a, i);
		pools_avoid_add(&v, (struct sockaddr *)&a, len, (100 + i) * NS);
	}
	len = addr(&a, 1);
	CU_ASSERT_EQUAL(pools_avoided(&v, (struct sockaddr *)&a, len, 101 * NS), 0);
	len = addr(&a, POOL_AVOID_MAX + 1);
	CU_ASSERT_EQUAL(pools_avoided(&v, (struct sockaddr *)&a, len, 200 * NS), 1);
}

static const struct test_case cases[] = {
	TEST_CASE(test_drop_reason),
	TEST_CASE(test_avoid),
};

CUNIT_MAIN("pools", cases)
