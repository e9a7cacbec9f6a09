/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The reply builder: the one implementation of the NTP server reply, shared
 * by the XDP program, the DPDK dataplane, the tests, the fuzzer and the
 * benchmarks.
 *
 * strata_reply() takes an Ethernet frame in place and returns
 *  - STRATA_REPLY: the frame now holds the response, res->len octets long
 *    (never longer than the request: no amplification);
 *  - STRATA_PASS: not ours, for the kernel or the exception path;
 *  - STRATA_DROP: malformed or refused.
 * res->reason says why (enum strata_reason), one counter slot each.
 *
 * It is written for the BPF verifier: header-only, no libc, no calls, every
 * loop bounded by a constant, every packet access checked against the frame
 * end first. Nothing is written to the frame before the verdict is REPLY.
 *
 * What it answers (RFC 5905 section 9.2, the server's "fast transmit"):
 * NTP mode 3, versions 1 to 4, to UDP port 123 on a service address, over
 * IPv4 (with or without options) or IPv6, optionally behind one 802.1Q tag.
 * Version 1 requests carry mode 0 (NTPv1 had no mode field, RFC 1059); as in
 * chrony and ntpd they are client requests unless they come from port 123,
 * where they are symmetric peers of an old server. The reply keeps the
 * request's version and poll, has mode 4, origin = the request's transmit
 * timestamp, and receive and transmit timestamps from the snapshot.
 *
 * Symmetric active requests (mode 1: Windows' w32time without its client
 * flag 0x8, chrony's and ntpd's `peer`) get the same answer in mode 2,
 * symmetric passive, statelessly: RFC 5905 section 9.2 (table 9) has a
 * passive association answer an active peer that no association knows,
 * and chrony's NCR_ProcessRxUnknown() and NTPsec's receive() answer one
 * this way, without ever taking time from it. Nothing else differs: the
 * same checks, policy and kiss-o'-death (in mode 2 too, as chrony's).
 * NTS is for client-server mode only (RFC 8915 section 1): a mode-1
 * request with NTS fields is dropped, as chrony's NNS_CheckRequestAuth()
 * refuses it.
 *
 * Extension fields and MACs (RFC 7822, RFC 5905 section 7.5): see
 * strata_ntp_check() and docs/protocol.md. In short: the packet must parse
 * exactly; unknown fields are ignored and not echoed (a 48-octet reply);
 * NTS requests meet the policy (below) and are then passed to the NTS server
 * (user space: reply_nts.h answers them); a request with a legacy MAC, for
 * which strata holds no keys, gets a crypto-NAK reply (RFC 5905 appendix
 * A.5.1.1, fast_xmit with A_CRYPTO), as ntpd sends for an unknown key.
 *
 * Whose frames are answered: only those addressed to the interface's own
 * unicast MAC, which the caller passes in (stratad reads it from the
 * interface; strata-dpdk from its port). A reply leaves from that MAC, never
 * from whatever the request named: on a promiscuous NIC (a bridge port, a
 * capture, a macvlan lower device) frames to other hosts reach the fast path,
 * and answering them would let anyone on the link choose the source MAC of
 * our replies. Such a frame is passed (STRATA_R_PASS_OTHER_MAC): the kernel
 * drops PACKET_OTHERHOST frames itself (Linux net/ipv4/ip_input.c
 * ip_rcv_core(), net/ipv6/ip6_input.c ip6_rcv_core()) but delivers them to
 * whoever owns that MAC on this host (a bridge, a macvlan, a VM's tap).
 *
 * Who is answered (include/strata/policy.h, docs/security.md): with a policy,
 * a well-formed request then meets the access list and the rate limiter,
 * which may turn the answer into a kiss-o'-death (48 octets: never larger
 * than the request) or a drop; NTS requests are dropped rather than
 * kissed, as their clients discard unauthenticated replies. The access list
 * lookup is the consumer's: it defines STRATA_ACL4(pol, saddr) and
 * STRATA_ACL6(pol, saddr) before including this header (an LPM trie map in
 * XDP, rte_lpm in DPDK); without them every source gets the configured
 * default. A consumer may also route
 * the whole step through STRATA_POLICY4(pol, saddr, reason) and
 * STRATA_POLICY6(pol, saddr, reason): the XDP program makes it a BPF global
 * function, which the verifier checks once rather than on every path that
 * reaches it.
 */
#pragma once

#include "compat.h"
#include "counters.h"
#include "inet.h"
#include "ntp.h"
#include "policy.h"
#include "service.h"
#include "snapshot.h"

#ifndef STRATA_ACL4
#define STRATA_ACL4(pol, saddr) ((pol)->conf->acl_default)
#define STRATA_ACL6(pol, saddr) ((pol)->conf->acl_default)
#endif

enum strata_verdict {
	STRATA_REPLY = 0,
	STRATA_PASS = 1,
	STRATA_DROP = 2,
};

/** The local clock readings of one packet, each on a snapshot timescale. */
struct strata_clock {
	__u32 rx_scale; /* enum snap_scale of rx */
	__u32 tx_scale; /* enum snap_scale of tx */
	__u64 rx;       /* when the request arrived (hardware or software stamp) */
	__u64 tx;       /* read as late as the caller can, just before the call */
};

struct strata_result {
	__u32 reason; /* enum strata_reason */
	__u32 len;    /* frame length of the reply, with STRATA_REPLY */
};

/** Most extension fields walked in one request; NTS needs at most 10. */
#define STRATA_MAX_EF 16
/*
 * Longest NTP payload the fast path parses (a power of two). NTS requests
 * with their cookies stay far below it (RFC 8915 section 5.7); anything
 * longer is dropped as malformed.
 */
