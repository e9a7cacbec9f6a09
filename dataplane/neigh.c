/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP, neighbour discovery and echo for the service addresses, answered the
 * way the kernel would answer them (Linux net/ipv4/arp.c arp_process(),
 * net/ipv6/ndisc.c ndisc_recv_ns(), net/ipv4/icmp.c icmp_echo()).
 *
 * The rule for every frame: until it is known to be an ARP request, a
 * neighbour solicitation or an echo request for one of our addresses, it is
 * the kernel's (NEIGH_PASS); once it is, whatever the kernel would discard as
 * malformed is discarded here (NEIGH_DROP), and the rest is answered. Only
 * frames that the link layer addressed to us are answered: our MAC, or for
 * ARP the broadcast address and for ND the solicited-node group's MAC. A
 * request to another host's MAC (a promiscuous port sees them) is the
 * kernel's, which drops it as PACKET_OTHERHOST: answering would let the
 * sender pick a MAC for us to answer to. Work is
 * bounded by the frame length: one pass for each checksum, one over the ND
 * options. Nothing is written before the verdict is NEIGH_REPLY.
 *
 * A request answered here never reaches the kernel, so the kernel does not
 * learn the requester's address from it (RFC 826's merge, RFC 4861 section
 * 7.2.3); when it needs that address it asks, and the answers (ARP replies,
 * advertisements) are passed to it.
 */
#include "neigh.h"

#include <string.h>

#include <strata/reply.h>

#define ETH_P_ARP_BE STRATA_CONST_HTONS(0x0806)
#define ARP_HRD_ETHER_BE STRATA_CONST_HTONS(1)
#define ARP_OP_REQUEST_BE STRATA_CONST_HTONS(1)
#define ARP_OP_REPLY_BE STRATA_CONST_HTONS(2)

#define IPPROTO_ICMP_NUM 1
#define IPPROTO_ICMPV6_NUM 58
#define ICMP4_ECHO_REPLY 0
#define ICMP4_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_NS 135
#define ND_NA 136
#define ND_OPT_SLLA 1 /* source link-layer address (RFC 4861 section 4.6.1) */
#define ND_OPT_TLLA 2 /* target link-layer address */

/* RFC 4861 section 4.4: the Solicited and Override flags (we are no Router) */
#define ND_NA_S_BE strata_htonl(0x40000000u)
#define ND_NA_O_BE strata_htonl(0x20000000u)

/* RFC 826 for Ethernet and IPv4: the addresses are unaligned, so octets */
struct arp {
	__be16 hrd;
	__be16 pro;
	uint8_t hln;
	uint8_t pln;
	__be16 op;
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tha[6];
	uint8_t tpa[4];
};
_Static_assert(sizeof(struct arp) == 28, "arp");

/*
 * NS and NA share their layout up to the options (RFC 4861 sections 4.3 and
 * 4.4); the first four octets are those of every ICMPv6 message.
 */
struct nd {
	uint8_t type;
	uint8_t code;
	uint16_t csum; /* memory order, as strata_csum_fold() computes it */
	__be32 flags;  /* NS: reserved */
	__be32 target[4];
};
_Static_assert(sizeof(struct nd) == 24, "nd");

/* An NA carries one option, the target link-layer address: 8 octets */
#define NA_LEN (sizeof(struct nd) + 8)

/* the longest reply, an NA behind a tag */
#define NA_FRAME_MAX (sizeof(struct strata_eth) + sizeof(struct strata_vlan) + \
		      sizeof(struct strata_ip6) + NA_LEN)
_Static_assert(NA_FRAME_MAX <= NEIGH_ROOM, "NEIGH_ROOM");

/* ff02::1 and its MAC (RFC 4291 section 2.7.1, RFC 2464 section 7) */
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* The frame is addressed to @mac */
static int
to_mac(const struct strata_eth *eth, const uint8_t mac[6])
{
	return memcmp(eth->dst, mac, 6) == 0;
}

