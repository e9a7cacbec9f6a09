/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Ethernet, 802.1Q, IPv4, IPv6 and UDP headers as on the wire, and the
 * Internet checksum (RFC 1071). Our own definitions rather than the kernel's
 * or glibc's, so that BPF, DPDK and plain user space include the same thing
 * without header conflicts.
 */
#pragma once

#include "compat.h"

#define ETH_P_IPV4_BE STRATA_CONST_HTONS(0x0800)
#define ETH_P_IPV6_BE STRATA_CONST_HTONS(0x86dd)
#define ETH_P_8021Q_BE STRATA_CONST_HTONS(0x8100)
#define IPPROTO_UDP_NUM 17

struct strata_eth {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
};

struct strata_vlan {
	__be16 tci;
	__be16 proto;
};

struct strata_ip4 {
	__u8 vihl; /* version 4, header length in 32-bit words */
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag; /* flags and fragment offset */
	__u8 ttl;
	__u8 proto;
	__u16 csum; /* memory order, as computed by strata_csum_fold() */
	__be32 saddr;
	__be32 daddr;
};

#define IP4_DF_BE STRATA_CONST_HTONS(0x4000)
#define IP4_MF_BE STRATA_CONST_HTONS(0x2000)  /* more fragments follow */
#define IP4_OFF_BE STRATA_CONST_HTONS(0x1fff) /* fragment offset */

struct strata_ip6 {
	__be32 vtcfl; /* version 6, traffic class, flow label */
	__be16 plen;
	__u8 nexthdr;
	__u8 hlim;
	__be32 saddr[4];
	__be32 daddr[4];
};

struct strata_udp {
	__be16 sport;
	__be16 dport;
	__be16 len;
	__u16 csum; /* memory order */
};

_Static_assert(sizeof(struct strata_eth) == 14, "eth");
_Static_assert(sizeof(struct strata_vlan) == 4, "vlan");
_Static_assert(sizeof(struct strata_ip4) == 20, "ip4");
_Static_assert(sizeof(struct strata_ip6) == 40, "ip6");
_Static_assert(sizeof(struct strata_udp) == 8, "udp");

/*
 * The ones' complement sum is independent of byte order (RFC 1071 section
 * 2(B)): adding 16-bit words as they sit in memory and storing the folded
 * result back in memory order gives the right checksum on either endianness,
 * so the fast path never swaps bytes for it. Sums are kept in 64 bits and
 * folded at the end.
 */

/** Fold a 64-bit ones' complement accumulator to 16 bits. */
STRATA_INLINE __u16
strata_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/*
 * The words that values make in memory, as a checksum loop would read them
 * back: a header written field by field and then read as 32-bit words costs
 * a failed store-to-load forward per word (the loads wait for the narrower
 * stores to retire), so the reply builder sums the words it writes instead.
 * Octets @a, @b in memory order make a 16-bit word; 16-bit words @lo, @hi
 * (each as stored: network order already where the field is) a 32-bit one.
 */
STRATA_INLINE __u16
strata_w16_of(__u8 a, __u8 b)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__u16)(a | b << 8);
#else
	return (__u16)(a << 8 | b);
#endif
}

STRATA_INLINE __u32
strata_w32_of(__u16 lo, __u16 hi)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return lo | (__u32)hi << 16;
#else
	return (__u32)lo << 16 | hi;
#endif
}

/** The 32-bit words of a run already known to lie inside the frame. */
STRATA_INLINE __u64
strata_csum_words(const void *p, __u32 nwords)
{
	const strata_alias_u32 *w = (const strata_alias_u32 *)p;
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i < nwords; i++)
		sum += w[i];
	return sum;
}