#define STRATA_MAX_NTP_LEN 4096

/** The verdict that a reason belongs to. */
STRATA_INLINE enum strata_verdict
strata_verdict_of(__u32 reason)
{
	/* added after the drop reasons: the slots' numbers must not move */
	if (reason == STRATA_R_PASS_OTHER_MAC)
		return STRATA_PASS;
	if (reason <= STRATA_R_REPLY_KOD_DENY)
		return STRATA_REPLY;
	if (reason <= STRATA_R_PASS_NTS)
		return STRATA_PASS;
	if (reason == STRATA_R_REPLY_PASSIVE)
		return STRATA_REPLY;
	return STRATA_DROP;
}

STRATA_INLINE enum strata_verdict
strata_out(struct strata_result *res, __u32 reason)
{
	res->reason = reason;
	return strata_verdict_of(reason);
}

STRATA_INLINE int
strata_ours4(const struct strata_service *svc, __be32 a)
{
	__u32 i, n = svc->n_addr4;

	for (i = 0; i < STRATA_MAX_ADDRS; i++) {
		if (i >= n)
			break;
		if (svc->addr4[i] == a)
			return 1;
	}
	return 0;
}

STRATA_INLINE int
strata_ours6(const struct strata_service *svc, const __be32 *a)
{
	__u32 i, n = svc->n_addr6;

	for (i = 0; i < STRATA_MAX_ADDRS; i++) {
		if (i >= n)
			break;
		if (svc->addr6[i][0] == a[0] && svc->addr6[i][1] == a[1] &&
		    svc->addr6[i][2] == a[2] && svc->addr6[i][3] == a[3])
			return 1;
	}
	return 0;
}

/*
 * Sources no reply may go to (RFC 1122 section 3.2.1.3, RFC 6890):
 * "this network" 0/8, loopback 127/8, multicast 224/4 and the reserved 240/4
 * with the limited broadcast 255.255.255.255.
 */
STRATA_INLINE int
strata_martian4(__be32 a)
{
	__u8 top = (__u8)(strata_ntohl(a) >> 24);

	return top == 0 || top == 127 || top >= 224;
}

/*
 * IPv6 (RFC 4291 section 2.5): the unspecified and loopback addresses,
 * multicast ff00::/8, and IPv4-mapped ::ffff:0:0/96, which never appears on
 * the wire (RFC 4291 section 2.5.5.2).
 */
STRATA_INLINE int
strata_martian6(const __be32 *a)
{
	__u32 w0 = strata_ntohl(a[0]), w1 = strata_ntohl(a[1]);
	__u32 w2 = strata_ntohl(a[2]), w3 = strata_ntohl(a[3]);

	if ((w0 >> 24) == 0xff)
		return 1;
	if (w0 == 0 && w1 == 0 && (w2 == 0 || w2 == 0xffff))
		return w2 == 0xffff || w3 == 0 || w3 == 1;
	return 0;
}

/**
 * Check the NTP payload at @ntp, @plen octets (all inside the frame), from
 * UDP source port @sport. Returns STRATA_R_REPLY (REPLY_PASSIVE for a
 * symmetric active request), STRATA_R_REPLY_CRYPTO_NAK or the reason to
 * pass or drop it.
 *
 * RFC 7822 section 7.5 fixes how the octets after the header parse: NTPv4
 * extension fields (type, length >= 16, a multiple of 4, and at least 28 for
 * the last one when no MAC follows), then optionally a MAC of 20 or 24
 * octets. A remainder of exactly 20 or 24 octets is the MAC: checking for it
 * first is what the 28-octet rule makes unambiguous. NTPv1-3 packets carry no
 * extension fields, only the optional MAC. Anything else is malformed.
 */
STRATA_INLINE __u32
strata_ntp_check(const __u8 *ntp, __u32 plen, const __u8 *end, __be16 sport)
{
	__u32 version, mode, pos, rem, i, nts = 0, last = 0;

	/* classify modes 6 and 7 before the length: they are the ones to see */
	if (plen < 1 || ntp + 1 > end)
		return STRATA_R_DROP_SHORT;
	mode = NTP_LVM_MODE(ntp[0]);
	if (mode == NTP_MODE_CONTROL || mode == NTP_MODE_PRIVATE)
		return STRATA_R_DROP_MODE_CONTROL;
	if (plen < NTP_HEADER_LEN || ntp + NTP_HEADER_LEN > end)
		return STRATA_R_DROP_SHORT;
	version = NTP_LVM_VERSION(ntp[0]);
	if (version < NTP_VERSION_MIN || version > NTP_VERSION_MAX)
		return STRATA_R_DROP_VERSION;
	if (mode != NTP_MODE_CLIENT && mode != NTP_MODE_ACTIVE &&
	    !(mode == NTP_MODE_RESERVED && version == 1 && sport != STRATA_CONST_HTONS(NTP_PORT)))
		return STRATA_R_DROP_MODE;

	if (plen == NTP_HEADER_LEN)
		return mode == NTP_MODE_ACTIVE ? STRATA_R_REPLY_PASSIVE : STRATA_R_REPLY;
	if (plen & 3 || plen > STRATA_MAX_NTP_LEN)
		return STRATA_R_DROP_BAD_EXT;

	pos = NTP_HEADER_LEN;
	if (version == 4) {
		for (i = 0; i < STRATA_MAX_EF; i++) {
			const __u8 *ef;
			__u32 type, len;

			rem = plen - pos;
			if (rem == 0 || rem == NTP_MAC_MD5_LEN || rem == NTP_MAC_SHA1_LEN)
				break;
			if (rem < NTP_EF_MIN_LEN)
				return STRATA_R_DROP_BAD_EXT;
			/* pos < plen <= 4096: the mask changes nothing but shows the verifier */
			pos &= STRATA_MAX_NTP_LEN - 1;
			ef = ntp + pos;
			if (ef + NTP_EF_HEADER_LEN > end)
				return STRATA_R_DROP_TRUNCATED;
			type = (__u32)ef[0] << 8 | ef[1];
			len = (__u32)ef[2] << 8 | ef[3];
			if (len < NTP_EF_MIN_LEN || len & 3 || len > rem)
				return STRATA_R_DROP_BAD_EXT;
			if (type == NTP_EF_NTS_UNIQUE_ID || type == NTP_EF_NTS_COOKIE ||
			    type == NTP_EF_NTS_COOKIE_PLACEHOLDER || type == NTP_EF_NTS_AUTHENTICATOR)
				nts = 1;
			last = len;
			pos += len;
		}
	}
	rem = plen - pos;
	if (rem == 0) {
		/* RFC 7822 section 7.5: without a MAC the last field is >= 28 octets */
		if (last < 28)
			return STRATA_R_DROP_BAD_EXT;
		if (mode == NTP_MODE_ACTIVE)
			/* RFC 8915 section 1: NTS secures client-server mode only */
			return nts ? STRATA_R_DROP_MODE : STRATA_R_REPLY_PASSIVE;
		return nts ? STRATA_R_PASS_NTS : STRATA_R_REPLY;
	}
	if (rem != NTP_MAC_MD5_LEN && rem != NTP_MAC_SHA1_LEN)
		return STRATA_R_DROP_BAD_EXT; /* too many fields, or a bad trailer */
	/* NTS authenticates with its own field, never with a legacy MAC */
	if (nts)
		return STRATA_R_DROP_BAD_EXT;
	return STRATA_R_REPLY_CRYPTO_NAK;
}

