/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata_reply_nts() (include/strata/reply_nts.h): NTS requests that a
 * client built with lib/nts.h's client functions, answered in place over
 * IPv4 (with and without options), IPv6 and 802.1Q, and verified back with
 * nts_client_verify(); the NTS NAK's layout; the drops; the policy's
 * verdicts on NTS requests; and plain NTP through the same entry.
 *
 * The NTP header of an NTS reply must be the one a plain request gets
 * (reply.h's builder, tested field by field in test_reply.c): each reply
 * is compared with the plain reply to the same headers. Checksums are
 * checked with the independent RFC 1071 reference (ref_csum.h). Every call
 * runs on a heap copy of exactly the frame's length, so that a read past
 * the end shows under AddressSanitizer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strata/reply_nts.h>

#include "cunit_main.h"
#include "ref_csum.h"

#define ETH_LEN 14
#define VLAN_LEN 4
#define IP4_LEN 20
#define IP6_LEN 40
#define UDP_LEN 8
#define NTP_LEN 48
#define FRAME_MAX 2048

#define NTP_BASE (3930000000ull << 32 | 0x40000000u)
#define MONO_BASE 1000000000000ull
#define REQ_XMT 0xe9a1b2c3d4e5f607ull
#define SVC_TTL 57
#define KEY_ID 0x5f3a9c01u

static const uint8_t mac_srv[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_cli[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t ip4_srv[4] = {192, 0, 2, 1};
static const uint8_t ip4_cli[4] = {198, 51, 100, 7};
static const uint8_t ip6_srv[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
static const uint8_t ip6_cli[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x01, [15] = 0x07};

struct variant {
	const char *name;
	int ip6;
	int vlan;
	size_t optlen; /* IPv4 option octets */
};

static const struct variant variants[] = {
	{"IPv4", 0, 0, 0},	    {"IPv4, IHL 8", 0, 0, 12},
	{"IPv4, IHL 15", 0, 0, 40}, {"802.1Q IPv4, IHL 7", 0, 1, 8},
	{"IPv6", 1, 0, 0},	    {"802.1Q IPv6", 1, 1, 0},
};
#define NVARIANTS STRATA_ARRAY_SIZE(variants)

struct frame {
	size_t len;
	size_t l3;
	size_t l4;
	size_t ntp;
	int ip6;
	uint8_t b[FRAME_MAX];
};

/* What one client holds after NTS-KE: its keys and a cookie. */
struct client {
	struct nts_keys k;
	uint8_t cookie[NTS_COOKIE_MAX];
	size_t cookie_len;
	uint8_t uid[NTS_UID_LEN];
};

static struct strata_service svc;
static struct snap snap;
static struct snap_slot slot;
static struct strata_clock clk;
static struct strata_nts_keyring ring;
static struct nts_server srv;
static const char *ctx = "";

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

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* The UDP sum of the datagram at @udp, @ulen octets, with its pseudo header. */
static uint32_t
udp_sum(const uint8_t *ip, int ip6, const uint8_t *udp, size_t ulen)
{
	uint8_t ph[40] = {0};
	size_t n;

	if (ip6) {
		memcpy(ph, ip + 8, 32);
		put32(ph + 32, (uint32_t)ulen);
		ph[39] = 17;
		n = 40;
	} else {
		memcpy(ph, ip + 12, 8);
		ph[9] = 17;
		put16(ph + 10, (uint32_t)ulen);
		n = 12;
	}
	return sum16(sum16(0, ph, n), udp, ulen);
}

/* A frame of @v carrying the NTP payload @ntp, @nlen octets, with valid checksums. */
static void
build(struct frame *f, const struct variant *v, const uint8_t *ntp, size_t nlen)
{
	uint8_t *p = f->b;
	size_t n = 12, hl, ulen = UDP_LEN + nlen;
	uint16_t c;

	memset(f, 0, sizeof(*f));
	ctx = v->name;
	memcpy(p, mac_srv, 6);
	memcpy(p + 6, mac_cli, 6);
	if (v->vlan) {
		put16(p + n, 0x8100);
		put16(p + n + 2, 0x2064);
		n += VLAN_LEN;
	}
	put16(p + n, v->ip6 ? 0x86dd : 0x0800);
	f->l3 = n + 2;
	f->ip6 = v->ip6;
	p += f->l3;
	if (v->ip6) {
		hl = IP6_LEN;
		put32(p, 6u << 28 | 0xb9u << 20 | 0x12345);
		put16(p + 4, (uint32_t)ulen);
		p[6] = 17;
		p[7] = 33;
		memcpy(p + 8, ip6_cli, 16);
		memcpy(p + 24, ip6_srv, 16);
	} else {
		hl = IP4_LEN + v->optlen;
		p[0] = (uint8_t)(0x40 | hl / 4);
		p[1] = 0xb9;
		put16(p + 2, (uint32_t)(hl + ulen));
		put16(p + 4, 0x1234);
		p[8] = 33;
		p[9] = 17;
		memcpy(p + 12, ip4_cli, 4);
		memcpy(p + 16, ip4_srv, 4);
		/* RFC 2113 router alert, then no-operation options (RFC 791) */
		if (v->optlen > 0) {
			memset(p + IP4_LEN, 1, v->optlen);
			put32(p + IP4_LEN, 0x94040000);
		}
		put16(p + 10, (uint16_t)~fold(sum16(0, p, hl)));
	}
	f->l4 = f->l3 + hl;
	p = f->b + f->l4;
	put16(p, 40123);
	put16(p + 2, NTP_PORT);
	put16(p + 4, (uint32_t)ulen);
	f->ntp = f->l4 + UDP_LEN;
	memcpy(f->b + f->ntp, ntp, nlen);
	c = (uint16_t)~fold(udp_sum(f->b + f->l3, f->ip6, p, ulen));
	put16(p + 6, c == 0 ? 0xffff : c);
	f->len = f->ntp + nlen;
}

/* A client request's 48-octet header: NTPv4, mode 3, poll 6, its transmit timestamp. */
static void
ntp_header(uint8_t *ntp)
{
	memset(ntp, 0, NTP_LEN);
	ntp[0] = NTP_LVM(0, 4, NTP_MODE_CLIENT);
	ntp[2] = 6;
	put64(ntp + 40, REQ_XMT);
}

/* An NTS request of @c with @ph placeholders into @ntp; @return its length. */
static size_t
nts_request(const struct client *c, unsigned int ph, uint8_t *ntp)
{
	static const uint8_t nonce[NTS_NONCE_LEN] = {0x4e, 0x4f, 0x4e, 0x43, 0x45};
	size_t n;

	ntp_header(ntp);
	n = nts_client_request(&c->k, c->uid, c->cookie, c->cookie_len, ph, nonce, ntp,
			       FRAME_MAX - 128);
	CU_ASSERT_FATAL(n > NTP_LEN);
	return n;
}

/* Keys for @aead from a seed, and a cookie for them from the server. */
static void
client_init(struct client *c, uint16_t aead, uint8_t seed)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->k.aead = aead;
	c->k.len = (uint16_t)nts_aead_key_len(aead);
	for (i = 0; i < c->k.len; i++) {
		c->k.c2s[i] = (uint8_t)(seed + i);
		c->k.s2c[i] = (uint8_t)(seed * 3 + 7 * i);
	}
	for (i = 0; i < NTS_UID_LEN; i++)
		c->uid[i] = (uint8_t)(seed ^ (i * 11));
	c->cookie_len = nts_cookie_seal(&srv, &c->k, c->cookie);
	CU_ASSERT_FATAL(c->cookie_len == nts_cookie_len(aead));
}

/* The master keys stratad would publish: @n keys from ID @first on, the last one current. */
static void
keys_publish(unsigned int n, uint32_t first)
{
	unsigned int i, j;

	memset(&ring, 0, sizeof(ring));
	ring.n = n;
	ring.current = n > 0 ? n - 1 : 0;
	ring.gen = 1;
	for (i = 0; i < n; i++) {
		ring.k[i].id = first + i;
		ring.k[i].created = 1796000000 + i;
		for (j = 0; j < NTS_MASTER_KEY_LEN; j++)
			ring.k[i].key[j] = (uint8_t)(0xa5 ^ (i * 16 + j));
	}
	memset(&srv, 0, sizeof(srv));
	CU_ASSERT_EQUAL_FATAL(nts_server_init(&srv), 0);
	if (n > 0)
		CU_ASSERT_EQUAL_FATAL(nts_server_sync(&srv, &ring), 1);
}

static void
map_set(unsigned int scale, uint64_t local, uint64_t hz)
{
	struct snap_map *m = &slot.map[scale];

	m->local_base = local;
	m->ntp_base = NTP_BASE;
	m->flags = SNAP_MAP_VALID;
	CU_ASSERT_EQUAL(snap_map_set_rate(m, hz, 0.0), 0);
}

static void
reset(void)
{
	memset(&svc, 0, sizeof(svc));
	memcpy(&svc.addr4[0], ip4_srv, 4);
	memcpy(svc.addr6[0], ip6_srv, 16);
	svc.n_addr4 = 1;
	svc.n_addr6 = 1;
	svc.ttl = SVC_TTL;

	memset(&slot, 0, sizeof(slot));
	map_set(SNAP_SCALE_MONO, MONO_BASE, NSEC_PER_SEC);
	slot.srv.ref_time = NTP_BASE - (64ull << 32);
	slot.srv.disp_base = NTP_BASE;
	slot.srv.disp_rate = snap_disp_rate_from_ppm(15.0);
	slot.srv.root_delay = 0x00000123;
	slot.srv.root_disp = 0x00000456;
	memcpy(&slot.srv.refid, "GPS", 4);
	slot.srv.stratum = 1;
	slot.srv.precision = -24;
	snap_init(&snap);
	snap_publish(&snap, &slot);

	clk.rx_scale = SNAP_SCALE_MONO;
	clk.tx_scale = SNAP_SCALE_MONO;
	clk.rx = MONO_BASE + 1500000000ull;
	clk.tx = clk.rx + 25000;
	keys_publish(2, KEY_ID);
}

struct outcome {
	enum strata_verdict v;
	struct strata_result res;
	uint32_t nts_reason;
	uint32_t cookies;
	size_t len;
	uint8_t out[FRAME_MAX];
};

/*
 * strata_reply_nts() on a heap copy of exactly @f; a frame not answered must
 * come back unchanged, an answer no longer than the request.
 */
static void
run(const struct frame *f, const struct strata_policy *pol, struct nts_server *s, struct outcome *o)
{
	uint8_t *buf = malloc(f->len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memcpy(buf, f->b, f->len);
	memset(o, 0, sizeof(*o));
	o->v = strata_reply_nts(buf, buf + f->len, &svc, mac_srv, &snap, &clk, pol, s, &o->res,
				&o->nts_reason, &o->cookies);
	CU_ASSERT_EQUAL(o->v, strata_verdict_of(o->res.reason));
	if (o->v == STRATA_REPLY) {
		CU_ASSERT(o->res.len <= f->len);
		o->len = o->res.len <= f->len ? o->res.len : f->len;
		memcpy(o->out, buf, o->len);
	} else {
		CU_ASSERT(memcmp(buf, f->b, f->len) == 0);
	}
	free(buf);
}

/* The plain reply to a request with @f's headers and no extension fields: its NTP header. */
static void
plain_header(const struct variant *v, uint8_t *hdr)
{
	struct strata_result res;
	uint8_t ntp[NTP_LEN];
	struct frame p;

	ntp_header(ntp);
	build(&p, v, ntp, NTP_LEN);
	CU_ASSERT_EQUAL_FATAL(strata_reply(p.b, p.b + p.len, &svc, mac_srv, &snap, &clk, &res),
			      STRATA_REPLY);
	memcpy(hdr, p.b + res.len - NTP_LEN, NTP_LEN);
}

/*
 * The headers of the answer @o to @f for @rplen octets of NTP, which start
 * at the returned pointer: MACs, one tag as it was, IP without options,
 * UDP ports, lengths, and checksums that verify.
 */
static const uint8_t *
check_headers(const struct frame *f, const struct outcome *o, size_t rplen)
{
	size_t iplen = f->ip6 ? IP6_LEN : IP4_LEN;
	const uint8_t *ip = o->out + f->l3, *qip = f->b + f->l3, *u = ip + iplen;

	CU_ASSERT_EQUAL_FATAL(o->len, f->l3 + iplen + UDP_LEN + rplen);
	CU_ASSERT(memcmp(o->out, f->b + 6, 6) == 0);
	CU_ASSERT(memcmp(o->out + 6, mac_srv, 6) == 0);
	CU_ASSERT(memcmp(o->out + 12, f->b + 12, f->l3 - 12) == 0);
	if (f->ip6) {
		CU_ASSERT_EQUAL(get32(ip), get32(qip) & ~(3u << 20));
		CU_ASSERT_EQUAL(get16(ip + 4), UDP_LEN + rplen);
		CU_ASSERT_EQUAL(ip[6], 17);
		CU_ASSERT_EQUAL(ip[7], SVC_TTL);
		CU_ASSERT(memcmp(ip + 8, qip + 24, 16) == 0);
		CU_ASSERT(memcmp(ip + 24, qip + 8, 16) == 0);
	} else {
		CU_ASSERT_EQUAL(ip[0], 0x45);
		CU_ASSERT_EQUAL(ip[1], qip[1] & 0xfc);
		CU_ASSERT_EQUAL(get16(ip + 2), IP4_LEN + UDP_LEN + rplen);
		CU_ASSERT_EQUAL(get16(ip + 6), 0x4000);
		CU_ASSERT_EQUAL(ip[8], SVC_TTL);
		CU_ASSERT(memcmp(ip + 12, qip + 16, 4) == 0);
		CU_ASSERT(memcmp(ip + 16, qip + 12, 4) == 0);
		CU_ASSERT_EQUAL(fold(sum16(0, ip, IP4_LEN)), 0xffff);
	}
	CU_ASSERT_EQUAL(get16(u), NTP_PORT);
	CU_ASSERT_EQUAL(get16(u + 2), 40123);
	CU_ASSERT_EQUAL(get16(u + 4), UDP_LEN + rplen);
	CU_ASSERT_NOT_EQUAL(get16(u + 6), 0);
	CU_ASSERT_EQUAL(fold(udp_sum(ip, f->ip6, u, UDP_LEN + rplen)), 0xffff);
	return u + UDP_LEN;
}

/* Answer an NTS request of @c with @ph placeholders over @v and verify it as the client. */
static void
expect_reply(const struct variant *v, const struct client *c, unsigned int ph)
{
	struct nts_client_cookies got;
	uint8_t ntp[FRAME_MAX], plain[NTP_LEN];
	const uint8_t *n;
	struct outcome o;
	struct frame f;
	size_t rplen;
	unsigned int i;

	build(&f, v, ntp, nts_request(c, ph, ntp));
	run(&f, NULL, &srv, &o);
	if (o.res.reason != STRATA_R_REPLY || o.nts_reason != STRATA_NTS_REPLY)
		printf("\n  %s: reason %s, NTS %u ", ctx, strata_reason_names[o.res.reason],
		       o.nts_reason);
	CU_ASSERT_EQUAL_FATAL(o.v, STRATA_REPLY);
	CU_ASSERT_EQUAL(o.res.reason, STRATA_R_REPLY);
	CU_ASSERT_EQUAL(o.nts_reason, STRATA_NTS_REPLY);
	/* RFC 8915 section 5.7: one cookie for the cookie and each placeholder */
	CU_ASSERT_EQUAL(o.cookies, 1 + ph);
	rplen = o.len - (f.l3 + (f.ip6 ? IP6_LEN : IP4_LEN) + UDP_LEN);
	n = check_headers(&f, &o, rplen);
	/* the NTP payload alone is never longer than the request's */
	CU_ASSERT(rplen <= f.len - f.ntp);

	/* the header any reply to this request has */
	plain_header(v, plain);
	CU_ASSERT(memcmp(n, plain, NTP_LEN) == 0);

	/* the client accepts it and takes its fresh cookies, which open under the master key */
	memset(&got, 0, sizeof(got));
	CU_ASSERT_EQUAL_FATAL(nts_client_verify(&c->k, c->uid, n, rplen, &got), 0);
	CU_ASSERT_EQUAL(got.n, o.cookies);
	for (i = 0; i < got.n; i++) {
		struct nts_keys k;

		CU_ASSERT_EQUAL(nts_cookie_open(&srv, got.c[i], got.len[i], &k), STRATA_NTS_REPLY);
		CU_ASSERT_EQUAL(k.aead, c->k.aead);
		CU_ASSERT(memcmp(k.s2c, c->k.s2c, k.len) == 0);
		CU_ASSERT(memcmp(got.c[i], c->cookie, got.len[i]) != 0);
	}
}

static void
test_reply(void)
{
	static const uint16_t aeads[] = {NTS_AEAD_AES_SIV_CMAC_256, NTS_AEAD_AES_SIV_CMAC_512};
	struct client c;
	size_t k, a;

	reset();
	for (a = 0; a < STRATA_ARRAY_SIZE(aeads); a++) {
		client_init(&c, aeads[a], (uint8_t)(17 + a));
		for (k = 0; k < NVARIANTS; k++) {
			expect_reply(&variants[k], &c, 0);
			expect_reply(&variants[k], &c, 3);
			/* eight cookies at most (RFC 8915 section 4.1.6): the cookie and seven */
			expect_reply(&variants[k], &c, 7);
		}
	}
}

static void expect_nak(const struct variant *v, const struct client *c, const uint8_t *ntp,
		       size_t nlen, uint32_t nts_reason);

/*
 * A cookie under a master key that is no longer current still opens while
 * the ring keeps the key; once the key is rotated out, the request gets a
 * NAK (RFC 8915 section 6), which the client recognises.
 */
static void
test_rotation(void)
{
	uint8_t ntp[FRAME_MAX];
	struct client c;
	size_t k;

	reset();
	keys_publish(1, KEY_ID);
	client_init(&c, NTS_AEAD_AES_SIV_CMAC_256, 5);
	keys_publish(2, KEY_ID); /* a new current key, the old one kept */
	for (k = 0; k < NVARIANTS; k++)
		expect_reply(&variants[k], &c, 1);
	keys_publish(2, KEY_ID + 1); /* the old one gone */
	for (k = 0; k < NVARIANTS; k++)
		expect_nak(&variants[k], &c, ntp, nts_request(&c, 1, ntp), STRATA_NTS_NAK_KEY);
}

/*
 * The NTS NAK (RFC 8915 section 5.7): a kiss-o'-death "NTSN" header as the
 * builder's KoDs (leap 3, stratum 0, the request's transmit timestamp as
 * origin, receive and transmit) and the unique identifier alone.
 */
static void
expect_nak(const struct variant *v, const struct client *c, const uint8_t *ntp, size_t nlen,
	   uint32_t nts_reason)
{
	struct nts_client_cookies got;
	const uint8_t *n;
	struct outcome o;
	struct frame f;

	build(&f, v, ntp, nlen);
	run(&f, NULL, &srv, &o);
	CU_ASSERT_EQUAL_FATAL(o.v, STRATA_REPLY);
	CU_ASSERT_EQUAL(o.res.reason, STRATA_R_REPLY);
	CU_ASSERT_EQUAL(o.nts_reason, nts_reason);
	CU_ASSERT_EQUAL(o.cookies, 0);
	n = check_headers(&f, &o, NTP_LEN + 4 + NTS_UID_LEN);
	CU_ASSERT_EQUAL(n[0], NTP_LVM(3, 4, NTP_MODE_SERVER));
	CU_ASSERT_EQUAL(n[1], 0);
	CU_ASSERT_EQUAL(n[2], 6); /* the request's poll */
	CU_ASSERT_EQUAL(get32(n + 4), 0);
	CU_ASSERT_EQUAL(get32(n + 8), 0);
	CU_ASSERT(memcmp(n + 12, "NTSN", 4) == 0);
	CU_ASSERT_EQUAL(get32(n + 16), 0);
	CU_ASSERT_EQUAL(get32(n + 20), 0);
	CU_ASSERT(memcmp(n + 24, ntp + 40, 8) == 0);
	CU_ASSERT(memcmp(n + 32, ntp + 40, 8) == 0);
	CU_ASSERT(memcmp(n + 40, ntp + 40, 8) == 0);
	/* the Unique Identifier field as the client sent it, and nothing after it */
	CU_ASSERT_EQUAL(get16(n + NTP_LEN), NTP_EF_NTS_UNIQUE_ID);
	CU_ASSERT_EQUAL(get16(n + NTP_LEN + 2), 4 + NTS_UID_LEN);
	CU_ASSERT(memcmp(n + NTP_LEN + 4, c->uid, NTS_UID_LEN) == 0);
	CU_ASSERT_EQUAL(nts_client_verify(&c->k, c->uid, n, NTP_LEN + 4 + NTS_UID_LEN, &got), 1);
}

static void
test_nak(void)
{
	uint8_t ntp[FRAME_MAX];
	struct client c, wrong;
	size_t k, n, cookie;

	reset();
	client_init(&c, NTS_AEAD_AES_SIV_CMAC_256, 9);
	/* where the cookie's body starts: after the header, the UID field and the cookie's header
	 */
	cookie = NTP_LEN + 4 + NTS_UID_LEN + 4;
	for (k = 0; k < NVARIANTS; k++) {
		/* a key ID we do not keep */
		n = nts_request(&c, 1, ntp);
		ntp[cookie] ^= 0x80;
		expect_nak(&variants[k], &c, ntp, n, STRATA_NTS_NAK_KEY);
		/* a cookie that does not open: its sealed part altered (the request re-sealed) */
		wrong = c;
		wrong.cookie[30] ^= 1;
		n = nts_request(&wrong, 0, ntp);
		expect_nak(&variants[k], &c, ntp, n, STRATA_NTS_NAK_COOKIE);
		/* an authenticator under another C2S key */
		wrong = c;
		wrong.k.c2s[0] ^= 1;
		n = nts_request(&wrong, 2, ntp);
		expect_nak(&variants[k], &c, ntp, n, STRATA_NTS_NAK_AUTH);
	}
	/* a NAK needs no time: it tells nothing of our clock */
	snap_init(&snap);
	n = nts_request(&c, 0, ntp);
	ntp[cookie] ^= 0x80;
	expect_nak(&variants[0], &c, ntp, n, STRATA_NTS_NAK_KEY);
}

/* Run @ntp over every variant and expect a drop for @reason, NTS reason @nts_reason. */
static void
expect_drop(const uint8_t *ntp, size_t nlen, struct nts_server *s, const struct strata_policy *pol,
	    uint32_t reason, uint32_t nts_reason)
{
	struct outcome o;
	struct frame f;
	size_t k;

	for (k = 0; k < NVARIANTS; k++) {
		build(&f, &variants[k], ntp, nlen);
		run(&f, pol, s, &o);
		if (o.res.reason != reason || o.nts_reason != nts_reason)
			printf("\n  %s: reason %s NTS %u, want %s NTS %u ", ctx,
			       strata_reason_names[o.res.reason], o.nts_reason,
			       strata_reason_names[reason], nts_reason);
		CU_ASSERT_EQUAL(o.res.reason, reason);
		CU_ASSERT_EQUAL(o.nts_reason, nts_reason);
		CU_ASSERT_EQUAL(o.cookies, 0);
	}
}

static void
test_drop(void)
{
	uint8_t ntp[FRAME_MAX];
	struct nts_server none;
	struct client c;
	size_t n, uid = NTP_LEN, auth;

	reset();
	client_init(&c, NTS_AEAD_AES_SIV_CMAC_256, 11);
	n = nts_request(&c, 0, ntp);
	auth = n - (8 + NTS_NONCE_LEN + 16);

	/* no Unique Identifier: the field made an unknown one */
	put16(ntp + uid, 0x7f04);
	expect_drop(ntp, n, &srv, NULL, STRATA_R_DROP_BAD_EXT, STRATA_NTS_DROP_NO_UID);
	put16(ntp + uid, NTP_EF_NTS_UNIQUE_ID);
	/* the authenticator's lengths past its field */
	put16(ntp + auth + 6, 0x0400);
	expect_drop(ntp, n, &srv, NULL, STRATA_R_DROP_BAD_EXT, STRATA_NTS_DROP_MALFORMED);
	/* no master keys published yet */
	n = nts_request(&c, 0, ntp);
	CU_ASSERT_EQUAL_FATAL(nts_server_init(&none), 0);
	expect_drop(ntp, n, &none, NULL, STRATA_R_DROP_BAD_EXT, STRATA_NTS_DROP_NO_KEYS);
	/* without time an answer is not sent, as for plain NTP */
	snap_init(&snap);
	expect_drop(ntp, n, &srv, NULL, STRATA_R_DROP_NO_TIME, STRATA_NTS_MAX);
	/* without an NTS server, passed as by strata_reply_policy() */
	expect_drop(ntp, n, NULL, NULL, STRATA_R_PASS_NTS, STRATA_NTS_MAX);
	/*
	 * RFC 8915 section 1: NTS is for client-server mode; a symmetric
	 * active request with NTS fields never reaches the NTS server
	 */
	reset();
	n = nts_request(&c, 0, ntp);
	ntp[0] = NTP_LVM(0, 4, NTP_MODE_ACTIVE);
	expect_drop(ntp, n, &srv, NULL, STRATA_R_DROP_MODE, STRATA_NTS_MAX);
	expect_drop(ntp, n, NULL, NULL, STRATA_R_DROP_MODE, STRATA_NTS_MAX);
}

/*
 * The policy comes first: refused or over the limit, an NTS request is
 * dropped (no kiss-o'-death: RFC 8915 section 5.7) before the NTS server
 * sees it; allowed, it is answered.
 */
static void
test_policy(void)
{
	struct strata_policy_conf pc = {
		.rl_on = 1, .interval = 1000, .window = 2000, .leak = 16, .kod = 1, .seed = 3};
	struct strata_policy pol = {.conf = &pc, .now = 5000};
	uint8_t ntp[FRAME_MAX];
	struct outcome o;
	struct client c;
	struct frame f;
	size_t k, n;
	int i;

	reset();
	pol.rl = calloc(1, sizeof(*pol.rl));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pol.rl);
	client_init(&c, NTS_AEAD_AES_SIV_CMAC_256, 13);
	n = nts_request(&c, 0, ntp);
	for (k = 0; k < NVARIANTS; k++) {
		build(&f, &variants[k], ntp, n);
		for (i = 0; i < 2; i++) {
			run(&f, &pol, &srv, &o);
			CU_ASSERT_EQUAL(o.res.reason, STRATA_R_REPLY);
			CU_ASSERT_EQUAL(o.nts_reason, STRATA_NTS_REPLY);
		}
		for (i = 0; i < 2; i++) {
			run(&f, &pol, &srv, &o);
			CU_ASSERT_EQUAL(o.res.reason, STRATA_R_DROP_RATE);
			CU_ASSERT_EQUAL(o.nts_reason, STRATA_NTS_MAX);
		}
		pol.now += 10000;
	}
	pc.rl_on = 0;
	pc.acl_on = 1;
	pc.acl_default = STRATA_ACL_DENY_KOD;
	expect_drop(ntp, n, &srv, &pol, STRATA_R_DROP_DENY, STRATA_NTS_MAX);
	pc.acl_default = STRATA_ACL_DENY;
	expect_drop(ntp, n, &srv, &pol, STRATA_R_DROP_DENY, STRATA_NTS_MAX);
	pc.acl_default = STRATA_ACL_ALLOW;
	build(&f, &variants[0], ntp, n);
	run(&f, &pol, &srv, &o);
	CU_ASSERT_EQUAL(o.nts_reason, STRATA_NTS_REPLY);
	free(pol.rl);
}

/* Plain NTP through strata_reply_nts() is strata_reply_policy()'s answer, octet for octet. */
static void
test_plain(void)
{
	struct strata_result res;
	uint8_t ntp[FRAME_MAX], want[FRAME_MAX];
	struct outcome o;
	struct frame f;
	size_t k;

	reset();
	for (k = 0; k < NVARIANTS; k++) {
		ntp_header(ntp);
		build(&f, &variants[k], ntp, NTP_LEN);
		memcpy(want, f.b, f.len);
		CU_ASSERT_EQUAL(strata_reply_policy(want, want + f.len, &svc, mac_srv, &snap, &clk,
						    NULL, &res),
				STRATA_REPLY);
		run(&f, NULL, &srv, &o);
		CU_ASSERT_EQUAL(o.res.reason, STRATA_R_REPLY);
		CU_ASSERT_EQUAL(o.nts_reason, STRATA_NTS_MAX);
		CU_ASSERT_EQUAL_FATAL(o.len, res.len);
		CU_ASSERT(memcmp(o.out, want, o.len) == 0);
		/* a legacy MAC: the crypto-NAK, as ever */
		memset(ntp + NTP_LEN, 0xd1, 20);
		build(&f, &variants[k], ntp, NTP_LEN + 20);
		run(&f, NULL, &srv, &o);
		CU_ASSERT_EQUAL(o.res.reason, STRATA_R_REPLY_CRYPTO_NAK);
		/* symmetric active: the same answer in mode 2 (the DPDK worker's path) */
		ntp_header(ntp);
		ntp[0] = NTP_LVM(0, 4, NTP_MODE_ACTIVE);
		build(&f, &variants[k], ntp, NTP_LEN);
		memcpy(want, f.b, f.len);
		CU_ASSERT_EQUAL(strata_reply_policy(want, want + f.len, &svc, mac_srv, &snap, &clk,
						    NULL, &res),
				STRATA_REPLY);
		CU_ASSERT_EQUAL(res.reason, STRATA_R_REPLY_PASSIVE);
		run(&f, NULL, &srv, &o);
		CU_ASSERT_EQUAL(o.res.reason, STRATA_R_REPLY_PASSIVE);
		CU_ASSERT_EQUAL(o.nts_reason, STRATA_NTS_MAX);
		CU_ASSERT_EQUAL_FATAL(o.len, res.len);
		CU_ASSERT(memcmp(o.out, want, o.len) == 0);
		CU_ASSERT_EQUAL(o.out[o.len - NTP_LEN] & 7, NTP_MODE_PASSIVE);
	}
	/* not IP, and truncated */
	build(&f, &variants[0], ntp, NTP_LEN);
	put16(f.b + 12, 0x0806);
	run(&f, NULL, &srv, &o);
	CU_ASSERT_EQUAL(o.res.reason, STRATA_R_PASS_NOT_IP);
	f.len = 13;
	run(&f, NULL, &srv, &o);
	CU_ASSERT_EQUAL(o.res.reason, STRATA_R_DROP_TRUNCATED);
}

/* strata_csum_any() against the RFC 1071 reference: every length and alignment. */
static void
test_csum_any(void)
{
	uint8_t buf[80];
	size_t off, len, i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (off = 0; off < 4; off++)
		for (len = 0; len + off <= sizeof(buf); len++)
			CU_ASSERT_EQUAL(strata_ntohs(strata_csum_fold(
						strata_csum_any(buf + off, (__u32)len))),
					fold(sum16(0, buf + off, len)));
	memset(buf, 0xff, sizeof(buf));
	CU_ASSERT_EQUAL(strata_ntohs(strata_csum_fold(strata_csum_any(buf, 77))),
			fold(sum16(0, buf, 77)));
}

static const struct test_case cases[] = {
	TEST_CASE(test_reply),	  TEST_CASE(test_rotation), TEST_CASE(test_nak),
	TEST_CASE(test_drop),	  TEST_CASE(test_policy),   TEST_CASE(test_plain),
	TEST_CASE(test_csum_any),
};

CUNIT_MAIN("reply_nts", cases)
