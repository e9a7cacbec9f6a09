/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * neigh_reply() (dataplane/neigh.c) from crafted Ethernet frames: ARP, neighbour
 * solicitations and echo requests for the service addresses, each verdict, each
 * reply checked against a frame built here.
 *
 * Nothing expected comes from the code under test: frames and expected replies
 * are written octet by octet, their checksums summed here in big-endian 16-bit
 * words (RFC 1071), and the two ARP replies are golden frames written out from
 * RFC 826.
 *
 * Every call runs on a heap copy of exactly the frame's length, so that a read
 * past the end shows under AddressSanitizer; only where an advertisement is
 * expected is the buffer NEIGH_ROOM long (neigh.h), the room it may grow into.
 * A frame that is passed or dropped must come back unchanged, *len included.
 *
 * Ethernet padding: an ARP request padded to the 60-octet minimum gets a
 * 42-octet reply (46 with a tag); an echo reply is as long as the request's
 * IP datagram. The NIC pads on transmit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neigh.h"

#include "cunit_main.h"
#include "ref_csum.h"

#define ETH_LEN 14
#define VLAN_LEN 4
#define ARP_LEN 28
#define IP4_LEN 20
#define IP6_LEN 40
#define NS_LEN 24 /* without options */
#define NA_LEN 32 /* with the target link-layer address option */
#define FRAME_MAX 1600
#define SVC_TTL 57
#define REQ_TTL 33

static const uint8_t mac_srv[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_cli[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_all_nodes[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };
static const uint8_t mac_sn1[6] = { 0x33, 0x33, 0xff, 0, 0, 0x01 };
static const uint8_t mac_sn2[6] = { 0x33, 0x33, 0xff, 0x01, 0, 0x23 };
/* another host's: a promiscuous port delivers frames to it too */
static const uint8_t mac_other[6] = { 0x02, 0, 0, 0, 0, 0x03 };

static const uint8_t ip4_srv[4] = { 192, 0, 2, 1 };
static const uint8_t ip4_srv2[4] = { 192, 0, 2, 2 };
static const uint8_t ip4_other[4] = { 192, 0, 2, 99 };
static const uint8_t ip4_cli[4] = { 198, 51, 100, 7 };
static const uint8_t ip4_zero[4] = { 0 };
static const uint8_t ip4_mcast[4] = { 224, 0, 0, 1 };

/* 2001:db8::1 and 2001:db8::1:23, ours */
static const uint8_t ip6_srv[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const uint8_t ip6_srv2[16] = { 0x20, 0x01, 0x0d, 0xb8, [13] = 0x01, [15] = 0x23 };
/* 2001:db8:0:1::1 shares the solicited-node group of 2001:db8::1 */
static const uint8_t ip6_other[16] = { 0x20, 0x01, 0x0d, 0xb8, [7] = 0x01, [15] = 0x01 };
static const uint8_t ip6_cli[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x01, [15] = 0x07 };
static const uint8_t ip6_cli_ll[16] = { 0xfe, 0x80, [15] = 0x02 }; /* fe80::2 */
static const uint8_t ip6_zero[16] = { 0 };
static const uint8_t ip6_all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
/* ff02::1:ff00:1 and ff02::1:ff01:23 (RFC 4291 section 2.7.1) */
static const uint8_t ip6_sn1[16] = { 0xff, 0x02, [11] = 0x01, 0xff, 0x00, 0x00, 0x01 };
static const uint8_t ip6_sn2[16] = { 0xff, 0x02, [11] = 0x01, 0xff, 0x01, 0x00, 0x23 };

static struct strata_service svc;

static void
reset(void)
{
	memset(&svc, 0, sizeof(svc));
	memcpy(&svc.addr4[0], ip4_srv, 4);
	memcpy(&svc.addr4[1], ip4_srv2, 4);
	svc.n_addr4 = 2;
	memcpy(svc.addr6[0], ip6_srv, 16);
	memcpy(svc.addr6[1], ip6_srv2, 16);
	svc.n_addr6 = 2;
	svc.ttl = SVC_TTL;
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * The sum of the upper-layer message after the IPv6 header @ip, with the
 * pseudo header of RFC 8200 section 8.1 (the next header as @ip has it).
 */
static uint16_t
sum6(const uint8_t *ip)
{
	uint8_t ph[40] = { 0 };
	size_t plen = get16(ip + 4);

	memcpy(ph, ip + 8, 32);
	put32(ph + 32, (uint32_t)plen);
	ph[39] = ip[6];
	return fold(sum16(sum16(0, ph, sizeof(ph)), ip + IP6_LEN, plen));
}

static void
icmp6_fix(uint8_t *ip)
{
	put16(ip + IP6_LEN + 2, 0);
	put16(ip + IP6_LEN + 2, (uint16_t)~sum6(ip));
}

static void
ip4_fix(uint8_t *ip)
{
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~fold(sum16(0, ip, IP4_LEN)));
}

/* The ICMP message of @n octets at @ic */
static void
icmp4_fix(uint8_t *ic, size_t n)
{
	put16(ic + 2, 0);
	put16(ic + 2, (uint16_t)~fold(sum16(0, ic, n)));
}

/* Ethernet header, with one 802.1Q tag (PCP 1, VID 100) if @vlan; returns its length */
static size_t
eth_put(uint8_t *b, const uint8_t dst[6], const uint8_t src[6], int vlan, uint16_t type)
{
	size_t n = 12;

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	if (vlan) {
		put16(b + n, 0x8100);
		put16(b + n + 2, 0x2064);
		n += VLAN_LEN;
	}
	put16(b + n, type);
	return n + 2;
}

/*
 * neigh_reply() on a heap copy of @len octets, in a buffer of @room octets if
 * that is more. Checks the verdict, and that a frame not answered comes back
 * unchanged. The reply goes to @out (if not NULL); returns its length.
 */
static size_t
run_room(const uint8_t *in, size_t len, size_t room, enum neigh_verdict want, uint8_t *out)
{
	size_t cap = len > room ? len : room;
	uint8_t *buf = malloc(cap > 0 ? cap : 1);
	enum neigh_verdict v;
	uint16_t l = (uint16_t)len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memcpy(buf, in, len);
	v = neigh_reply(buf, &l, &svc, mac_srv);
	if (v != want)
		printf("\n  frame of %zu: verdict %d, want %d ", len, v, want);
	CU_ASSERT_EQUAL(v, want);
	if (v == NEIGH_REPLY) {
		CU_ASSERT(l <= cap);
		if (l > cap)
			l = (uint16_t)cap;
		if (out != NULL)
			memcpy(out, buf, l);
	} else {
		CU_ASSERT_EQUAL(l, len);
		CU_ASSERT(memcmp(buf, in, len) == 0);
		l = 0;
	}
	free(buf);
	return l;
}

static size_t
run(const uint8_t *in, size_t len, enum neigh_verdict want, uint8_t *out)
{
	return run_room(in, len, 0, want, out);
}

/* The reply @a of @alen octets is exactly @e of @elen */
static void
same_frame(const uint8_t *a, size_t alen, const uint8_t *e, size_t elen)
{
	size_t i;

	CU_ASSERT_EQUAL_FATAL(alen, elen);
	for (i = 0; i < elen; i++)
		if (a[i] != e[i])
			printf("\n  octet %zu: 0x%02x, want 0x%02x ", i, a[i], e[i]);
	CU_ASSERT(memcmp(a, e, elen) == 0);
}

/* ---- ARP (RFC 826) ---- */

struct arpreq {
	int vlan;
	uint8_t edst[6];
	uint16_t hrd;
	uint16_t pro;
	uint8_t hln;
	uint8_t pln;
	uint16_t op;
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tpa[4];
	size_t pad; /* octets after the ARP packet */
};

static void
arp_init(struct arpreq *r, int vlan)
{
	memset(r, 0, sizeof(*r));
	r->vlan = vlan;
	memcpy(r->edst, mac_bcast, 6);
	r->hrd = 1;
	r->pro = 0x0800;
	r->hln = 6;
	r->pln = 4;
	r->op = 1;
	memcpy(r->sha, mac_cli, 6);
	memcpy(r->spa, ip4_cli, 4);
	memcpy(r->tpa, ip4_srv, 4);
	r->pad = 18; /* to the 60-octet minimum, untagged */
}

static size_t
build_arp(uint8_t *b, const struct arpreq *r)
{
	size_t n = eth_put(b, r->edst, mac_cli, r->vlan, 0x0806);

	put16(b + n, r->hrd);
	put16(b + n + 2, r->pro);
	b[n + 4] = r->hln;
	b[n + 5] = r->pln;
	put16(b + n + 6, r->op);
	memcpy(b + n + 8, r->sha, 6);
	memcpy(b + n + 14, r->spa, 4);
	memset(b + n + 18, 0, 6);
	memcpy(b + n + 24, r->tpa, 4);
	n += ARP_LEN;
	memset(b + n, 0, r->pad);
	return n + r->pad;
}

/* Golden frames: 198.51.100.7 asks who has 192.0.2.1, padded to 60 octets */
static const uint8_t golden_arp_req[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06,
	/* Ethernet, IPv4, 6, 4, request */
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc6, 0x33, 0x64, 0x07,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x01,
	/* 18 octets of padding (any value: they are not ours to read) */
	0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
	0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
};

/* 192.0.2.1 is at 02:00:00:00:00:01, told to the asker alone; no padding */
static const uint8_t golden_arp_rep[42] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc6, 0x33, 0x64, 0x07,
};

/* The same behind an 802.1Q tag, VID 100: 64 octets in, 46 out, the tag kept */
static const uint8_t golden_arp_vlan_req[64] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x81, 0x00, 0x20, 0x64, 0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc6, 0x33, 0x64, 0x07,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x01,
	0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
	0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee,
};

static const uint8_t golden_arp_vlan_rep[46] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x81, 0x00, 0x20, 0x64, 0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc6, 0x33, 0x64, 0x07,
};