/** What the reply keeps of the request, taken before the frame is rewritten. */
struct strata_req_keep {
	struct ntp_ts xmt; /* becomes the origin timestamp */
	__be16 sport;
	__be16 dport;
	__u8 vm; /* the reply's version and mode bits: 2 to symmetric active, else 4 */
	__s8 poll;
};

/**
 * Write the reply header at @h: version, mode and poll as kept in @k, origin
 * = the request's transmit timestamp (@k->xmt, as on the wire), the rest
 * from @v. A crypto-NAK is the key identifier 0 alone after the header
 * (RFC 5905 section 7.3, "MAC"). @return the ones' complement partial sum
 * of the words written (the checksum's share of the NTP payload), from the
 * values themselves (strata_w32_of()).
 */
STRATA_INLINE __u64
strata_write_ntp(struct ntp_hdr *h, const struct strata_req_keep *k,
		 const struct snap_reply_view *v, int crypto_nak)
{
	__u32 w0 = strata_w32_of(strata_w16_of((__u8)((v->leap & 3) << 6 | k->vm), v->stratum),
				 strata_w16_of((__u8)k->poll, (__u8)v->precision));
	__be32 rd = strata_htonl(v->root_delay), rp = strata_htonl(v->root_disp);
	__be32 fs = strata_htonl((__u32)(v->ref_time >> 32)), ff = strata_htonl((__u32)v->ref_time);
	__be32 rs = strata_htonl((__u32)(v->rx >> 32)), rf = strata_htonl((__u32)v->rx);
	__be32 xs = strata_htonl((__u32)(v->tx >> 32)), xf = strata_htonl((__u32)v->tx);

	*(strata_alias_u32 *)h = w0;
	h->root_delay = rd;
	h->root_disp = rp;
	h->refid = v->refid;
	h->ref.sec = fs;
	h->ref.frac = ff;
	h->org = k->xmt;
	h->rec.sec = rs;
	h->rec.frac = rf;
	h->xmt.sec = xs;
	h->xmt.frac = xf;
	if (crypto_nak)
		*(strata_alias_u32 *)(h + 1) = 0;
	return (__u64)w0 + rd + rp + v->refid + fs + ff + k->xmt.sec + k->xmt.frac + rs + rf + xs +
	       xf;
}

STRATA_INLINE void
strata_keep(struct strata_req_keep *k, const struct strata_udp *udp, const struct ntp_hdr *nh)
{
	k->xmt = nh->xmt;
	k->sport = udp->sport;
	k->dport = udp->dport;
	k->poll = nh->poll;
	/*
	 * The version as it came, and the mode (RFC 5905 section 9.2, table
	 * 9): 2, passive, to an active peer's 1; 4 to a client's 3 and to
	 * version 1's 0. 4 - ((m + 1) & 2) is that for the modes answered;
	 * the comparison it replaces cost 2 ns a request (a 4% slower IPv4
	 * reply in a loop of strata_reply(), gcc 12 -O3), this nothing.
	 */
	k->vm = (__u8)((nh->lvm & 0x38) | (NTP_MODE_SERVER - ((NTP_LVM_MODE(nh->lvm) + 1) & 2)));
}

/*
 * MACs as a 32-bit and a 16-bit word: 4 loads and 2 compares where the
 * octet loop took 12 and 6 (the frame and @mac need no alignment here: the
 * BPF targets and the CPUs strata runs on load unaligned words).
 */
typedef __u16 __attribute__((__may_alias__)) strata_alias_u16;

/** The frame is addressed to @mac (6 octets), the interface's own. */
STRATA_INLINE int
strata_to_mac(const struct strata_eth *eth, const __u8 *mac)
{
	return *(const strata_alias_u32 *)eth->dst == *(const strata_alias_u32 *)mac &&
	       *(const strata_alias_u16 *)(eth->dst + 4) == *(const strata_alias_u16 *)(mac + 4);
}

