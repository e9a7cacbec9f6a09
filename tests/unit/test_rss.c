/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_rss_choose() (dataplane/rss.c): the hash strata-dpdk asks of a port,
 * from what its PMD offers. Address-only wherever the PMD has it, so that a
 * client changing its source port per request (RFC 9109) stays on one
 * worker and meets its rate limit once; the ports only where nothing else
 * hashes UDP. The offers below are those of real PMDs' flow_type_rss_offloads
 * (DPDK 22.11), written out here.
 */
#include "rss.h"

#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>

#include "cunit_main.h"

/* ixgbe's IXGBE_RSS_OFFLOAD_ALL */
#define OFFER_IXGBE                                                                            \
	(RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |       \
	 RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP |       \
	 RTE_ETH_RSS_IPV6_EX | RTE_ETH_RSS_IPV6_TCP_EX | RTE_ETH_RSS_IPV6_UDP_EX)
/* i40e's I40E_RSS_OFFLOAD_ALL: packet types, no plain IPV4 */
#define OFFER_I40E                                                                             \
	(RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |  \
	 RTE_ETH_RSS_NONFRAG_IPV4_SCTP | RTE_ETH_RSS_NONFRAG_IPV4_OTHER |                      \
	 RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP |  \
	 RTE_ETH_RSS_NONFRAG_IPV6_SCTP | RTE_ETH_RSS_NONFRAG_IPV6_OTHER |                      \
	 RTE_ETH_RSS_L2_PAYLOAD)

/* No L4 type is ever asked for where the addresses alone can be hashed */
static void
test_address_only(void)
{
	static const uint64_t offers[] = {
		OFFER_IXGBE,
		RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP,
		RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_UDP,
		RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_UDP,
		RTE_ETH_RSS_IPV4,
		~0ull,
	};
	enum dp_rss_kind kind;
	unsigned int i;
	uint64_t hf;

	for (i = 0; i < sizeof(offers) / sizeof(offers[0]); i++) {
		kind = DP_RSS_NONE;
		hf = dp_rss_choose(offers[i], &kind);
		if (kind != DP_RSS_ADDR || hf != (offers[i] & RTE_ETH_RSS_IP))
			printf("\n  offer 0x%llx: kind %d, rss_hf 0x%llx ",
			       (unsigned long long)offers[i], kind, (unsigned long long)hf);
		CU_ASSERT_EQUAL(kind, DP_RSS_ADDR);
		/* only what is offered (rte_eth_dev_configure() refuses more), no ports */
		CU_ASSERT_EQUAL(hf & ~offers[i], 0);
		CU_ASSERT_EQUAL(hf & (RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_SCTP), 0);
		CU_ASSERT(hf & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6));
		CU_ASSERT_EQUAL(hf, offers[i] & RTE_ETH_RSS_IP);
	}
	hf = dp_rss_choose(OFFER_IXGBE, &kind);
	CU_ASSERT_EQUAL(hf, RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_IPV6_EX);
}

/* Without plain IPV4/IPV6 the UDP types are the only way to spread NTP: the ports too */
static void
test_ports_only_choice(void)
{
	enum dp_rss_kind kind = DP_RSS_NONE;
	uint64_t hf = dp_rss_choose(OFFER_I40E, &kind);

	CU_ASSERT_EQUAL(kind, DP_RSS_PORTS);
	CU_ASSERT(hf & RTE_ETH_RSS_NONFRAG_IPV4_UDP);
	CU_ASSERT(hf & RTE_ETH_RSS_NONFRAG_IPV6_UDP);
	CU_ASSERT_EQUAL(hf & ~OFFER_I40E, 0);
	CU_ASSERT_EQUAL(hf & (RTE_ETH_RSS_TCP | RTE_ETH_RSS_SCTP | RTE_ETH_RSS_L2_PAYLOAD), 0);
	hf = dp_rss_choose(RTE_ETH_RSS_NONFRAG_IPV4_UDP, &kind);
	CU_ASSERT_EQUAL(kind, DP_RSS_PORTS);
	CU_ASSERT_EQUAL(hf, RTE_ETH_RSS_NONFRAG_IPV4_UDP);
}

/* Nothing over IP or UDP (af_xdp, af_packet): no RSS asked, the PMD's own rule */
static void
test_nothing_offered(void)
{
	enum dp_rss_kind kind = DP_RSS_ADDR;

	CU_ASSERT_EQUAL(dp_rss_choose(0, &kind), 0);
	CU_ASSERT_EQUAL(kind, DP_RSS_NONE);
	kind = DP_RSS_ADDR;
	CU_ASSERT_EQUAL(dp_rss_choose(RTE_ETH_RSS_L2_PAYLOAD | RTE_ETH_RSS_TCP, &kind), 0);
	CU_ASSERT_EQUAL(kind, DP_RSS_NONE);
}

static const struct test_case cases[] = {
	TEST_CASE(test_address_only),
	TEST_CASE(test_ports_only_choice),
	TEST_CASE(test_nothing_offered),
};

CUNIT_MAIN("rss", cases)