static void
test_arp_request(void)
{
	uint8_t out[FRAME_MAX];
	size_t len;

	reset();
	len = run(golden_arp_req, sizeof(golden_arp_req), NEIGH_REPLY, out);
	same_frame(out, len, golden_arp_rep, sizeof(golden_arp_rep));
}

static void
test_arp_vlan(void)
{
	uint8_t out[FRAME_MAX];
	size_t len;

	reset();
	len = run(golden_arp_vlan_req, sizeof(golden_arp_vlan_req), NEIGH_REPLY, out);
	same_frame(out, len, golden_arp_vlan_rep, sizeof(golden_arp_vlan_rep));
}

/* Every service address answers, and a probe (RFC 5227 section 2.1.1) is answered to 0.0.0.0 */
static void
test_arp_each_address(void)
{
	uint8_t b[FRAME_MAX], out[FRAME_MAX];
	const uint8_t *l3;
	struct arpreq r;
	size_t len, l2;
	int vlan, probe;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		for (probe = 0; probe <= 1; probe++) {
			arp_init(&r, vlan);
			memcpy(r.tpa, ip4_srv2, 4);
			if (probe)
				memcpy(r.spa, ip4_zero, 4);
			len = run(b, build_arp(b, &r), NEIGH_REPLY, out);
			l2 = vlan ? ETH_LEN + VLAN_LEN : ETH_LEN;
			CU_ASSERT_EQUAL_FATAL(len, l2 + ARP_LEN);
			l3 = out + l2;
			CU_ASSERT(memcmp(out, mac_cli, 6) == 0);
			CU_ASSERT(memcmp(out + 6, mac_srv, 6) == 0);
			CU_ASSERT_EQUAL(get16(l3 + 6), 2);
			CU_ASSERT(memcmp(l3 + 8, mac_srv, 6) == 0);
			CU_ASSERT(memcmp(l3 + 14, ip4_srv2, 4) == 0);
			CU_ASSERT(memcmp(l3 + 18, mac_cli, 6) == 0);
			CU_ASSERT(memcmp(l3 + 24, probe ? ip4_zero : ip4_cli, 4) == 0);
		}
	}
}