/* Address the reply to the requester, from the interface's own @mac. */
STRATA_INLINE void
strata_set_mac(struct strata_eth *eth, const __u8 *mac)
{
	__u32 s0 = *(const strata_alias_u32 *)eth->src;
	__u16 s1 = *(const strata_alias_u16 *)(eth->src + 4);

	*(strata_alias_u32 *)eth->dst = s0;
	*(strata_alias_u16 *)(eth->dst + 4) = s1;
	*(strata_alias_u32 *)eth->src = *(const strata_alias_u32 *)mac;
	*(strata_alias_u16 *)(eth->src + 4) = *(const strata_alias_u16 *)(mac + 4);
}

/* The reply's UDP header at @udp for @rplen octets of NTP; the checksum comes last. */
STRATA_INLINE void
strata_udp_reply(struct strata_udp *udp, const struct strata_req_keep *k, __u32 rplen)
{
	udp->sport = k->dport;
	udp->dport = k->sport;
	udp->len = strata_htons((__u16)(sizeof(*udp) + rplen));
	udp->csum = 0;
}

/* The checksum's share of that header (checksum 0), from the values. */
STRATA_INLINE __u64
strata_udp_words(const struct strata_req_keep *k, __u32 rplen)
{
	return (__u64)strata_w32_of(k->dport, k->sport) +
	       strata_w32_of(strata_htons((__u16)(sizeof(struct strata_udp) + rplen)), 0);
}

/**
 * Set the checksum of the reply datagram at @udp, whose octets (checksum 0)
 * sum to @body, given @pseudo, the sum of the pseudo header's addresses
 * (RFC 768; RFC 8200 section 8.1). A sum of 0 is sent as all ones, so an
 * IPv6 checksum is never 0.
 */
STRATA_INLINE void
strata_udp_csum(struct strata_udp *udp, __u64 pseudo, __u64 body)
{
	__u64 sum = pseudo + udp->len + STRATA_CONST_HTONS(IPPROTO_UDP_NUM) + body;

	udp->csum = (__u16)~strata_csum_fold(sum);
	if (udp->csum == 0)
		udp->csum = 0xffff;
}

/**
 * Turn the IPv4 request's headers into the reply's, for @rplen octets of NTP
 * that the caller has put right after a 20-octet IP header: the MACs, the IP
 * header, and the UDP header with checksum 0. @return the sum of the pseudo
 * header's addresses, for strata_udp_csum().
 *
 * The reply carries no IP options: a host does not echo the request's
 * (RFC 1122 section 3.2.1.8 lets it reverse a source route; we do not
 * honour source routes at all). The UDP datagram starts right after the
 * 20-octet header, which only ever moves it towards the frame start.
 */
STRATA_INLINE __u64
strata_headers4(struct strata_eth *eth, struct strata_ip4 *ip, const struct strata_service *svc,
		const __u8 *mac, const struct strata_req_keep *k, __u32 rplen)
{
	__be32 saddr = ip->saddr, daddr = ip->daddr;
	strata_alias_u32 *w = (strata_alias_u32 *)ip;
	/* keep DSCP; ECN is for ECN-capable transports */
	__u32 w0 = strata_w32_of(strata_w16_of(0x45, ip->tos & 0xfc),
				 strata_htons((__u16)(sizeof(*ip) + sizeof(struct strata_udp) + rplen)));
	/* atomic datagram: DF set, ID free (RFC 6864 section 4.1) */
	__u32 w1 = strata_w32_of(0, IP4_DF_BE);
	/* TTL, protocol and a checksum of 0 until it is known */
	__u32 w2 = strata_w32_of(strata_w16_of(svc->ttl, IPPROTO_UDP_NUM), 0);

	strata_set_mac(eth, mac);
	/* whole words, summed as written: nothing is read back (strata_w32_of()) */
	w[0] = w0;
	w[1] = w1;
	w[2] = w2;
	ip->saddr = daddr;
	ip->daddr = saddr;
	ip->csum = (__u16)~strata_csum_fold((__u64)w0 + w1 + w2 + saddr + daddr);
	strata_udp_reply((struct strata_udp *)(ip + 1), k, rplen);
	return (__u64)saddr + daddr;
}

/** As strata_headers4(), for IPv6: the UDP datagram stays where it was. */
STRATA_INLINE __u64
strata_headers6(struct strata_eth *eth, struct strata_ip6 *ip6, const struct strata_service *svc,
		const __u8 *mac, const struct strata_req_keep *k, __u32 rplen)
{
	__u64 sum = 0;
	__u32 i;

	strata_set_mac(eth, mac);
	for (i = 0; i < 4; i++) {
		__be32 t = ip6->daddr[i], u = ip6->saddr[i];

		ip6->daddr[i] = u;
		ip6->saddr[i] = t;
		sum += (__u64)t + u;
	}
	/* keep traffic class and flow label, clear ECN (RFC 3168 section 5) */
	ip6->vtcfl &= ~strata_htonl(3u << 20);
	ip6->plen = strata_htons((__u16)(sizeof(struct strata_udp) + rplen));
	ip6->hlim = svc->ttl;
	strata_udp_reply((struct strata_udp *)(ip6 + 1), k, rplen);
	return sum;
}

/*
 * The NTP header of a plain reply, and then its UDP checksum from the sum
 * strata_reply_ntp() returned: the two steps the ablation builds can take
 * out (STRATA_ABLATE_WRITE, _CSUM: xdp/strata.bpf.c), in one place.
 */
STRATA_INLINE __u64
strata_reply_ntp(struct ntp_hdr *h, const struct strata_req_keep *k,
		 const struct snap_reply_view *v, int crypto_nak)
{
#ifndef STRATA_ABLATE_WRITE
	return strata_write_ntp(h, k, v, crypto_nak);
#else
	(void)h, (void)k, (void)v, (void)crypto_nak;
	return 0;
#endif
}