/* The frame is addressed to the MAC of the IPv6 multicast group @a (RFC 2464 section 7) */
static int
to_group6(const struct strata_eth *eth, const __be32 *a)
{
	const uint8_t *g = (const uint8_t *)a;

	return g[0] == 0xff && eth->dst[0] == 0x33 && eth->dst[1] == 0x33 &&
	       memcmp(eth->dst + 2, g + 12, 4) == 0;
}

/*
 * Ones' complement sum of @n octets of the frame in memory order (RFC 1071
 * section 2(B)), a last odd octet padded with zero. The frame is only 2-byte
 * aligned (an mbuf's IP header sits at an offset of 14 or 18), hence memcpy
 * here, and the IP headers copied to locals before their 32-bit fields are
 * read.
 */
static uint64_t
csum_bytes(const uint8_t *p, uint32_t n)
{
	uint64_t sum = 0;
	uint32_t w;
	uint16_t h;

	for (; n >= 4; p += 4, n -= 4) {
		memcpy(&w, p, 4);
		sum += w;
	}
	if (n >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		n -= 2;
	}
	if (n == 1) {
		h = 0;
		memcpy(&h, p, 1);
		sum += h;
	}
	return sum;
}

/* Store the checksum of @sum at @p */
static void
put_csum(uint8_t *p, uint64_t sum)
{
	uint16_t c = (uint16_t)~strata_csum_fold(sum);

	memcpy(p, &c, 2);
}

/* RFC 8200 section 8.1: addresses, upper-layer length, next header */
static uint64_t
pseudo6(const struct strata_ip6 *ip6, uint32_t len)
{
	return strata_csum_words(ip6->saddr, 8) + strata_htons((uint16_t)len) +
	       STRATA_CONST_HTONS(IPPROTO_ICMPV6_NUM);
}

/* RFC 826 "Packet Reception", for the IPv4 service addresses */
static enum neigh_verdict
arp(struct strata_eth *eth, uint8_t *l3, uint32_t avail, const struct strata_service *svc,
    const uint8_t mac[6], uint32_t *rlen)
{
	struct arp *a = (struct arp *)l3;
	__be32 spa, tpa;

	/* the target address is in the last octets: a short frame hides whose it is */
	if (avail < sizeof(*a))
		return NEIGH_DROP;
	if (a->hrd != ARP_HRD_ETHER_BE || a->pro != ETH_P_IPV4_BE)
		return NEIGH_PASS;
	/* RFC 826: the lengths are fixed for Ethernet and IPv4; Linux arp_rcv() drops others */
	if (a->hln != 6 || a->pln != 4)
		return NEIGH_DROP;
	/* replies, gratuitous or not, teach the kernel's cache; we have nothing to say */
	if (a->op != ARP_OP_REQUEST_BE)
		return NEIGH_PASS;
	memcpy(&spa, a->spa, 4);
	memcpy(&tpa, a->tpa, 4);
	if (!strata_ours4(svc, tpa))
		return NEIGH_PASS;
	/* broadcast (RFC 826), or unicast to us to refresh a cache (RFC 1122 section 2.3.2.1) */
	if (!to_mac(eth, broadcast_mac) && !to_mac(eth, mac))
		return NEIGH_PASS;
	/*
	 * A gratuitous request announces the sender's own address (RFC 5227
	 * section 3): nobody waits for an answer, and for one of ours it is a
	 * conflict for the kernel to see. A probe (sender 0.0.0.0, RFC 5227
	 * section 2.1.1) is answered like any request, as Linux does.
	 */
	if (spa == tpa)
		return NEIGH_PASS;
	/* the reply goes to the sender hardware address: never to a group */
	if (a->sha[0] & 1)
		return NEIGH_DROP;

	memcpy(eth->dst, a->sha, 6);
	memcpy(a->tha, a->sha, 6);
	memcpy(a->tpa, a->spa, 4);
	memcpy(a->sha, mac, 6);
	memcpy(a->spa, &tpa, 4);
	a->op = ARP_OP_REPLY_BE;
	*rlen = sizeof(*a);
	return NEIGH_REPLY;
}