static void
test_arp_not_ours(void)
{
	uint8_t b[FRAME_MAX];
	struct arpreq r;
	int vlan;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		arp_init(&r, vlan);
		memcpy(r.tpa, ip4_other, 4);
		run(b, build_arp(b, &r), NEIGH_PASS, NULL);
		memcpy(r.tpa, ip4_cli, 4);
		run(b, build_arp(b, &r), NEIGH_PASS, NULL);
	}
	/* no address configured */
	svc.n_addr4 = 0;
	arp_init(&r, 0);
	run(b, build_arp(b, &r), NEIGH_PASS, NULL);
}

/* Replies (and any opcode but request) teach the kernel: passed, even about our addresses */
static void
test_arp_reply_passes(void)
{
	uint8_t b[FRAME_MAX];
	struct arpreq r;

	reset();
	arp_init(&r, 0);
	r.op = 2;
	run(b, build_arp(b, &r), NEIGH_PASS, NULL);
	r.op = 3; /* RARP request (RFC 903) */
	run(b, build_arp(b, &r), NEIGH_PASS, NULL);
	r.op = 0;
	run(b, build_arp(b, &r), NEIGH_PASS, NULL);
}

/* RFC 5227 section 3: an announcement is for the caches; for ours it is a conflict */
static void
test_arp_gratuitous(void)
{
	uint8_t b[FRAME_MAX];
	struct arpreq r;
	int vlan;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		arp_init(&r, vlan);
		memcpy(r.spa, ip4_srv, 4);
		run(b, build_arp(b, &r), NEIGH_PASS, NULL);
		memcpy(r.spa, ip4_cli, 4);
		memcpy(r.tpa, ip4_cli, 4);
		run(b, build_arp(b, &r), NEIGH_PASS, NULL);
		/* the reply form of the announcement */
		r.op = 2;
		memcpy(r.spa, ip4_srv, 4);
		memcpy(r.tpa, ip4_srv, 4);
		run(b, build_arp(b, &r), NEIGH_PASS, NULL);
	}
}

static void
test_arp_truncated(void)
{
	uint8_t b[FRAME_MAX];
	struct arpreq r;
	size_t cut, len;
	int vlan;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		arp_init(&r, vlan);
		r.pad = 0;
		len = build_arp(b, &r);
		for (cut = 1; cut <= ARP_LEN; cut++)
			run(b, len - cut, NEIGH_DROP, NULL);
	}
}

/* RFC 826 fixes the lengths for Ethernet and IPv4; other types are the kernel's */
static void
test_arp_other_types(void)
{
	uint8_t b[FRAME_MAX];
	struct arpreq r;

	reset();
	arp_init(&r, 0);
	r.hln = 8;
	run(b, build_arp(b, &r), NEIGH_DROP, NULL);
	arp_init(&r, 0);
	r.pln = 16;
	run(b, build_arp(b, &r), NEIGH_DROP, NULL);
	arp_init(&r, 0);
	r.hrd = 6; /* IEEE 802 */
	run(b, build_arp(b, &r), NEIGH_PASS, NULL);
	arp_init(&r, 0);
	r.pro = 0x86dd;
	run(b, build_arp(b, &r), NEIGH_PASS, NULL);
}

/* The reply goes to the sender hardware address: a group address there gets none */
static void
test_arp_group_sender(void)
{
	uint8_t b[FRAME_MAX];
	struct arpreq r;

	reset();
	arp_init(&r, 0);
	memcpy(r.sha, mac_bcast, 6);
	run(b, build_arp(b, &r), NEIGH_DROP, NULL);
	r.sha[0] = 0x01;
	run(b, build_arp(b, &r), NEIGH_DROP, NULL);
}

/* ---- Neighbour solicitation (RFC 4861) ---- */

struct nsreq {
	int vlan;
	uint8_t edst[6];
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t target[16];
	uint8_t hlim;
	uint8_t code;
	int slla;          /* a source link-layer address option */
	size_t extra;      /* octets of an unknown option (RFC 3971 nonce, type 14) */
	size_t pad;
};

/* Address resolution: from fe80::2 to the solicited-node group of 2001:db8::1 */
static void
ns_init(struct nsreq *r, int vlan)
{
	memset(r, 0, sizeof(*r));
	r->vlan = vlan;
	memcpy(r->edst, mac_sn1, 6);
	memcpy(r->src, ip6_cli_ll, 16);
	memcpy(r->dst, ip6_sn1, 16);
	memcpy(r->target, ip6_srv, 16);
	r->hlim = 255;
	r->slla = 1;
}

static size_t
build_ns(uint8_t *b, const struct nsreq *r)
{
	size_t l3 = eth_put(b, r->edst, mac_cli, r->vlan, 0x86dd);
	size_t plen = NS_LEN + (r->slla ? 8 : 0) + r->extra, n;
	uint8_t *ip = b + l3, *ic = ip + IP6_LEN;

	/* CS6 and a flow label: the NA has neither (they are the kernel's choice, 0) */
	put32(ip, 6u << 28 | 0xc0u << 20 | 0x54321);
	put16(ip + 4, (uint32_t)plen);
	ip[6] = 58;
	ip[7] = r->hlim;
	memcpy(ip + 8, r->src, 16);
	memcpy(ip + 24, r->dst, 16);
	ic[0] = 135;
	ic[1] = r->code;
	put16(ic + 2, 0);
	put32(ic + 4, 0);
	memcpy(ic + 8, r->target, 16);
	n = NS_LEN;
	if (r->extra > 0) {
		memset(ic + n, 0xa5, r->extra);
		ic[n] = 14;
		ic[n + 1] = (uint8_t)(r->extra / 8);
		n += r->extra;
	}
	if (r->slla) {
		ic[n] = 1;
		ic[n + 1] = 1;
		memcpy(ic + n + 2, mac_cli, 6);
	}
	icmp6_fix(ip);
	memset(ic + plen, 0, r->pad);
	return l3 + IP6_LEN + plen + r->pad;
}