STRATA_INLINE void
strata_reply_csum(struct strata_udp *udp, __u64 pseudo, __u64 body,
		  const struct strata_req_keep *k, __u32 rplen)
{
#ifndef STRATA_ABLATE_CSUM
	strata_udp_csum(udp, pseudo, body + strata_udp_words(k, rplen));
#else
	(void)udp, (void)pseudo, (void)body, (void)k, (void)rplen; /* checksum left 0 */
#endif
}

STRATA_INLINE int
strata_is_kod(__u32 reason)
{
	return reason == STRATA_R_REPLY_KOD_RATE || reason == STRATA_R_REPLY_KOD_DENY;
}

/** The kiss code (the refid on the wire) of a kiss-o'-death @reason, 0 for any other. */
STRATA_INLINE __be32
strata_kiss_of(__u32 reason)
{
	if (reason == STRATA_R_REPLY_KOD_RATE)
		return NTP_KISS('R', 'A', 'T', 'E');
	if (reason == STRATA_R_REPLY_KOD_DENY)
		return NTP_KISS('D', 'E', 'N', 'Y');
	return 0;
}

/*
 * The policy step for a well-formed request (@reason REPLY, CRYPTO_NAK or
 * PASS_NTS) from @saddr: the access list, then the rate limit. @return the
 * reason to answer or drop with.
 */
STRATA_INLINE __u32
strata_policy4(const struct strata_policy *pol, __be32 saddr, __u32 reason)
{
	__u32 acl = pol->conf->acl_on ? STRATA_ACL4(pol, saddr) : STRATA_ACL_ALLOW;
	__u32 r = strata_policy_check(pol, acl, strata_rl_key4(saddr));

	return r == STRATA_R_REPLY ? reason : r;
}

STRATA_INLINE __u32
strata_policy6(const struct strata_policy *pol, const __be32 *saddr, __u32 reason)
{
	__u32 acl = pol->conf->acl_on ? STRATA_ACL6(pol, saddr) : STRATA_ACL_ALLOW;
	__u32 r = strata_policy_check(pol, acl, strata_rl_key6(saddr));

	return r == STRATA_R_REPLY ? reason : r;
}

#ifndef STRATA_POLICY4
#define STRATA_POLICY4(pol, saddr, reason) strata_policy4(pol, saddr, reason)
#define STRATA_POLICY6(pol, saddr, reason) strata_policy6(pol, saddr, reason)
#endif

/*
 * The policy's verdict @r on an NTS request (RFC 8915 section 5.7), passed
 * in as STRATA_R_PASS_NTS: refused or over the limit, it is dropped, never
 * answered by a kiss-o'-death, which an NTS client discards unless it is
 * authenticated (only the NTS NAK is not); a leak goes on to the NTS server
 * like any allowed request. @return PASS_NTS, DROP_RATE or DROP_DENY.
 */
STRATA_INLINE __u32
strata_nts_policy(__u32 r)
{
	if (r == STRATA_R_REPLY_KOD_RATE)
		return STRATA_R_DROP_RATE;
	if (r == STRATA_R_REPLY_KOD_DENY)
		return STRATA_R_DROP_DENY;
	if (r == STRATA_R_REPLY_LEAK)
		return STRATA_R_PASS_NTS;
	return r;
}

/*
 * What a reply is made of. A kiss-o'-death (@kiss its code, 0 for any other
 * reply) carries leap 3 (alarm), stratum 0 and the kiss code in the refid
 * (RFC 5905 section 7.4), and the request's transmit timestamp as its
 * origin, receive and transmit timestamps (see strata_kod_stamps()): it
 * tells nothing of our clock. Anything else reads the snapshot. @return 0,
 * or -1 without usable time.
 */
STRATA_INLINE int
strata_reply_view(__be32 kiss, const struct snap *snap, const struct strata_clock *clk,
		  struct snap_reply_view *v)
{
	if (kiss != 0) {
		v->rx = 0;
		v->tx = 0;
		v->ref_time = 0;
		v->root_delay = 0;
		v->root_disp = 0;
		v->refid = kiss;
		v->leap = NTP_LEAP_UNSYNC;
		v->stratum = 0;
		v->precision = 0;
		v->pad = 0;
		return 0;
	}
#ifdef STRATA_ABLATE_SNAP
	/* ablation (xdp/strata.bpf.c): no snapshot read, the clock readings as they are */
	*v = (struct snap_reply_view){.rx = clk->rx, .tx = clk->tx, .stratum = 2};
	(void)snap;
	return 0;
#else
	return snap_read_reply(snap, clk->rx_scale, clk->rx, clk->tx_scale, clk->tx, v);
#endif
}

/*
 * A kiss-o'-death's receive and transmit timestamps are the request's
 * transmit timestamp, kept in @k, as the KoDs of ntpd and NTPsec
 * (fast_xmit()) carry it: a refused client learns nothing of our clock, and
 * clients accept it. ntpd 4.2.8's receive() ignores a KoD whose transmit
 * timestamp is zero ("Unexpected zero transmit timestamp in KoD") or whose
 * origin, receive and transmit differ; NTPsec takes a zero transmit
 * timestamp in its first answer for a duplicate. chrony's KoD is its full
 * answer with leap, stratum and refid replaced (ntp_core.c
 * transmit_packet()): its receive and transmit timestamps are its clock's.
 * Set after strata_keep(), where the view is already built: the RX-metadata
 * XDP program is at the verifier's 512-octet stack limit.
 */
