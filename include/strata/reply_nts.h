/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The reply builder with NTS (RFC 8915 section 5.7), for the user-space fast
 * paths only: strata-dpdk's workers and strata-nts's AF_XDP worker. Never
 * BPF: the cryptography is lib/nts.c's (nettle).
 *
 * strata_reply_nts() is strata_reply_policy() (reply.h), whose checks and
 * header writing it shares, plus the answer to an NTS request. Such a
 * request (strata_ntp_check() classes it STRATA_R_PASS_NTS) meets the policy
 * first, as in every fast path: refused or over the limit, it is dropped
 * without a kiss-o'-death. Then lib/nts.h's nts_server_check() decides:
 *  - STRATA_NTS_REPLY: the header any reply has (the snapshot's time), the
 *    unique identifier, and the authenticator with fresh cookies
 *    (nts_server_seal());
 *  - STRATA_NTS_NAK_*: a kiss-o'-death "NTSN" header, as the builder's KoDs
 *    (leap 3, stratum 0, the request's transmit timestamp as origin,
 *    receive and transmit), and the unique identifier alone
 *    (nts_server_nak());
 *  - STRATA_NTS_DROP_*: dropped as STRATA_R_DROP_BAD_EXT.
 * The answer is written over the request, never longer than it (no
 * amplification, RFC 8915 section 5.7), without the request's IP options:
 * the NTP payload then moves up with its UDP header.
 */
#pragma once

#include <string.h>

#include "reply.h"

/* lib/nts.h, the NTS server; the angle brackets skip this folder's own nts.h */
#include <nts.h>

/**
 * The ones' complement sum of the @len octets at @p (RFC 1071), any length
 * and alignment: an odd tail counts as if padded with zeros. Summed in
 * 32-bit words in memory order, as strata_csum_words().
 */
static inline __u64
strata_csum_any(const void *p, __u32 len)
{
	const __u8 *b = (const __u8 *)p;
	__u64 sum = 0;
	__u32 w;

	for (; len >= 4; len -= 4, b += 4) {
		memcpy(&w, b, 4);
		sum += w;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, b, len);
		sum += w;
	}
	return sum;
}

/*
 * Check the NTS request whose UDP header is at @udp, @nlen octets of NTP
 * after it, and prepare its answer: what it keeps of the request in @k, its
 * header's fields in @v. Nothing is written to the frame. @return
 * STRATA_R_REPLY to answer (*@nts_reason: STRATA_NTS_REPLY or a NAK) or the
 * reason to drop it.
 */
static inline __u32
strata_nts_open(struct nts_server *nts, const struct strata_udp *udp, __u32 nlen,
		const struct snap *snap, const struct strata_clock *clk, struct nts_request *r,
		struct strata_req_keep *k, struct snap_reply_view *v, __u32 *nts_reason)
{
	const __u8 *ntp = (const __u8 *)(udp + 1);
	__be32 kiss = 0;

	*nts_reason = nts_server_check(nts, ntp, nlen, r);
	switch (*nts_reason) {
	case STRATA_NTS_REPLY:
		break;
	case STRATA_NTS_NAK_KEY:
	case STRATA_NTS_NAK_COOKIE:
	case STRATA_NTS_NAK_AUTH:
		kiss = NTP_KISS('N', 'T', 'S', 'N');
		break;
	default:
		return STRATA_R_DROP_BAD_EXT;
	}
	if (strata_reply_view(kiss, snap, clk, v) != 0) {
		*nts_reason = STRATA_NTS_MAX; /* no time to tell: the reason table says so */
		return STRATA_R_DROP_NO_TIME;
	}
	strata_keep(k, udp, (const struct ntp_hdr *)ntp);
	strata_kod_stamps(kiss, k, v);
	return STRATA_R_REPLY;
}

/*
 * Write the NTP part of the answer at @ntp, where the request now lies: the
 * header, then the sealed fields or the NAK's. @return its length.
 */
static inline __u32
strata_nts_seal(struct nts_server *nts, const struct nts_request *r, __u32 nts_reason,
		const struct strata_req_keep *k, const struct snap_reply_view *v, __u8 *ntp,
		__u32 *cookies)
{
	/* first: the authenticator covers the header (RFC 8915 section 5.6) */
	strata_write_ntp((struct ntp_hdr *)ntp, k, v, 0);
	if (nts_reason == STRATA_NTS_REPLY)
		return nts_server_seal(nts, r, ntp, cookies);
	return nts_server_nak(r, ntp);
}

/*
 * The answer to an NTS request that strata_check4/6() found at @l3 (IPv6
 * with @v6), its UDP header at @udp: the policy, nts_server_check(), then
 * the reply or NAK in place. Out of line, so that the plain path stays
 * as short as strata_reply_policy()'s (callgrind: 12 instructions a
 * request more when this was inlined beside it).
 */