/* The advertisement RFC 4861 section 7.2.4 asks for, from our MAC, with @flags */
static size_t
build_na(uint8_t *b, int vlan, const uint8_t edst[6], const uint8_t dst[16],
	 const uint8_t target[16], uint32_t flags)
{
	size_t l3 = eth_put(b, edst, mac_srv, vlan, 0x86dd);
	uint8_t *ip = b + l3, *ic = ip + IP6_LEN;

	put32(ip, 6u << 28);
	put16(ip + 4, NA_LEN);
	ip[6] = 58;
	ip[7] = 255;
	memcpy(ip + 8, target, 16);
	memcpy(ip + 24, dst, 16);
	ic[0] = 136;
	ic[1] = 0;
	put32(ic + 4, flags);
	memcpy(ic + 8, target, 16);
	ic[24] = 2; /* target link-layer address, 8 octets */
	ic[25] = 1;
	memcpy(ic + 26, mac_srv, 6);
	icmp6_fix(ip);
	return l3 + IP6_LEN + NA_LEN;
}

#define NA_S 0x40000000u
#define NA_O 0x20000000u

/* The reply @a of @alen octets to the NS @r is the NA @edst/@dst with @flags */
static void
check_na(const uint8_t *a, size_t alen, const struct nsreq *r, const uint8_t edst[6],
	 const uint8_t dst[16], uint32_t flags)
{
	size_t l3 = r->vlan ? ETH_LEN + VLAN_LEN : ETH_LEN;
	const uint8_t *ip = a + l3, *ic = ip + IP6_LEN;
	uint8_t e[FRAME_MAX];

	CU_ASSERT_EQUAL_FATAL(alen, l3 + IP6_LEN + NA_LEN);
	CU_ASSERT(memcmp(a, edst, 6) == 0);
	CU_ASSERT(memcmp(a + 6, mac_srv, 6) == 0);
	CU_ASSERT_EQUAL(ip[7], 255);
	CU_ASSERT(memcmp(ip + 8, r->target, 16) == 0);
	CU_ASSERT(memcmp(ip + 24, dst, 16) == 0);
	CU_ASSERT_EQUAL(ic[0], 136);
	CU_ASSERT_EQUAL(sum6(ip), 0xffff);
	CU_ASSERT_EQUAL(ic[4], flags >> 24);
	CU_ASSERT(memcmp(ic + 8, r->target, 16) == 0);
	CU_ASSERT_EQUAL(ic[24], 2);
	CU_ASSERT_EQUAL(ic[25], 1);
	CU_ASSERT(memcmp(ic + 26, mac_srv, 6) == 0);
	same_frame(a, alen, e, build_na(e, r->vlan, edst, dst, r->target, flags));
}

/* Address resolution (RFC 4861 section 7.2.3): solicited, override, to the asker */
static void
test_ns_multicast(void)
{
	uint8_t b[FRAME_MAX], out[FRAME_MAX];
	struct nsreq r;
	size_t len;
	int vlan;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		ns_init(&r, vlan);
		len = run(b, build_ns(b, &r), NEIGH_REPLY, out);
		check_na(out, len, &r, mac_cli, ip6_cli_ll, NA_S | NA_O);

		/* the second address, from a global source, with Ethernet padding */
		ns_init(&r, vlan);
		memcpy(r.src, ip6_cli, 16);
		memcpy(r.edst, mac_sn2, 6);
		memcpy(r.dst, ip6_sn2, 16);
		memcpy(r.target, ip6_srv2, 16);
		r.pad = 6;
		len = run(b, build_ns(b, &r), NEIGH_REPLY, out);
		check_na(out, len, &r, mac_cli, ip6_cli, NA_S | NA_O);
	}
}

/*
 * Unreachability detection: unicast to the target, here without a source
 * link-layer address option (78 octets), so the NA (86) grows into the room.
 */
static void
test_ns_unicast(void)
{
	uint8_t b[FRAME_MAX], out[FRAME_MAX];
	struct nsreq r;
	size_t len;
	int vlan, slla;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		for (slla = 0; slla <= 1; slla++) {
			ns_init(&r, vlan);
			memcpy(r.edst, mac_srv, 6);
			memcpy(r.src, ip6_cli, 16);
			memcpy(r.dst, ip6_srv, 16);
			r.slla = slla;
			len = run_room(b, build_ns(b, &r), NEIGH_ROOM, NEIGH_REPLY, out);
			check_na(out, len, &r, mac_cli, ip6_cli, NA_S | NA_O);
		}
	}
}

/* RFC 4861 section 4.6: unrecognised options are skipped, not refused */
static void
test_ns_unknown_option(void)
{
	uint8_t b[FRAME_MAX], out[FRAME_MAX];
	struct nsreq r;
	size_t len;

	reset();
	ns_init(&r, 0);
	r.extra = 16;
	len = run(b, build_ns(b, &r), NEIGH_REPLY, out);
	check_na(out, len, &r, mac_cli, ip6_cli_ll, NA_S | NA_O);
}

/*
 * Duplicate address detection (RFC 4861 section 7.2.4, RFC 4862 section
 * 5.4.3): from ::, answered to all nodes, ff02::1 at 33:33:00:00:00:01
 * (RFC 2464 section 7), without the Solicited flag.
 */
static void
test_ns_dad(void)
{
	uint8_t b[FRAME_MAX], out[FRAME_MAX];
	struct nsreq r;
	size_t len;
	int vlan;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		ns_init(&r, vlan);
		memcpy(r.src, ip6_zero, 16);
		r.slla = 0;
		len = run_room(b, build_ns(b, &r), NEIGH_ROOM, NEIGH_REPLY, out);
		check_na(out, len, &r, mac_all_nodes, ip6_all_nodes, NA_O);
	}
}

/* RFC 4861 section 7.1.1: only 255 proves the solicitation was not forwarded */
static void
test_ns_hop_limit(void)
{
	static const uint8_t hlims[] = { 64, 254, 1, 0 };
	uint8_t b[FRAME_MAX];
	struct nsreq r;
	size_t i;

	reset();
	for (i = 0; i < sizeof(hlims); i++) {
		ns_init(&r, 0);
		r.hlim = hlims[i];
		run(b, build_ns(b, &r), NEIGH_DROP, NULL);
		memcpy(r.src, ip6_zero, 16);
		r.slla = 0;
		run(b, build_ns(b, &r), NEIGH_DROP, NULL);
	}
}

