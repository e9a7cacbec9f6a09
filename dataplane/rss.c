/* SPDX-License-Identifier: BSD-3-Clause */
#include "rss.h"

#include <rte_ethdev.h>

/*
 * PMDs that offer the plain IPV4 and IPV6 types (ixgbe, igb, mlx5, virtio,
 * net_tap, ...) hash every IPv4 or IPv6 packet on its addresses when no L4
 * type is asked for: ask for RTE_ETH_RSS_IP alone. PMDs that classify by
 * packet type and offer only NONFRAG_IPV4_UDP and the like for UDP (i40e)
 * hash UDP on the 4-tuple or not at all: the ports it is, and the caller
 * says what that does to the rate limit.
 */
uint64_t
dp_rss_choose(uint64_t offered, enum dp_rss_kind *kind)
{
	uint64_t hf;

	if (offered & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6)) {
		*kind = DP_RSS_ADDR;
		return offered & RTE_ETH_RSS_IP;
	}
	hf = offered & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	if (hf & RTE_ETH_RSS_UDP) {
		*kind = DP_RSS_PORTS;
		return hf;
	}
	*kind = DP_RSS_NONE;
	return 0;
}