/* RFC 792 echo, RFC 1122 section 3.2.2.6 */
static enum neigh_verdict
echo4(struct strata_eth *eth, uint8_t *l3, uint32_t avail, const struct strata_service *svc,
      const uint8_t mac[6], uint32_t *rlen)
{
	uint8_t *ic = l3 + sizeof(struct strata_ip4);
	struct strata_ip4 ip;
	uint32_t tot;
	uint64_t rest;
	__be32 t;

	if (avail < sizeof(ip) + 1)
		return NEIGH_PASS;
	memcpy(&ip, l3, sizeof(ip));
	/*
	 * IP options (record route and timestamp are to be updated in the
	 * reply, RFC 1122 section 3.2.2.6) and fragments (a big ping) are the
	 * kernel's. A later fragment has no ICMP header: frag before type.
	 */
	if (ip.vihl != 0x45 || ip.proto != IPPROTO_ICMP_NUM || (ip.frag & ~IP4_DF_BE) != 0 ||
	    ic[0] != ICMP4_ECHO_REQUEST || !strata_ours4(svc, ip.daddr))
		return NEIGH_PASS;

	tot = strata_ntohs(ip.tot_len);
	if (tot < sizeof(ip) + 8 || tot > avail)
		return NEIGH_DROP;
	/* RFC 1122 section 3.2.1.2: a bad header checksum is silently discarded */
	if (strata_csum_fold(strata_csum_words(&ip, sizeof(ip) / 4)) != 0xffff)
		return NEIGH_DROP;
	rest = csum_bytes(ic + 4, tot - sizeof(ip) - 4);
	if (ic[1] != 0 || strata_csum_fold(csum_bytes(ic, 4) + rest) != 0xffff)
		return NEIGH_DROP;
	/* no reply to a source that cannot be one (RFC 1122 section 3.2.1.3), nor to ourselves */
	if (strata_martian4(ip.saddr) || strata_ours4(svc, ip.saddr))
		return NEIGH_DROP;
	/* RFC 1122 section 3.3.6: unicast IP by link-layer broadcast is discarded */
	if ((eth->dst[0] | eth->src[0]) & 1)
		return NEIGH_DROP;
	if (!to_mac(eth, mac))
		return NEIGH_PASS;

	memcpy(eth->dst, eth->src, 6);
	ip.tos &= 0xfc; /* keep DSCP; ECN is for ECN-capable transports */
	ip.id = 0;      /* atomic datagram: DF set, ID free (RFC 6864 section 4.1) */
	ip.frag = IP4_DF_BE;
	ip.ttl = svc->ttl;
	t = ip.saddr;
	ip.saddr = ip.daddr;
	ip.daddr = t;
	ip.csum = 0;
	ip.csum = (uint16_t)~strata_csum_fold(strata_csum_words(&ip, sizeof(ip) / 4));
	memcpy(l3, &ip, sizeof(ip));
	/* RFC 792: the data go back as they came; the sum skips the old checksum */
	ic[0] = ICMP4_ECHO_REPLY;
	put_csum(ic + 2, csum_bytes(ic, 2) + rest);
	*rlen = tot;
	return NEIGH_REPLY;
}