STRATA_INLINE void
strata_kod_stamps(__be32 kiss, const struct strata_req_keep *k, struct snap_reply_view *v)
{
	if (kiss != 0) {
		v->rx = ntp_ts_get(&k->xmt);
		v->tx = v->rx;
	}
}

/*
 * A RATE kiss-o'-death asks for a poll no shorter than the limiter's
 * interval: ntpd 4.2.8 and NTPsec raise their minimum poll to a RATE KoD's
 * poll when it is above theirs (and only then back off for longer than a
 * poll or two), and chrony's and ntpd's own KoDs carry their limit there
 * (chrony ntp_core.c: the larger of the request's poll and the ratelimit
 * interval). DENY keeps the request's poll.
 */
STRATA_INLINE void
strata_kod_poll(__u32 reason, const struct strata_policy *pol, struct strata_req_keep *k)
{
	if (reason == STRATA_R_REPLY_KOD_RATE && pol != 0 && k->poll < pol->conf->kod_poll)
		k->poll = (__s8)pol->conf->kod_poll;
}

/**
 * The IPv4 request at @ip, from its header to the NTP payload: where the
 * reply builder and the NTS entry (reply_nts.h) tell what a frame is.
 * @return STRATA_R_REPLY, _CRYPTO_NAK or _PASS_NTS for a request to answer
 * (its UDP header in *@udpp), else the reason to pass or drop it.
 */
STRATA_INLINE __u32
strata_check4(struct strata_eth *eth, struct strata_ip4 *ip, __u8 *end,
	      const struct strata_service *svc, const __u8 *mac, struct strata_udp **udpp)
{
	struct strata_udp *udp;
	__u32 hlen, tot, ulen, i;
	__u64 sum;

	if ((__u8 *)(ip + 1) > end)
		return STRATA_R_DROP_TRUNCATED;
	if (!strata_ours4(svc, ip->daddr))
		return STRATA_R_PASS_NOT_OURS;
	hlen = (ip->vihl & 0xf) * 4;
	if ((ip->vihl >> 4) != 4 || hlen < sizeof(*ip))
		return STRATA_R_DROP_BAD_IP_HDR;
	if ((__u8 *)ip + hlen > end)
		return STRATA_R_DROP_TRUNCATED;
	if (ip->proto != IPPROTO_UDP_NUM)
		return STRATA_R_PASS_NOT_UDP;

	/* RFC 1122 section 3.2.1.2: a host silently discards a bad header checksum */
	sum = 0;
	for (i = 0; i < 15; i++) {
		const strata_alias_u32 *w = (const strata_alias_u32 *)ip + i;

		if (i >= hlen / 4 || (const __u8 *)(w + 1) > end)
			break;
		sum += *w;
	}
#ifdef STRATA_ABLATE_IPCSUM
	sum = 0xffff; /* ablation: the header checksum summed, not checked */
#endif
	if (strata_csum_fold(sum) != 0xffff)
		return STRATA_R_DROP_BAD_IP_CSUM;

	/*
	 * A later fragment has no UDP header: nothing says it is NTP, so it is
	 * the kernel's (the host may receive other UDP on this address).
	 */
	if (ip->frag & IP4_OFF_BE)
		return STRATA_R_PASS_FRAGMENT;
	tot = strata_ntohs(ip->tot_len);
	if (tot < hlen + sizeof(*udp))
		return STRATA_R_DROP_BAD_IP_LEN;
	if ((__u8 *)ip + tot > end)
		return STRATA_R_DROP_TRUNCATED;

	udp = (struct strata_udp *)((__u8 *)ip + hlen);
	if ((__u8 *)(udp + 1) > end)
		return STRATA_R_DROP_TRUNCATED;
	if (udp->dport != STRATA_CONST_HTONS(NTP_PORT))
		return STRATA_R_PASS_NOT_NTP;
	/* NTP requests are never fragmented; reassembly is not the fast path's job */
	if (ip->frag & IP4_MF_BE)
		return STRATA_R_DROP_FRAGMENT;
	ulen = strata_ntohs(udp->len);
	if (ulen != tot - hlen)
		return STRATA_R_DROP_BAD_UDP_LEN;
	if (udp->sport == 0)
		return STRATA_R_DROP_SRC_PORT0;
	if (strata_ours4(svc, ip->saddr))
		return STRATA_R_DROP_SRC_OURS;
	if (strata_martian4(ip->saddr))
		return STRATA_R_DROP_SRC_MARTIAN;
	if (eth->dst[0] & 1)
		return STRATA_R_DROP_L2_GROUP;
	if (!strata_to_mac(eth, mac))
		return STRATA_R_PASS_OTHER_MAC;
	*udpp = udp;
	return strata_ntp_check((const __u8 *)(udp + 1), ulen - sizeof(*udp), end, udp->sport);
}

/** The policy step of an NTS request from @saddr: PASS_NTS, DROP_RATE or DROP_DENY. */
STRATA_INLINE __u32
strata_nts_police4(const struct strata_policy *pol, __be32 saddr)
{
	if (pol == 0)
		return STRATA_R_PASS_NTS;
	return strata_nts_policy(STRATA_POLICY4(pol, saddr, STRATA_R_PASS_NTS));
}

STRATA_INLINE __u32
strata_nts_police6(const struct strata_policy *pol, const __be32 *saddr)
{
	if (pol == 0)
		return STRATA_R_PASS_NTS;
	return strata_nts_policy(STRATA_POLICY6(pol, saddr, STRATA_R_PASS_NTS));
}

/*
 * The plain answer to the IPv4 request at @ip that strata_check4() classed
 * @reason, its UDP header at @udp: the policy, then the reply in place.
 */