static void
test_ns_not_ours(void)
{
	uint8_t b[FRAME_MAX];
	struct nsreq r;
	int vlan;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		/* another target in our solicited-node group */
		ns_init(&r, vlan);
		memcpy(r.target, ip6_other, 16);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
		/* unicast to us, for another target */
		ns_init(&r, vlan);
		memcpy(r.dst, ip6_srv, 16);
		memcpy(r.target, ip6_cli, 16);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
		/* our target, to neither it nor its group */
		ns_init(&r, vlan);
		memcpy(r.dst, ip6_sn2, 16);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
		memcpy(r.dst, ip6_all_nodes, 16);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
		memcpy(r.dst, ip6_srv2, 16);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
	}
	/* no address configured */
	svc.n_addr6 = 0;
	ns_init(&r, 0);
	run(b, build_ns(b, &r), NEIGH_PASS, NULL);
}

/* RFC 4861 section 7.1.1: a solicitation that fails validation is discarded */
static void
test_ns_malformed(void)
{
	uint8_t b[FRAME_MAX];
	struct nsreq r;
	size_t len, l3 = ETH_LEN, ic = ETH_LEN + IP6_LEN, cut;

	reset();
	/* a bad checksum, anywhere */
	ns_init(&r, 0);
	len = build_ns(b, &r);
	b[len - 1] ^= 0x01;
	run(b, len, NEIGH_DROP, NULL);
	len = build_ns(b, &r);
	b[ic + 4] = 0x80; /* the reserved field */
	run(b, len, NEIGH_DROP, NULL);

	/* code 1 */
	ns_init(&r, 0);
	r.code = 1;
	run(b, build_ns(b, &r), NEIGH_DROP, NULL);

	/* the frame ends before the payload length says, by any amount */
	ns_init(&r, 0);
	len = build_ns(b, &r);
	for (cut = 1; cut < NS_LEN + 8; cut++)
		run(b, len - cut, NEIGH_DROP, NULL);

	/* a payload under 24 octets */
	ns_init(&r, 0);
	r.slla = 0;
	len = build_ns(b, &r);
	put16(b + l3 + 4, NS_LEN - 4);
	icmp6_fix(b + l3);
	run(b, len, NEIGH_DROP, NULL);

	/* an option of length 0, one running past the end, 4 stray octets after one */
	ns_init(&r, 0);
	len = build_ns(b, &r);
	b[ic + NS_LEN + 1] = 0;
	icmp6_fix(b + l3);
	run(b, len, NEIGH_DROP, NULL);
	b[ic + NS_LEN + 1] = 2;
	icmp6_fix(b + l3);
	run(b, len, NEIGH_DROP, NULL);
	len = build_ns(b, &r);
	memset(b + len, 0, 4);
	len += 4;
	put16(b + l3 + 4, NS_LEN + 12);
	icmp6_fix(b + l3);
	run(b, len, NEIGH_DROP, NULL);

	/* from ::, with a link-layer address or to the target itself */
	ns_init(&r, 0);
	memcpy(r.src, ip6_zero, 16);
	run(b, build_ns(b, &r), NEIGH_DROP, NULL);
	r.slla = 0;
	memcpy(r.edst, mac_srv, 6);
	memcpy(r.dst, ip6_srv, 16);
	run(b, build_ns(b, &r), NEIGH_DROP, NULL);

	/* from a multicast or loopback source, or a group MAC */
	ns_init(&r, 0);
	memcpy(r.src, ip6_all_nodes, 16);
	run(b, build_ns(b, &r), NEIGH_DROP, NULL);
	memcpy(r.src, ip6_zero, 16);
	r.src[15] = 1;
	run(b, build_ns(b, &r), NEIGH_DROP, NULL);
	ns_init(&r, 0);
	len = build_ns(b, &r);
	b[6] |= 0x01;
	run(b, len, NEIGH_DROP, NULL);
}

/* ---- Echo (RFC 792, RFC 4443) ---- */

struct echoreq {
	int ip6;
	int vlan;
	uint8_t edst[6];
	uint8_t esrc[6];
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t type;
	uint8_t code;
	uint8_t ttl;
	uint8_t tc;    /* TOS, traffic class */
	uint16_t ipid; /* IPv4 */
	uint16_t frag; /* IPv4 */
	uint16_t ident;
	uint16_t seq;
	size_t dlen;
	size_t pad;
};

static void
echo_init(struct echoreq *r, int ip6, int vlan)
{
	memset(r, 0, sizeof(*r));
	r->ip6 = ip6;
	r->vlan = vlan;
	memcpy(r->edst, mac_srv, 6);
	memcpy(r->esrc, mac_cli, 6);
	memcpy(r->src, ip6 ? ip6_cli : ip4_cli, ip6 ? 16 : 4);
	memcpy(r->dst, ip6 ? ip6_srv : ip4_srv, ip6 ? 16 : 4);
	r->type = ip6 ? 128 : 8;
	r->ttl = REQ_TTL;
	r->tc = 0xb9; /* DSCP 46 (EF), ECT(1) */
	r->ipid = 0x1234;
	r->ident = 0x4242;
	r->seq = 7;
	r->dlen = 56;
}

/* The reply RFC 792 and RFC 4443 section 4.2 ask for, as neigh.c words it */
static void
echo_reply_of(struct echoreq *a, const struct echoreq *q)
{
	*a = *q;
	memcpy(a->edst, q->esrc, 6);
	memcpy(a->esrc, mac_srv, 6);
	memcpy(a->src, q->dst, 16);
	memcpy(a->dst, q->src, 16);
	a->type = q->ip6 ? 129 : 0;
	a->ttl = SVC_TTL;
	a->tc = q->tc & 0xfc; /* ECN cleared */
	a->ipid = 0;          /* an atomic datagram (RFC 6864 section 4.1) */
	a->frag = 0x4000;
	a->pad = 0;
}

