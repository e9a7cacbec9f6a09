/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the reply builder, strata_reply(), the code that
 * parses untrusted frames in XDP and DPDK. Built by clang with libFuzzer and
 * ASan/UBSan (meson custom_target), and by the project compiler with
 * fuzz_main.c so that the test suite replays the corpus everywhere.
 *
 * Besides memory safety, every input is checked against what reply.h
 * promises, with a parser and a checksum written here from the RFCs and not
 * from reply.h, so that a shared mistake cannot hide itself:
 *  - the verdict is the one of the reason;
 *  - only a client or symmetric active request (RFC 5905 section 9.2) to
 *    a service address on UDP port 123 is answered;
 *  - a reply is no longer than the request and carries valid checksums,
 *    mode 4 (mode 2 to a symmetric active request, table 9) and the
 *    request's transmit timestamp as origin;
 *  - a frame that is passed or dropped is left untouched, also when the
 *    snapshot holds no time, the last refusal before the frame is rewritten.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <strata/reply.h>

#include "../unit/ref_csum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ETH_LEN 14
#define VLAN_LEN 4
#define IP4_LEN 20
#define IP6_LEN 40
#define UDP_LEN 8
#define NTP_LEN 48

/*
 * clk.tx - clk.rx in ns, and the NTP time the snapshot gives clk.rx.
 * make_corpus.py rebuilds the reply of setup()'s snapshot for the seeds whose
 * reply checksum sums to zero: keep the two in step.
 */
#define TX_DELAY_NS 1000
#define NTP_AT_RX 0xe9a1b2c312345678ull

static const uint8_t svc_ip4[4] = { 192, 0, 2, 1 };
static const uint8_t svc_ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
/* the interface's own MAC: make_corpus.py's MAC_SRV */
static const uint8_t svc_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static struct strata_service svc;
static struct snap snap, snap_empty;
static const struct strata_clock clk = {
	.rx_scale = SNAP_SCALE_MONO,
	.tx_scale = SNAP_SCALE_MONO,
	.rx = 5000000000ull,
	.tx = 5000000000ull + TX_DELAY_NS,
};

