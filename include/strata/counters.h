/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-core outcome counters: one slot per verdict reason of the reply
 * builder. XDP keeps them in a BPF_MAP_TYPE_PERCPU_ARRAY, DPDK in a per-lcore
 * array in shared memory; the fast path increments its own core's slot with a
 * plain add (no atomics) and stratad sums the cores.
 */
#pragma once

#include "compat.h"

/** Every outcome of strata_reply(), grouped by verdict. */
enum strata_reason {
	/* REPLY */
	STRATA_R_REPLY = 0,       /* answered */
	STRATA_R_REPLY_CRYPTO_NAK, /* answered with a crypto-NAK: the request had a MAC */
	STRATA_R_REPLY_LEAK,       /* over the rate limit, answered anyway (the leak) */
	STRATA_R_REPLY_KOD_RATE,   /* over the rate limit: RATE kiss-o'-death */
	STRATA_R_REPLY_KOD_DENY,   /* refused by the access list: DENY kiss-o'-death */
	/* PASS: not ours, to the kernel or the exception path */
	STRATA_R_PASS_NOT_IP,   /* not IPv4/IPv6 (ARP, LLDP, ...), or a stacked VLAN tag */
	STRATA_R_PASS_NOT_OURS, /* destination is not a service address */
	STRATA_R_PASS_NOT_UDP,  /* another protocol, or IPv6 extension headers */
	STRATA_R_PASS_NOT_NTP,  /* UDP to another port */
	STRATA_R_PASS_FRAGMENT, /* a later IPv4 fragment: no UDP header to judge */
	STRATA_R_PASS_NTS,      /* NTS request (RFC 8915): for the NTS server */
	/* DROP */
	STRATA_R_DROP_TRUNCATED,    /* frame ends before a header or the IP length */
	STRATA_R_DROP_BAD_IP_HDR,   /* IPv4 IHL < 5 or IP version mismatch */
	STRATA_R_DROP_BAD_IP_CSUM,  /* IPv4 header checksum */
	STRATA_R_DROP_BAD_IP_LEN,   /* IPv4 total length / IPv6 payload length */
	STRATA_R_DROP_FRAGMENT,     /* first IPv4 fragment of a datagram to port 123 */
	STRATA_R_DROP_BAD_UDP_LEN,  /* UDP length disagrees with the IP length */
	STRATA_R_DROP_SRC_PORT0,    /* UDP source port 0: no way to reply */
	STRATA_R_DROP_SRC_OURS,     /* source is one of our service addresses */
	STRATA_R_DROP_SRC_MARTIAN,  /* multicast, broadcast, unspecified, loopback source */
	STRATA_R_DROP_L2_GROUP,     /* group (multicast/broadcast) destination MAC */
	STRATA_R_DROP_MODE_CONTROL, /* mode 6 or 7: never answered */
	STRATA_R_DROP_SHORT,        /* NTP payload under 48 octets */
	STRATA_R_DROP_VERSION,      /* version 0 or above 4 */
	STRATA_R_DROP_MODE,         /* modes 0, 2, 4, 5; v1 mode 0 from port 123; mode 1 with NTS */
	STRATA_R_DROP_BAD_EXT,      /* malformed extension fields or MAC */
	STRATA_R_DROP_NO_TIME,      /* no valid snapshot map for the clocks in use */
	STRATA_R_DROP_RATE,         /* over the rate limit, not leaked, KoD already sent */
	STRATA_R_DROP_DENY,         /* refused by the access list (or its KoD over the limit) */
	/* added later, at the end so that no slot moves (strata_verdict_of() knows its verdict) */
	STRATA_R_PASS_OTHER_MAC, /* PASS: a request to another host's MAC (promiscuous NIC) */
	STRATA_R_DROP_UDP_CSUM0, /* IPv6 UDP checksum 0: forbidden (RFC 8200 section 8.1) */
	STRATA_R_REPLY_PASSIVE,  /* REPLY: a symmetric active request answered in mode 2 */
	STRATA_R_MAX
};

/** Slots per core: the reasons, rounded up to whole cache lines. */
#define STRATA_R_SLOTS ((STRATA_R_MAX + 7) & ~7)

/** The slots of one core, indexed by enum strata_reason; the rest stay 0. */
struct strata_counters {
	__u64 c[STRATA_R_SLOTS];
};
_Static_assert(sizeof(struct strata_counters) % 64 == 0, "counters fill whole cache lines");

#if !defined(__bpf__)
/** Stable names for metrics and stratactl columns, indexed by enum strata_reason. */
static const char *const strata_reason_names[STRATA_R_MAX] = {
	[STRATA_R_REPLY] = "reply",
	[STRATA_R_REPLY_CRYPTO_NAK] = "reply_crypto_nak",
	[STRATA_R_REPLY_LEAK] = "reply_leak",
	[STRATA_R_REPLY_KOD_RATE] = "reply_kod_rate",
	[STRATA_R_REPLY_KOD_DENY] = "reply_kod_deny",
	[STRATA_R_PASS_NOT_IP] = "pass_not_ip",
	[STRATA_R_PASS_NOT_OURS] = "pass_not_ours",
	[STRATA_R_PASS_NOT_UDP] = "pass_not_udp",
	[STRATA_R_PASS_NOT_NTP] = "pass_not_ntp",
	[STRATA_R_PASS_FRAGMENT] = "pass_fragment",
	[STRATA_R_PASS_NTS] = "pass_nts",
	[STRATA_R_DROP_TRUNCATED] = "drop_truncated",
	[STRATA_R_DROP_BAD_IP_HDR] = "drop_bad_ip_hdr",
	[STRATA_R_DROP_BAD_IP_CSUM] = "drop_bad_ip_csum",
	[STRATA_R_DROP_BAD_IP_LEN] = "drop_bad_ip_len",
	[STRATA_R_DROP_FRAGMENT] = "drop_fragment",
	[STRATA_R_DROP_BAD_UDP_LEN] = "drop_bad_udp_len",
	[STRATA_R_DROP_SRC_PORT0] = "drop_src_port0",
	[STRATA_R_DROP_SRC_OURS] = "drop_src_ours",
	[STRATA_R_DROP_SRC_MARTIAN] = "drop_src_martian",
	[STRATA_R_DROP_L2_GROUP] = "drop_l2_group",
	[STRATA_R_DROP_MODE_CONTROL] = "drop_mode_control",
	[STRATA_R_DROP_SHORT] = "drop_short",
	[STRATA_R_DROP_VERSION] = "drop_version",
	[STRATA_R_DROP_MODE] = "drop_mode",
	[STRATA_R_DROP_BAD_EXT] = "drop_bad_ext",
	[STRATA_R_DROP_NO_TIME] = "drop_no_time",
	[STRATA_R_DROP_RATE] = "drop_rate",
	[STRATA_R_DROP_DENY] = "drop_deny",
	[STRATA_R_PASS_OTHER_MAC] = "pass_other_mac",
	[STRATA_R_DROP_UDP_CSUM0] = "drop_udp_csum0",
	[STRATA_R_REPLY_PASSIVE] = "reply_passive",
};
#endif