/* RFC 4443 sections 4.1 and 4.2 */
static enum neigh_verdict
echo6(struct strata_eth *eth, uint8_t *l3, struct strata_ip6 *ip6, uint32_t avail,
      const struct strata_service *svc, const uint8_t mac[6], uint32_t *rlen)
{
	uint8_t *ic = l3 + sizeof(*ip6);
	uint32_t plen = strata_ntohs(ip6->plen), i;
	uint64_t pseudo, rest;

	/* echo to a multicast group is the kernel's to answer or not */
	if (!strata_ours6(svc, ip6->daddr))
		return NEIGH_PASS;
	if (plen < 8 || plen > avail - sizeof(*ip6))
		return NEIGH_DROP;
	pseudo = pseudo6(ip6, plen);
	rest = csum_bytes(ic + 4, plen - 4);
	if (ic[1] != 0 || strata_csum_fold(pseudo + csum_bytes(ic, 4) + rest) != 0xffff)
		return NEIGH_DROP;
	/* the source and link-layer rules of echo4(), for the same reasons */
	if (strata_martian6(ip6->saddr) || strata_ours6(svc, ip6->saddr))
		return NEIGH_DROP;
	if ((eth->dst[0] | eth->src[0]) & 1)
		return NEIGH_DROP;
	if (!to_mac(eth, mac))
		return NEIGH_PASS;

	memcpy(eth->dst, eth->src, 6);
	for (i = 0; i < 4; i++) {
		__be32 t = ip6->daddr[i];

		ip6->daddr[i] = ip6->saddr[i];
		ip6->saddr[i] = t;
	}
	/* keep traffic class and flow label, clear ECN (RFC 3168 section 5) */
	ip6->vtcfl &= ~strata_htonl(3u << 20);
	ip6->hlim = svc->ttl;
	memcpy(l3, ip6, sizeof(*ip6));
	/* RFC 4443 section 4.2: the data entire and unmodified; the pseudo sum is symmetric */
	ic[0] = ICMP6_ECHO_REPLY;
	put_csum(ic + 2, pseudo + csum_bytes(ic, 2) + rest);
	*rlen = sizeof(*ip6) + plen;
	return NEIGH_REPLY;
}

/* @a is the solicited-node multicast address of @t (RFC 4291 section 2.7.1) */
static int
solicited_node(const __be32 *a, const __be32 *t)
{
	return a[0] == strata_htonl(0xff020000u) && a[1] == 0 && a[2] == strata_htonl(1) &&
	       a[3] == (t[3] | strata_htonl(0xff000000u));
}

/* RFC 4861 sections 7.1.1 (validation), 7.2.3 and 7.2.4 (the advertisement) */
static enum neigh_verdict
ns(struct strata_eth *eth, uint8_t *l3, struct strata_ip6 *ip6, uint32_t avail,
   const struct strata_service *svc, const uint8_t mac[6], uint32_t *rlen)
{
	uint8_t *ic = l3 + sizeof(*ip6), *opt;
	uint32_t plen = strata_ntohs(ip6->plen), pos;
	static const __be32 unspecified[4];
	struct nd nd;
	int dad, slla = 0;

	/* the target says whose it is: a short NS hides it */
	if (plen < sizeof(nd) || plen > avail - sizeof(*ip6))
		return NEIGH_DROP;
	memcpy(&nd, ic, sizeof(nd));
	if (!strata_ours6(svc, nd.target))
		return NEIGH_PASS;
	/* to the target itself (unreachability detection) or its group (resolution, DAD) */
	if (memcmp(ip6->daddr, nd.target, 16) != 0 && !solicited_node(ip6->daddr, nd.target))
		return NEIGH_PASS;
	/* and the link layer agrees: our MAC, or that group's */
	if (!to_mac(eth, mac) && !to_group6(eth, ip6->daddr))
		return NEIGH_PASS;

	/* RFC 4861 section 7.1.1: a hop limit of 255 proves the sender is on link */
	if (ip6->hlim != 255 || nd.code != 0)
		return NEIGH_DROP;
	if (strata_csum_fold(pseudo6(ip6, plen) + csum_bytes(ic, plen)) != 0xffff)
		return NEIGH_DROP;
	/* every option at least 8 octets and inside the message (RFC 4861 section 4.6) */
	for (pos = sizeof(nd); pos < plen; pos += opt[1] * 8u) {
		opt = ic + pos;
		if (plen - pos < 8 || opt[1] == 0 || opt[1] * 8u > plen - pos)
			return NEIGH_DROP;
		if (opt[0] == ND_OPT_SLLA)
			slla = 1;
	}
	/*
	 * Duplicate address detection (RFC 4862 section 5.4.3): the unspecified
	 * source, only to the solicited-node group and without a link-layer
	 * address (RFC 4861 section 7.1.1). The advertisement goes to all nodes.
	 */
	dad = memcmp(ip6->saddr, unspecified, 16) == 0;
	if (dad && (slla || !solicited_node(ip6->daddr, nd.target)))
		return NEIGH_DROP;
	if (!dad && (strata_martian6(ip6->saddr) || eth->src[0] & 1))
		return NEIGH_DROP;

	if (dad) {
		memcpy(eth->dst, all_nodes_mac, 6);
		memcpy(ip6->daddr, all_nodes, 16);
	} else {
		memcpy(eth->dst, eth->src, 6);
		memcpy(ip6->daddr, ip6->saddr, 16);
	}
	memcpy(ip6->saddr, nd.target, 16);
	ip6->vtcfl = strata_htonl(6u << 28);
	ip6->plen = strata_htons((uint16_t)NA_LEN);
	ip6->hlim = 255;
	memcpy(l3, ip6, sizeof(*ip6));
	/*
	 * RFC 4861 section 7.2.4: Solicited unless the source was unspecified;
	 * Override, our addresses being neither anycast nor proxied; the
	 * target link-layer address always (a MUST for multicast solicitations,
	 * a SHOULD for unicast ones).
	 */
	nd.type = ND_NA;
	nd.csum = 0;
	nd.flags = dad ? ND_NA_O_BE : ND_NA_S_BE | ND_NA_O_BE;
	memcpy(ic, &nd, sizeof(nd));
	opt = ic + sizeof(nd);
	opt[0] = ND_OPT_TLLA;
	opt[1] = 1;
	memcpy(opt + 2, mac, 6);
	put_csum(ic + 2, pseudo6(ip6, NA_LEN) + csum_bytes(ic, NA_LEN));
	*rlen = sizeof(*ip6) + NA_LEN;
	return NEIGH_REPLY;
}