static __attribute__((noinline, unused)) enum strata_verdict
strata_nts_answer(struct strata_eth *eth, void *l3, int v6, struct strata_udp *udp,
		  const struct strata_service *svc, const __u8 *mac, const struct snap *snap,
		  const struct strata_clock *clk, const struct strata_policy *pol,
		  struct nts_server *nts, struct strata_result *res, __u32 *nts_reason,
		  __u32 *cookies)
{
	struct strata_ip4 *ip = (struct strata_ip4 *)l3;
	struct strata_ip6 *ip6 = (struct strata_ip6 *)l3;
	struct strata_udp *out = udp;
	struct strata_req_keep k;
	struct snap_reply_view v;
	struct nts_request r;
	__u32 reason, nlen, rplen;
	__u64 pseudo;

	reason = v6 ? strata_nts_police6(pol, ip6->saddr) : strata_nts_police4(pol, ip->saddr);
	if (reason != STRATA_R_PASS_NTS)
		return strata_out(res, reason);
	nlen = strata_ntohs(udp->len) - sizeof(*udp);
	reason = strata_nts_open(nts, udp, nlen, snap, clk, &r, &k, &v, nts_reason);
	if (reason != STRATA_R_REPLY)
		return strata_out(res, reason);

	/* no IPv4 options in the reply (strata_headers4()): the datagram moves up */
	if (!v6)
		out = (struct strata_udp *)(ip + 1);
	if (out != udp)
		memmove(out, udp, sizeof(*udp) + nlen);
	rplen = strata_nts_seal(nts, &r, *nts_reason, &k, &v, (__u8 *)(out + 1), cookies);
	if (v6)
		pseudo = strata_headers6(eth, ip6, svc, mac, &k, rplen);
	else
		pseudo = strata_headers4(eth, ip, svc, mac, &k, rplen);
	strata_udp_csum(out, pseudo, strata_csum_any(out, sizeof(*out) + rplen));
	res->len = (__u32)((__u8 *)(out + 1) - (__u8 *)eth) + rplen;
	return strata_out(res, STRATA_R_REPLY);
}

/**
 * strata_reply_policy() with NTS: answer the NTP request in the Ethernet
 * frame [@data, @data_end) in place.
 *
 * @param svc   service addresses and reply TTL
 * @param mac   the interface's own MAC (6 octets)
 * @param snap  the published time snapshot
 * @param clk   local receive and transmit readings, on snapshot timescales
 * @param pol   access list and rate limit, or NULL when they already ran
 *              (the XDP program before it redirected the frame)
 * @param nts   this thread's NTS server state, or NULL: NTS requests are
 *              then passed (STRATA_R_PASS_NTS) as by strata_reply_policy()
 * @param res   reason (always) and reply length (with STRATA_REPLY); an NTS
 *              reply or NAK is STRATA_R_REPLY, a request nts_server_check()
 *              drops STRATA_R_DROP_BAD_EXT
 * @param nts_reason  enum strata_nts_counter: what the NTS server made of
 *              the frame, STRATA_NTS_MAX when it did not see it (not NTS,
 *              refused by the policy, no time to answer with)
 * @param cookies     fresh cookies in the reply, 0 if none
 * @return STRATA_REPLY, STRATA_PASS or STRATA_DROP
 */
static inline enum strata_verdict
strata_reply_nts(void *data, void *data_end, const struct strata_service *svc, const __u8 *mac,
		 const struct snap *snap, const struct strata_clock *clk,
		 const struct strata_policy *pol, struct nts_server *nts, struct strata_result *res,
		 __u32 *nts_reason, __u32 *cookies)
{
	struct strata_eth *eth = (struct strata_eth *)data;
	struct strata_udp *udp = NULL;
	__u8 *end = (__u8 *)data_end;
	__u32 l2len, reason;
	__be16 proto;

	res->len = 0;
	*nts_reason = STRATA_NTS_MAX;
	*cookies = 0;
	proto = strata_l2(eth, end, &l2len);
	if (l2len == 0)
		return strata_out(res, STRATA_R_DROP_TRUNCATED);
	if (proto == ETH_P_IPV4_BE) {
		struct strata_ip4 *ip = (struct strata_ip4 *)((__u8 *)eth + l2len);

		reason = strata_check4(eth, ip, end, svc, mac, &udp);
		if (unlikely(reason == STRATA_R_PASS_NTS) && nts != NULL)
			return strata_nts_answer(eth, ip, 0, udp, svc, mac, snap, clk, pol, nts,
						 res, nts_reason, cookies);
		return strata_answer4(eth, l2len, ip, udp, end, reason, svc, mac, snap, clk, pol,
				      res);
	}
	if (proto == ETH_P_IPV6_BE) {
		struct strata_ip6 *ip6 = (struct strata_ip6 *)((__u8 *)eth + l2len);

		reason = strata_check6(eth, ip6, end, svc, mac, &udp);
		if (unlikely(reason == STRATA_R_PASS_NTS) && nts != NULL)
			return strata_nts_answer(eth, ip6, 1, udp, svc, mac, snap, clk, pol, nts,
						 res, nts_reason, cookies);
		return strata_answer6(eth, l2len, ip6, udp, end, reason, svc, mac, snap, clk, pol,
				      res);
	}
	return strata_out(res, STRATA_R_PASS_NOT_IP);
}
