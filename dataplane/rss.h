/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the NIC's receive-side scaling hashes on. The per-client rate limit
 * lives in each worker's own table, so it holds once per client only while
 * all of a client's requests reach one worker: a hash over UDP ports sends a
 * client that changes its source port per request (as RFC 9109 asks) to
 * every worker, and it is limited once on each.
 */
#pragma once

#include <stdint.h>

enum dp_rss_kind {
	DP_RSS_NONE,  /* no RSS over IP: the PMD's own rule spreads frames over the queues */
	DP_RSS_ADDR,  /* IP addresses only: each client stays on one worker */
	DP_RSS_PORTS, /* addresses and UDP ports: one client may reach every worker */
};

/*
 * The rss_hf to ask of a port whose PMD offers @offered
 * (rte_eth_dev_info.flow_type_rss_offloads), and in *kind what it hashes
 * on: IP addresses alone where the PMD offers it, else the UDP ports too.
 */
uint64_t dp_rss_choose(uint64_t offered, enum dp_rss_kind *kind);