static enum neigh_verdict
icmp6(struct strata_eth *eth, uint8_t *l3, uint32_t avail, const struct strata_service *svc,
      const uint8_t mac[6], uint32_t *rlen)
{
	uint8_t *ic = l3 + sizeof(struct strata_ip6);
	struct strata_ip6 ip6;

	if (avail < sizeof(ip6) + 1)
		return NEIGH_PASS;
	memcpy(&ip6, l3, sizeof(ip6));
	/* extension headers before ICMPv6 are the kernel's business */
	if ((strata_ntohl(ip6.vtcfl) >> 28) != 6 || ip6.nexthdr != IPPROTO_ICMPV6_NUM)
		return NEIGH_PASS;
	if (ic[0] == ND_NS)
		return ns(eth, l3, &ip6, avail, svc, mac, rlen);
	if (ic[0] == ICMP6_ECHO_REQUEST)
		return echo6(eth, l3, &ip6, avail, svc, mac, rlen);
	return NEIGH_PASS;
}

enum neigh_verdict
neigh_reply(uint8_t *frame, uint16_t *len, const struct strata_service *svc, const uint8_t mac[6])
{
	struct strata_eth *eth = (struct strata_eth *)frame;
	uint32_t l2len = sizeof(*eth), rlen = 0;
	enum neigh_verdict v;
	__be16 proto;

	if (*len < l2len)
		return NEIGH_PASS;
	proto = eth->proto;
	if (proto == ETH_P_8021Q_BE) {
		const struct strata_vlan *vlan = (const struct strata_vlan *)(eth + 1);

		l2len += sizeof(*vlan);
		if (*len < l2len)
			return NEIGH_PASS;
		proto = vlan->proto;
	}
	/* a second tag (QinQ) or any other type is the kernel's */
	if (proto == ETH_P_ARP_BE)
		v = arp(eth, frame + l2len, *len - l2len, svc, mac, &rlen);
	else if (proto == ETH_P_IPV4_BE)
		v = echo4(eth, frame + l2len, *len - l2len, svc, mac, &rlen);
	else if (proto == ETH_P_IPV6_BE)
		v = icmp6(eth, frame + l2len, *len - l2len, svc, mac, &rlen);
	else
		v = NEIGH_PASS;
	if (v == NEIGH_REPLY) {
		memcpy(eth->src, mac, 6);
		*len = (uint16_t)(l2len + rlen);
	}
	return v;
}
