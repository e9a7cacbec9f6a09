/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The service configuration the reply builder needs: which addresses answer
 * NTP, and the TTL of replies. Set by stratad; read by XDP (read-only data or
 * a map value) and DPDK. Fixed-width, shared with BPF.
 */
#pragma once

#include "compat.h"

#define STRATA_MAX_ADDRS 8
#define STRATA_DEFAULT_TTL 64

struct strata_service {
	__be32 addr4[STRATA_MAX_ADDRS];    /* IPv4 service addresses, wire order */
	__be32 addr6[STRATA_MAX_ADDRS][4]; /* IPv6 service addresses, wire order */
	__u32 n_addr4;
	__u32 n_addr6;
	__u8 ttl; /* TTL / hop limit of replies */
	__u8 pad[7];
};
_Static_assert(sizeof(struct strata_service) == 32 + 128 + 16, "strata_service layout");

/**
 * One interface's own link-layer address, which the reply builder answers to
 * and sends from. stratad reads it from the interface and writes it again
 * when the interface's address changes; all zero (no frame is addressed to
 * it) until then, so nothing is answered before stratad has set it.
 */
struct strata_iface {
	__u8 mac[6];
	__u8 pad[2];
};
_Static_assert(sizeof(struct strata_iface) == 8, "strata_iface layout");