static size_t
build_echo(uint8_t *b, const struct echoreq *r)
{
	size_t l3 = eth_put(b, r->edst, r->esrc, r->vlan, r->ip6 ? 0x86dd : 0x0800);
	size_t ilen = 8 + r->dlen, i;
	uint8_t *ip = b + l3, *ic;

	if (r->ip6) {
		put32(ip, 6u << 28 | (uint32_t)r->tc << 20 | 0x12345);
		put16(ip + 4, (uint32_t)ilen);
		ip[6] = 58;
		ip[7] = r->ttl;
		memcpy(ip + 8, r->src, 16);
		memcpy(ip + 24, r->dst, 16);
		ic = ip + IP6_LEN;
	} else {
		memset(ip, 0, IP4_LEN);
		ip[0] = 0x45;
		ip[1] = r->tc;
		put16(ip + 2, (uint32_t)(IP4_LEN + ilen));
		put16(ip + 4, r->ipid);
		put16(ip + 6, r->frag);
		ip[8] = r->ttl;
		ip[9] = 1;
		memcpy(ip + 12, r->src, 4);
		memcpy(ip + 16, r->dst, 4);
		ip4_fix(ip);
		ic = ip + IP4_LEN;
	}
	ic[0] = r->type;
	ic[1] = r->code;
	put16(ic + 4, r->ident);
	put16(ic + 6, r->seq);
	for (i = 0; i < r->dlen; i++)
		ic[8 + i] = (uint8_t)(i * 7 + 3);
	if (r->ip6)
		icmp6_fix(ip);
	else
		icmp4_fix(ic, ilen);
	memset(ic + ilen, 0, r->pad);
	return (size_t)(ic - b) + ilen + r->pad;
}

/* @q answered, checked field by field and then octet by octet */
static void
expect_echo(const struct echoreq *q)
{
	uint8_t b[FRAME_MAX], out[FRAME_MAX], e[FRAME_MAX];
	size_t l3 = q->vlan ? ETH_LEN + VLAN_LEN : ETH_LEN, len, qlen, elen;
	const uint8_t *ip = out + l3, *ic;
	struct echoreq a;

	qlen = build_echo(b, q);
	len = run(b, qlen, NEIGH_REPLY, out);
	echo_reply_of(&a, q);
	elen = build_echo(e, &a);
	CU_ASSERT(len <= qlen); /* never longer */
	CU_ASSERT_EQUAL_FATAL(len, elen);
	CU_ASSERT(memcmp(out, q->esrc, 6) == 0);
	CU_ASSERT(memcmp(out + 6, mac_srv, 6) == 0);
	CU_ASSERT(memcmp(out + 12, b + 12, l3 - 12) == 0); /* the tag kept */
	if (q->ip6) {
		ic = ip + IP6_LEN;
		CU_ASSERT(memcmp(ip + 8, q->dst, 16) == 0);
		CU_ASSERT(memcmp(ip + 24, q->src, 16) == 0);
		CU_ASSERT_EQUAL(ic[0], 129);
		CU_ASSERT_EQUAL(sum6(ip), 0xffff);
	} else {
		ic = ip + IP4_LEN;
		CU_ASSERT(memcmp(ip + 12, q->dst, 4) == 0);
		CU_ASSERT(memcmp(ip + 16, q->src, 4) == 0);
		CU_ASSERT_EQUAL(fold(sum16(0, ip, IP4_LEN)), 0xffff);
		CU_ASSERT_EQUAL(ic[0], 0);
		CU_ASSERT_EQUAL(fold(sum16(0, ic, 8 + q->dlen)), 0xffff);
	}
	CU_ASSERT_EQUAL(ic[1], 0);
	/* identifier, sequence number and data as they came */
	CU_ASSERT(memcmp(ic + 4, b + (ic - out) + 4, 4 + q->dlen) == 0);
	same_frame(out, len, e, elen);
}

static void
test_echo4(void)
{
	struct echoreq q;
	int vlan;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		echo_init(&q, 0, vlan);
		expect_echo(&q);
		memcpy(q.dst, ip4_srv2, 4);
		q.frag = 0x4000;
		q.dlen = 1400;
		expect_echo(&q);
		/* an odd length, and Ethernet padding cut */
		echo_init(&q, 0, vlan);
		q.dlen = 5;
		q.pad = 13;
		expect_echo(&q);
		q.dlen = 0;
		q.pad = 18;
		expect_echo(&q);
	}
}

static void
test_echo6(void)
{
	struct echoreq q;
	int vlan;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		echo_init(&q, 1, vlan);
		expect_echo(&q);
		memcpy(q.dst, ip6_srv2, 16);
		q.dlen = 1400;
		expect_echo(&q);
		echo_init(&q, 1, vlan);
		q.dlen = 1;
		q.pad = 5;
		expect_echo(&q);
	}
}