STRATA_INLINE enum strata_verdict
strata_answer4(struct strata_eth *eth, __u32 l2len, struct strata_ip4 *ip, struct strata_udp *udp,
	       __u8 *end, __u32 reason, const struct strata_service *svc, const __u8 *mac,
	       const struct snap *snap, const struct strata_clock *clk,
	       const struct strata_policy *pol, struct strata_result *res)
{
	struct strata_req_keep k;
	struct snap_reply_view v;
	__u32 rplen;
	__be32 kiss;
	int nak;
	__u64 pseudo, body;

	if (strata_verdict_of(reason) != STRATA_REPLY) {
		/* NTS requests meet the policy here, in the path that received them */
		if (reason == STRATA_R_PASS_NTS)
			reason = strata_nts_police4(pol, ip->saddr);
		return strata_out(res, reason);
	}
	nak = reason == STRATA_R_REPLY_CRYPTO_NAK;
	if (pol != 0) {
		reason = STRATA_POLICY4(pol, ip->saddr, reason);
		if (strata_verdict_of(reason) != STRATA_REPLY)
			return strata_out(res, reason);
	}
	kiss = strata_kiss_of(reason);
	if (strata_reply_view(kiss, snap, clk, &v) != 0)
		return strata_out(res, STRATA_R_DROP_NO_TIME);
	/* a kiss-o'-death is the header alone, whatever the request carried */
	nak = nak && kiss == 0;
	rplen = NTP_HEADER_LEN + (nak ? NTP_CRYPTO_NAK_LEN : 0);

	/* take what the reply keeps before it is overwritten (options move it) */
	strata_keep(&k, udp, (const struct ntp_hdr *)(udp + 1));
	strata_kod_stamps(kiss, &k, &v);
	strata_kod_poll(reason, pol, &k);

	udp = (struct strata_udp *)(ip + 1);
	if ((__u8 *)(udp + 1) + rplen > end)
		return strata_out(res, STRATA_R_DROP_TRUNCATED);
	body = strata_reply_ntp((struct ntp_hdr *)(udp + 1), &k, &v, nak);
	pseudo = strata_headers4(eth, ip, svc, mac, &k, rplen);
	strata_reply_csum(udp, pseudo, body, &k, rplen);

	res->len = l2len + sizeof(*ip) + sizeof(*udp) + rplen;
	return strata_out(res, reason);
}

/* The IPv4 path, from the IP header on. */
STRATA_INLINE enum strata_verdict
strata_reply4(struct strata_eth *eth, __u32 l2len, __u8 *end, const struct strata_service *svc,
	      const __u8 *mac, const struct snap *snap, const struct strata_clock *clk,
	      const struct strata_policy *pol, struct strata_result *res)
{
	struct strata_ip4 *ip = (struct strata_ip4 *)((__u8 *)eth + l2len);
	struct strata_udp *udp = 0;
	__u32 reason;

	reason = strata_check4(eth, ip, end, svc, mac, &udp);
	return strata_answer4(eth, l2len, ip, udp, end, reason, svc, mac, snap, clk, pol, res);
}

/** As strata_check4(), for the IPv6 request at @ip6. */
STRATA_INLINE __u32
strata_check6(struct strata_eth *eth, struct strata_ip6 *ip6, __u8 *end,
	      const struct strata_service *svc, const __u8 *mac, struct strata_udp **udpp)
{
	struct strata_udp *udp;
	__u32 plen, ulen;

	if ((__u8 *)(ip6 + 1) > end)
		return STRATA_R_DROP_TRUNCATED;
	if (!strata_ours6(svc, ip6->daddr))
		return STRATA_R_PASS_NOT_OURS;
	if ((strata_ntohl(ip6->vtcfl) >> 28) != 6)
		return STRATA_R_DROP_BAD_IP_HDR;
	/* extension headers (fragments included) are the kernel's business */
	if (ip6->nexthdr != IPPROTO_UDP_NUM)
		return STRATA_R_PASS_NOT_UDP;
	plen = strata_ntohs(ip6->plen);
	if (plen < sizeof(*udp)) /* 0 would be a jumbogram (RFC 2675): not on our links */
		return STRATA_R_DROP_BAD_IP_LEN;
	if ((__u8 *)(ip6 + 1) + plen > end)
		return STRATA_R_DROP_TRUNCATED;

	udp = (struct strata_udp *)(ip6 + 1);
	if ((__u8 *)(udp + 1) > end)
		return STRATA_R_DROP_TRUNCATED;
	if (udp->dport != STRATA_CONST_HTONS(NTP_PORT))
		return STRATA_R_PASS_NOT_NTP;
	ulen = strata_ntohs(udp->len);
	if (ulen != plen)
		return STRATA_R_DROP_BAD_UDP_LEN;
	/*
	 * RFC 8200 section 8.1: IPv6 receivers discard UDP packets with a zero
	 * checksum (the exceptions of RFC 6935 are for tunnels, not NTP).
	 */
	if (udp->csum == 0)
		return STRATA_R_DROP_UDP_CSUM0;
	if (udp->sport == 0)
		return STRATA_R_DROP_SRC_PORT0;
	if (strata_ours6(svc, ip6->saddr))
		return STRATA_R_DROP_SRC_OURS;
	if (strata_martian6(ip6->saddr))
		return STRATA_R_DROP_SRC_MARTIAN;
	if (eth->dst[0] & 1)
		return STRATA_R_DROP_L2_GROUP;
	if (!strata_to_mac(eth, mac))
		return STRATA_R_PASS_OTHER_MAC;
	*udpp = udp;
	return strata_ntp_check((const __u8 *)(udp + 1), ulen - sizeof(*udp), end, udp->sport);
}