/* What the fuzzer's own parser learnt about a request. */
struct req {
	size_t l3;  /* offset of the IP header */
	size_t l4;  /* offset of the UDP header */
	int ip6;    /* 1 for IPv6 */
	int answer; /* 1 if strata may answer it */
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
setup(void)
{
	struct snap_slot slot;

	memset(&svc, 0, sizeof(svc));
	memcpy(&svc.addr4[0], svc_ip4, 4);
	memcpy(svc.addr6[0], svc_ip6, 16);
	svc.n_addr4 = 1;
	svc.n_addr6 = 1;
	svc.ttl = STRATA_DEFAULT_TTL;

	memset(&slot, 0, sizeof(slot));
	slot.map[SNAP_SCALE_MONO].local_base = clk.rx;
	slot.map[SNAP_SCALE_MONO].ntp_base = NTP_AT_RX;
	slot.map[SNAP_SCALE_MONO].flags = SNAP_MAP_VALID;
	if (snap_map_set_rate(&slot.map[SNAP_SCALE_MONO], NSEC_PER_SEC, 0) != 0)
		abort();
	slot.srv.ref_time = NTP_AT_RX - (16ull << 32);
	slot.srv.disp_base = NTP_AT_RX;
	slot.srv.disp_rate = snap_disp_rate_from_ppm(15);
	slot.srv.root_delay = 0x10;
	slot.srv.root_disp = 0x20;
	slot.srv.refid = strata_htonl(0x47505300); /* "GPS" */
	slot.srv.leap = NTP_LEAP_NONE;
	slot.srv.stratum = 1;
	slot.srv.precision = -20;
	snap_init(&snap);
	snap_publish(&snap, &slot);
	snap_init(&snap_empty);
}

/*
 * Decide from the RFCs alone whether a frame is an NTP client request to us:
 * Ethernet to our own unicast address, at most one 802.1Q tag, IPv4 or IPv6 (no
 * extension headers) to a service address, UDP from a nonzero port to port
 * 123, an NTP header of mode 3 or 1 (symmetric active: answered in mode 2), or
 * of mode 0 and version 1 from a port other than 123 (RFC 1059 had no mode
 * field). The lengths, checksums and source
 * addresses strata also checks only make it refuse more.
 */
static void
parse(const uint8_t *p, size_t n, struct req *r)
{
	size_t ntp;
	uint16_t type;
	unsigned int mode, version;

	memset(r, 0, sizeof(*r));
	if (n < ETH_LEN || memcmp(p, svc_mac, 6) != 0)
		return;
	r->l3 = ETH_LEN;
	type = get16(p + 12);
	if (type == 0x8100) {
		if (n < ETH_LEN + VLAN_LEN)
			return;
		r->l3 += VLAN_LEN;
		type = get16(p + 16);
	}
	if (type == 0x0800) {
		size_t ihl;

		if (n < r->l3 + IP4_LEN || p[r->l3] >> 4 != 4)
			return;
		ihl = (p[r->l3] & 0xf) * 4u;
		if (ihl < IP4_LEN || p[r->l3 + 9] != 17 || memcmp(p + r->l3 + 16, svc_ip4, 4) != 0)
			return;
		r->l4 = r->l3 + ihl;
	} else if (type == 0x86dd) {
		if (n < r->l3 + IP6_LEN || p[r->l3] >> 4 != 6 || p[r->l3 + 6] != 17 ||
		    memcmp(p + r->l3 + 24, svc_ip6, 16) != 0)
			return;
		r->ip6 = 1;
		r->l4 = r->l3 + IP6_LEN;
	} else {
		return;
	}
	ntp = r->l4 + UDP_LEN;
	if (n < ntp + NTP_LEN || get16(p + r->l4) == 0 || get16(p + r->l4 + 2) != 123)
		return;
	/* RFC 8200 section 8.1: no zero UDP checksum in IPv6 */
	if (r->ip6 && get16(p + r->l4 + 6) == 0)
		return;
	mode = p[ntp] & 7;
	version = p[ntp] >> 3 & 7;
	if (version < 1 || version > 4)
		return;
	r->answer = mode == 3 || mode == 1 ||
		    (mode == 0 && version == 1 && get16(p + r->l4) != 123);
}

static int
csum_ok(uint32_t sum)
{
	return fold(sum) == 0xffff;
}

/* The reply in @f, @len octets, to the request @q parsed into @r. */
static void
check_reply(const uint8_t *f, size_t len, const uint8_t *q, const struct req *r)
{
	size_t l4, ulen, ntp;
	uint32_t sum;
	uint64_t d;

	if (len < ETH_LEN + IP4_LEN + UDP_LEN + NTP_LEN || len < r->l3)
		abort();
	/* same link layer, to the requester from our own MAC */
	if (memcmp(f, q + 6, 6) != 0 || memcmp(f + 6, svc_mac, 6) != 0 ||
	    memcmp(f + 12, q + 12, r->l3 - 12) != 0)
		abort();
	if (r->ip6) {
		const uint8_t *ip = f + r->l3;

		if (len < r->l3 + IP6_LEN + UDP_LEN || ip[0] >> 4 != 6 || ip[6] != 17 ||
		    ip[7] != STRATA_DEFAULT_TTL || memcmp(ip + 8, q + r->l3 + 24, 16) != 0 ||
		    memcmp(ip + 24, q + r->l3 + 8, 16) != 0)
			abort();
		l4 = r->l3 + IP6_LEN;
		ulen = get16(ip + 4);
		if (get16(f + l4 + 4) != ulen)
			abort();
		/* RFC 8200 section 8.1: pseudo header of addresses, length, next header */
		sum = sum16(0, ip + 8, 32) + (uint32_t)ulen + 17;
		/* and a UDP checksum of zero is not allowed over IPv6 */
		if (get16(f + l4 + 6) == 0)
			abort();
	} else {
		const uint8_t *ip = f + r->l3;

		if (len < r->l3 + IP4_LEN || ip[0] != 0x45 || ip[8] != STRATA_DEFAULT_TTL ||
		    ip[9] != 17 || !csum_ok(sum16(0, ip, IP4_LEN)) ||
		    get16(ip + 2) != len - r->l3 || memcmp(ip + 12, q + r->l3 + 16, 4) != 0 ||
		    memcmp(ip + 16, q + r->l3 + 12, 4) != 0)
			abort();
		l4 = r->l3 + IP4_LEN;
		ulen = get16(ip + 2) - IP4_LEN;
		if (get16(f + l4 + 4) != ulen)
			abort();
		/* RFC 768: pseudo header of addresses, protocol, UDP length */
		sum = sum16(0, ip + 12, 8) + 17 + (uint32_t)ulen;
	}
	if (l4 + ulen != len || ulen < UDP_LEN + NTP_LEN)
		abort();
	if (!csum_ok(sum + sum16(0, f + l4, ulen)))
		abort();
	/* ports swapped */
	if (get16(f + l4) != get16(q + r->l4 + 2) || get16(f + l4 + 2) != get16(q + r->l4))
		abort();

	/*
	 * NTP: mode 4 (2 to mode 1), the request's version, origin = the
	 * request's transmit timestamp (RFC 5905 section 9.2), and the times of
	 * the snapshot.
	 */
	ntp = l4 + UDP_LEN;
	if ((f[ntp] & 7) != ((q[r->l4 + UDP_LEN] & 7) == NTP_MODE_ACTIVE ? NTP_MODE_PASSIVE
									 : NTP_MODE_SERVER) ||
	    (f[ntp] >> 3 & 7) != (q[r->l4 + UDP_LEN] >> 3 & 7))
		abort();
	if (memcmp(f + ntp + 24, q + r->l4 + UDP_LEN + 40, 8) != 0)
		abort();
	if (get64(f + ntp + 32) != NTP_AT_RX)
		abort();
	/* snapshot.h promises the transmit time within one unit of the exact value */
	d = get64(f + ntp + 40) - NTP_AT_RX - TX_DELAY_NS * (1ull << 32) / NSEC_PER_SEC;
	if (d > 1)
		abort();
}

/*
 * The same frame through the policy (a small limiter that keeps its state
 * from input to input, KoDs on, the access list default taken from the
 * input): it may only change the answer of a request the builder answers,
 * into one of the policy's reasons, and never into something longer, and
 * drop an NTS request it passes (RFC 8915 section 5.7: no KoD for NTS).
 */
static void
check_policy(const uint8_t *data, size_t size, const struct strata_result *plain)
{
	static struct strata_policy_conf pc = {
		.rl_on = 1, .interval = 3, .window = 6, .leak = 2, .kod = 1, .acl_on = 1};
	static struct strata_rl_table table;
	static struct strata_policy pol = {.conf = &pc, .rl = &table};
	struct strata_result res;
	enum strata_verdict verdict;
	uint8_t *frame;

	frame = calloc(size ? size : 1, 1);
	if (frame == NULL)
		abort();
	memcpy(frame, data, size);
	pc.acl_default = size ? data[size - 1] % 3 : STRATA_ACL_ALLOW;
	pol.now++;
	verdict = strata_reply_policy(frame, frame + size, &svc, svc_mac, &snap, &clk, &pol, &res);
	if (res.reason >= STRATA_R_MAX || verdict != strata_verdict_of(res.reason))
		abort();
	if (strata_verdict_of(plain->reason) != STRATA_REPLY) {
		/* an NTS request meets the policy too: passed, or dropped without a KoD */
		if (res.reason != plain->reason &&
		    !(plain->reason == STRATA_R_PASS_NTS &&
		      (res.reason == STRATA_R_DROP_RATE || res.reason == STRATA_R_DROP_DENY)))
			abort();
	} else if (res.reason != plain->reason && res.reason != STRATA_R_REPLY_LEAK &&
		   !strata_is_kod(res.reason) && res.reason != STRATA_R_DROP_RATE &&
		   res.reason != STRATA_R_DROP_DENY) {
		abort();
	}
	if (verdict == STRATA_REPLY) {
		if (res.len > size || (strata_is_kod(res.reason) && res.len > plain->len))
			abort();
	} else if (size && memcmp(frame, data, size) != 0) {
		abort();
	}
	free(frame);
}

/* Run strata_reply() on a copy of @data and check everything it promises. */
static void
check_frame(const uint8_t *data, size_t size)
{
	struct strata_result res, res0;
	enum strata_verdict verdict;
	struct req r;
	uint8_t *frame;

	/* exactly @size octets on the heap, so that ASan sees any read past the end */
	frame = calloc(size ? size : 1, 1);
	if (frame == NULL)
		abort();
	memcpy(frame, data, size);

	/* without time nothing is answered, and the frame is not touched */
	verdict = strata_reply(frame, frame + size, &svc, svc_mac, &snap_empty, &clk, &res0);
	if (res0.reason >= STRATA_R_MAX || verdict != strata_verdict_of(res0.reason) ||
	    verdict == STRATA_REPLY || (size && memcmp(frame, data, size) != 0))
		abort();

	verdict = strata_reply(frame, frame + size, &svc, svc_mac, &snap, &clk, &res);
	if (res.reason >= STRATA_R_MAX || verdict != strata_verdict_of(res.reason))
		abort();
	/* the snapshot decides between REPLY and NO_TIME, nothing else */
	if ((verdict == STRATA_REPLY) != (res0.reason == STRATA_R_DROP_NO_TIME) ||
	    (verdict != STRATA_REPLY && res.reason != res0.reason))
		abort();
	parse(data, size, &r);
	if (verdict == STRATA_REPLY) {
		if (!r.answer || res.len > size)
			abort();
		check_reply(frame, res.len, data, &r);
	} else if (size && memcmp(frame, data, size) != 0) {
		abort();
	}
	check_policy(data, size, &res);
	free(frame);
}

/*
 * Nearly every mutation of an IPv4 header breaks its checksum, and strata
 * stops there (RFC 1122 section 3.2.1.2), so the fuzzer would hardly reach
 * the code behind it. A copy of the input with the checksum made right does;
 * NULL when the input is not IPv4 or the checksum is right already.
 */
static uint8_t *
with_ip4_csum(const uint8_t *p, size_t n)
{
	size_t l3 = ETH_LEN, ihl;
	uint8_t *q;
	uint16_t c;

	if (n >= ETH_LEN + VLAN_LEN && get16(p + 12) == 0x8100)
		l3 += VLAN_LEN;
	if (n < l3 + IP4_LEN || get16(p + l3 - 2) != 0x0800)
		return NULL;
	ihl = (p[l3] & 0xf) * 4u;
	if (ihl < IP4_LEN || n < l3 + ihl)
		return NULL;
	q = malloc(n);
	if (q == NULL)
		abort();
	memcpy(q, p, n);
	q[l3 + 10] = q[l3 + 11] = 0;
	c = (uint16_t)~fold(sum16(0, q + l3, ihl));
	if (c == get16(p + l3 + 10)) {
		free(q);
		return NULL;
	}
	q[l3 + 10] = (uint8_t)(c >> 8);
	q[l3 + 11] = (uint8_t)c;
	return q;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	uint8_t *fixed;

	if (!ready) {
		setup();
		ready = 1;
	}
	check_frame(data, size);
	fixed = with_ip4_csum(data, size);
	if (fixed != NULL) {
		check_frame(fixed, size);
		free(fixed);
	}
	return 0;
}