/* What is not an echo request for us is the kernel's */
static void
test_echo_pass(void)
{
	static const uint32_t opts[] = { 0x94040000, 0x0800f7ff };
	uint8_t b[FRAME_MAX];
	struct echoreq q;
	size_t len, l3 = ETH_LEN, i;
	int ip6;

	reset();
	for (ip6 = 0; ip6 <= 1; ip6++) {
		echo_init(&q, ip6, 0);
		memcpy(q.dst, ip6 ? ip6_cli : ip4_other, ip6 ? 16 : 4);
		run(b, build_echo(b, &q), NEIGH_PASS, NULL);
		echo_init(&q, ip6, 0);
		q.type = ip6 ? 129 : 0; /* a reply */
		run(b, build_echo(b, &q), NEIGH_PASS, NULL);
		q.type = ip6 ? 1 : 3; /* destination unreachable */
		run(b, build_echo(b, &q), NEIGH_PASS, NULL);
	}

	/* to all nodes: the kernel's choice (net.ipv6.icmp.echo_ignore_multicast) */
	echo_init(&q, 1, 0);
	memcpy(q.dst, ip6_all_nodes, 16);
	memcpy(q.edst, mac_all_nodes, 6);
	run(b, build_echo(b, &q), NEIGH_PASS, NULL);

	/* a hop-by-hop header before ICMPv6 */
	echo_init(&q, 1, 0);
	len = build_echo(b, &q);
	b[l3 + 6] = 0;
	run(b, len, NEIGH_PASS, NULL);

	/* IPv4 fragments: the first (MF), a later one (its "type" is data) */
	echo_init(&q, 0, 0);
	q.frag = 0x2000;
	run(b, build_echo(b, &q), NEIGH_PASS, NULL);
	q.frag = 0x00b9;
	run(b, build_echo(b, &q), NEIGH_PASS, NULL);

	/*
	 * IPv4 options (RFC 1122 section 3.2.2.6): a router alert (RFC 2113), and
	 * octets that read as an echo request header to a parser that ignores
	 * the header length.
	 */
	for (i = 0; i < STRATA_ARRAY_SIZE(opts); i++) {
		echo_init(&q, 0, 0);
		len = build_echo(b, &q);
		memmove(b + l3 + IP4_LEN + 4, b + l3 + IP4_LEN, len - l3 - IP4_LEN);
		put32(b + l3 + IP4_LEN, opts[i]);
		len += 4;
		b[l3] = 0x46;
		put16(b + l3 + 2, (uint32_t)(len - l3));
		ip4_fix(b + l3);
		run(b, len, NEIGH_PASS, NULL);
	}
}

static void
test_echo_drop(void)
{
	uint8_t b[FRAME_MAX];
	struct echoreq q;
	size_t len, l3 = ETH_LEN, ic;
	int ip6;

	reset();
	for (ip6 = 0; ip6 <= 1; ip6++) {
		ic = l3 + (ip6 ? IP6_LEN : IP4_LEN);
		/* a bad ICMP checksum */
		echo_init(&q, ip6, 0);
		len = build_echo(b, &q);
		b[len - 1] ^= 0x40;
		run(b, len, NEIGH_DROP, NULL);
		/* code 1 */
		echo_init(&q, ip6, 0);
		q.code = 1;
		run(b, build_echo(b, &q), NEIGH_DROP, NULL);
		/* the frame shorter than the IP length says */
		echo_init(&q, ip6, 0);
		len = build_echo(b, &q);
		run(b, len - 1, NEIGH_DROP, NULL);
		run(b, ic + 4, NEIGH_DROP, NULL);
		run(b, ic + 1, NEIGH_DROP, NULL);
		/* an IP length too short for the echo header, its 4 octets summed right */
		echo_init(&q, ip6, 0);
		q.dlen = 0;
		len = build_echo(b, &q);
		if (ip6) {
			put16(b + l3 + 4, 4);
			icmp6_fix(b + l3);
		} else {
			put16(b + l3 + 2, IP4_LEN + 4);
			ip4_fix(b + l3);
			icmp4_fix(b + ic, 4);
		}
		run(b, len, NEIGH_DROP, NULL);
		/* no reply to a source that cannot take one, nor to ourselves */
		echo_init(&q, ip6, 0);
		memcpy(q.src, ip6 ? ip6_all_nodes : ip4_mcast, ip6 ? 16 : 4);
		run(b, build_echo(b, &q), NEIGH_DROP, NULL);
		memcpy(q.src, ip6 ? ip6_zero : ip4_zero, ip6 ? 16 : 4);
		run(b, build_echo(b, &q), NEIGH_DROP, NULL);
		memcpy(q.src, ip6 ? ip6_srv2 : ip4_srv2, ip6 ? 16 : 4);
		run(b, build_echo(b, &q), NEIGH_DROP, NULL);
		/* by link-layer broadcast (RFC 1122 section 3.3.6), or from a group MAC */
		echo_init(&q, ip6, 0);
		memcpy(q.edst, mac_bcast, 6);
		run(b, build_echo(b, &q), NEIGH_DROP, NULL);
		echo_init(&q, ip6, 0);
		q.esrc[0] = 0x03;
		run(b, build_echo(b, &q), NEIGH_DROP, NULL);
	}
	/* RFC 1122 section 3.2.1.2: a bad IPv4 header checksum */
	echo_init(&q, 0, 0);
	len = build_echo(b, &q);
	b[l3 + 10] ^= 0x01;
	run(b, len, NEIGH_DROP, NULL);
}

/* ---- Everything else ---- */

/*
 * NTP is the reply builder's: neigh_reply() leaves it alone. The source ports
 * start with the octet of an echo request (8, 128) or an NS (135), so that
 * only the protocol check tells the datagram from ICMP.
 */
static void
test_ntp_passes(void)
{
	static const uint16_t sports[] = { 0x087b, 0x807b, 0x877b, 40123 };
	uint8_t b[FRAME_MAX];
	struct echoreq q;
	size_t len, l3, ic, i;
	int ip6, vlan;

	reset();
	for (ip6 = 0; ip6 <= 1; ip6++) {
		for (vlan = 0; vlan <= 1; vlan++) {
			for (i = 0; i < STRATA_ARRAY_SIZE(sports); i++) {
				/* an echo request made UDP to port 123, with 48 octets of NTP */
				echo_init(&q, ip6, vlan);
				q.dlen = 48;
				len = build_echo(b, &q);
				l3 = vlan ? ETH_LEN + VLAN_LEN : ETH_LEN;
				ic = l3 + (ip6 ? IP6_LEN : IP4_LEN);
				put16(b + ic, sports[i]);
				put16(b + ic + 2, 123);
				put16(b + ic + 4, 8 + 48);
				put16(b + ic + 6, 0); /* none, in IPv4 */
				b[ic + 8] = 0x23;     /* NTPv4, mode 3 */
				if (ip6) {
					b[l3 + 6] = 17;
					put16(b + ic + 6, (uint16_t)~sum6(b + l3));
				} else {
					b[l3 + 9] = 17;
					ip4_fix(b + l3);
				}
				run(b, len, NEIGH_PASS, NULL);
			}
		}
	}
}