/** As strata_answer4(), for IPv6. */
STRATA_INLINE enum strata_verdict
strata_answer6(struct strata_eth *eth, __u32 l2len, struct strata_ip6 *ip6, struct strata_udp *udp,
	       __u8 *end, __u32 reason, const struct strata_service *svc, const __u8 *mac,
	       const struct snap *snap, const struct strata_clock *clk,
	       const struct strata_policy *pol, struct strata_result *res)
{
	struct strata_req_keep k;
	struct snap_reply_view v;
	struct ntp_hdr *nh;
	__u32 rplen;
	__be32 kiss;
	int nak;
	__u64 pseudo, body;

	if (strata_verdict_of(reason) != STRATA_REPLY) {
		if (reason == STRATA_R_PASS_NTS)
			reason = strata_nts_police6(pol, ip6->saddr);
		return strata_out(res, reason);
	}
	/* only now: without a request there is no UDP header (udp is NULL) */
	nh = (struct ntp_hdr *)(udp + 1);
	nak = reason == STRATA_R_REPLY_CRYPTO_NAK;
	if (pol != 0) {
		reason = STRATA_POLICY6(pol, ip6->saddr, reason);
		if (strata_verdict_of(reason) != STRATA_REPLY)
			return strata_out(res, reason);
	}
	kiss = strata_kiss_of(reason);
	if (strata_reply_view(kiss, snap, clk, &v) != 0)
		return strata_out(res, STRATA_R_DROP_NO_TIME);
	nak = nak && kiss == 0;
	rplen = NTP_HEADER_LEN + (nak ? NTP_CRYPTO_NAK_LEN : 0);
	if ((__u8 *)nh + rplen > end)
		return strata_out(res, STRATA_R_DROP_TRUNCATED);

	strata_keep(&k, udp, nh);
	strata_kod_stamps(kiss, &k, &v);
	strata_kod_poll(reason, pol, &k);
	body = strata_reply_ntp(nh, &k, &v, nak);
	pseudo = strata_headers6(eth, ip6, svc, mac, &k, rplen);
	strata_reply_csum(udp, pseudo, body, &k, rplen);

	res->len = l2len + sizeof(*ip6) + sizeof(*udp) + rplen;
	return strata_out(res, reason);
}

/* The IPv6 path, from the IP header on. */
STRATA_INLINE enum strata_verdict
strata_reply6(struct strata_eth *eth, __u32 l2len, __u8 *end, const struct strata_service *svc,
	      const __u8 *mac, const struct snap *snap, const struct strata_clock *clk,
	      const struct strata_policy *pol, struct strata_result *res)
{
	struct strata_ip6 *ip6 = (struct strata_ip6 *)((__u8 *)eth + l2len);
	struct strata_udp *udp = 0;
	__u32 reason;

	reason = strata_check6(eth, ip6, end, svc, mac, &udp);
	return strata_answer6(eth, l2len, ip6, udp, end, reason, svc, mac, snap, clk, pol, res);
}

/**
 * The Ethernet header and at most one 802.1Q tag of the frame at @eth:
 * @return the EtherType after them, their length in *@l2len (0 when the
 * frame ends first). A second tag (QinQ) is returned as it is: not ours.
 */
STRATA_INLINE __be16
strata_l2(struct strata_eth *eth, const __u8 *end, __u32 *l2len)
{
	__be16 proto;

	*l2len = 0;
	if ((const __u8 *)(eth + 1) > end)
		return 0;
	proto = eth->proto;
	if (proto == ETH_P_8021Q_BE) {
		struct strata_vlan *vlan = (struct strata_vlan *)(eth + 1);

		if ((const __u8 *)(vlan + 1) > end)
			return 0;
		*l2len = sizeof(*eth) + sizeof(*vlan);
		return vlan->proto;
	}
	*l2len = sizeof(*eth);
	return proto;
}

/**
 * Answer the NTP request in the Ethernet frame [@data, @data_end) in place.
 *
 * @param svc   service addresses and reply TTL
 * @param mac   the interface's own MAC (6 octets): only frames to it are
 *              answered, and replies leave from it
 * @param snap  the published time snapshot
 * @param clk   local receive and transmit readings, on snapshot timescales
 * @param pol   access list and rate limit, or NULL to answer every client;
 *              NTS requests meet it too before they are passed
 * @param res   reason (always) and reply length (with STRATA_REPLY)
 * @return STRATA_REPLY, STRATA_PASS or STRATA_DROP
 */
STRATA_INLINE enum strata_verdict
strata_reply_policy(void *data, void *data_end, const struct strata_service *svc,
		    const __u8 *mac, const struct snap *snap, const struct strata_clock *clk,
		    const struct strata_policy *pol, struct strata_result *res)
{
	struct strata_eth *eth = (struct strata_eth *)data;
	__u8 *end = (__u8 *)data_end;
	__u32 l2len;
	__be16 proto;

	res->len = 0;
	proto = strata_l2(eth, end, &l2len);
	if (l2len == 0)
		return strata_out(res, STRATA_R_DROP_TRUNCATED);
	if (proto == ETH_P_IPV4_BE)
		return strata_reply4(eth, l2len, end, svc, mac, snap, clk, pol, res);
	if (proto == ETH_P_IPV6_BE)
		return strata_reply6(eth, l2len, end, svc, mac, snap, clk, pol, res);
	return strata_out(res, STRATA_R_PASS_NOT_IP);
}

/** strata_reply_policy() without a policy: every well-formed request is answered. */
STRATA_INLINE enum strata_verdict
strata_reply(void *data, void *data_end, const struct strata_service *svc, const __u8 *mac,
	     const struct snap *snap, const struct strata_clock *clk, struct strata_result *res)
{
	return strata_reply_policy(data, data_end, svc, mac, snap, clk, 0, res);
}