static void
test_other_passes(void)
{
	uint8_t b[FRAME_MAX];
	struct echoreq q;
	struct arpreq r;
	size_t len;

	reset();
	/* runts: no room for the Ethernet header or the tag */
	run(golden_arp_req, 0, NEIGH_PASS, NULL);
	run(golden_arp_req, ETH_LEN - 1, NEIGH_PASS, NULL);
	run(golden_arp_vlan_req, ETH_LEN + VLAN_LEN - 1, NEIGH_PASS, NULL);

	/* a second tag (QinQ) over an ARP request for us */
	memcpy(b, golden_arp_vlan_req, 16);
	put16(b + 16, 0x8100);
	put16(b + 18, 0x0064);
	memcpy(b + 20, golden_arp_vlan_req + 16, sizeof(golden_arp_vlan_req) - 16);
	run(b, sizeof(golden_arp_vlan_req) + 4, NEIGH_PASS, NULL);

	/* an 802.1ad outer tag */
	memcpy(b, golden_arp_vlan_req, sizeof(golden_arp_vlan_req));
	put16(b + 12, 0x88a8);
	run(b, sizeof(golden_arp_vlan_req), NEIGH_PASS, NULL);

	/* another EtherType with an ARP request's body (PTP, 0x88f7) */
	arp_init(&r, 0);
	len = build_arp(b, &r);
	put16(b + 12, 0x88f7);
	run(b, len, NEIGH_PASS, NULL);

	/* IPv4 and IPv6 headers cut short: nothing says they are for us */
	echo_init(&q, 0, 0);
	build_echo(b, &q);
	run(b, ETH_LEN + IP4_LEN, NEIGH_PASS, NULL);
	run(b, ETH_LEN + 1, NEIGH_PASS, NULL);
	echo_init(&q, 1, 0);
	len = build_echo(b, &q);
	run(b, ETH_LEN + IP6_LEN, NEIGH_PASS, NULL);
	run(b, ETH_LEN + 7, NEIGH_PASS, NULL);
	/* a version 4 header under the IPv6 EtherType */
	b[ETH_LEN] = 0x45;
	run(b, len, NEIGH_PASS, NULL);
}

/*
 * What the link layer addressed to another host is not ours to answer,
 * whatever it asks: ARP to anything but broadcast or our MAC, a solicitation
 * to anything but our MAC or its group's, echo to anything but our MAC.
 */
static void
test_other_mac(void)
{
	static const uint8_t mac_mcast4[6] = { 0x01, 0, 0x5e, 0, 0, 0x01 };
	static const uint8_t mac_sn_wrong[6] = { 0x33, 0x33, 0xff, 0, 0, 0x02 };
	uint8_t b[FRAME_MAX], out[FRAME_MAX];
	struct echoreq e;
	struct arpreq a;
	struct nsreq r;
	size_t len;
	int vlan, ip6;

	reset();
	for (vlan = 0; vlan <= 1; vlan++) {
		/* ARP: unicast to us is answered (RFC 1122 section 2.3.2.1), as broadcast */
		arp_init(&a, vlan);
		memcpy(a.edst, mac_srv, 6);
		len = run(b, build_arp(b, &a), NEIGH_REPLY, out);
		same_frame(out, len, vlan ? golden_arp_vlan_rep : golden_arp_rep,
			   vlan ? sizeof(golden_arp_vlan_rep) : sizeof(golden_arp_rep));
		memcpy(a.edst, mac_other, 6);
		run(b, build_arp(b, &a), NEIGH_PASS, NULL);
		memcpy(a.edst, mac_mcast4, 6);
		run(b, build_arp(b, &a), NEIGH_PASS, NULL);

		/* NS to the solicited-node group: its own MAC, or ours */
		ns_init(&r, vlan);
		memcpy(r.edst, mac_srv, 6);
		len = run(b, build_ns(b, &r), NEIGH_REPLY, out);
		check_na(out, len, &r, mac_cli, ip6_cli_ll, NA_S | NA_O);
		memcpy(r.edst, mac_other, 6);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
		memcpy(r.edst, mac_sn_wrong, 6);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
		memcpy(r.edst, mac_all_nodes, 6);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
		memcpy(r.edst, mac_bcast, 6);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
		/* duplicate address detection likewise */
		memcpy(r.src, ip6_zero, 16);
		r.slla = 0;
		memcpy(r.edst, mac_other, 6);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
		/* NS unicast to the target: our MAC only, never a group's */
		ns_init(&r, vlan);
		memcpy(r.src, ip6_cli, 16);
		memcpy(r.dst, ip6_srv, 16);
		memcpy(r.edst, mac_other, 6);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);
		memcpy(r.edst, mac_sn1, 6);
		run(b, build_ns(b, &r), NEIGH_PASS, NULL);

		/* echo */
		for (ip6 = 0; ip6 <= 1; ip6++) {
			echo_init(&e, ip6, vlan);
			memcpy(e.edst, mac_other, 6);
			run(b, build_echo(b, &e), NEIGH_PASS, NULL);
		}
	}
}

static const struct test_case cases[] = {
	TEST_CASE(test_arp_request),
	TEST_CASE(test_arp_vlan),
	TEST_CASE(test_arp_each_address),
	TEST_CASE(test_arp_not_ours),
	TEST_CASE(test_arp_reply_passes),
	TEST_CASE(test_arp_gratuitous),
	TEST_CASE(test_arp_truncated),
	TEST_CASE(test_arp_other_types),
	TEST_CASE(test_arp_group_sender),
	TEST_CASE(test_ns_multicast),
	TEST_CASE(test_ns_unicast),
	TEST_CASE(test_ns_unknown_option),
	TEST_CASE(test_ns_dad),
	TEST_CASE(test_ns_hop_limit),
	TEST_CASE(test_ns_not_ours),
	TEST_CASE(test_ns_malformed),
	TEST_CASE(test_echo4),
	TEST_CASE(test_echo6),
	TEST_CASE(test_echo_pass),
	TEST_CASE(test_echo_drop),
	TEST_CASE(test_ntp_passes),
	TEST_CASE(test_other_passes),
	TEST_CASE(test_other_mac),
};

CUNIT_MAIN("neigh", cases)
