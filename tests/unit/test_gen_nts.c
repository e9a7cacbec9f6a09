/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-gen's NTS client (perf/gen_nts.c) without a network: its requests
 * answered by lib/nts.c's server, the reply verified and its cookie kept;
 * a reply that does not verify and an NTS NAK counted as such; the cookie
 * pool spent oldest first, reused when empty, and given back for requests
 * an engine did not send.
 */
#include <stdlib.h>
#include <string.h>

#include <strata/ntp.h>

#include "gen.h"
#include "gen_nts.h"

#include "cunit_main.h"

static struct nts_server srv;
static struct strata_nts_keyring ring;

/* @n as gen_nts_open() leaves it after an NTS-KE that gave @cookies cookies sealed by srv. */
static void
client(struct gen_nts *n, unsigned int cookies)
{
	unsigned int i;

	memset(n, 0, sizeof(*n));
	n->pool = calloc(GEN_NTS_POOL, sizeof(n->pool[0]));
	CU_ASSERT_PTR_NOT_NULL_FATAL(n->pool);
	n->keys.aead = NTS_AEAD_AES_SIV_CMAC_256;
	n->keys.len = 32;
	memset(n->keys.c2s, 0x11, sizeof(n->keys.c2s));
	memset(n->keys.s2c, 0x22, sizeof(n->keys.s2c));
	memset(n->uid_key, 0x33, sizeof(n->uid_key));
	for (i = 0; i < cookies; i++, n->tail++) {
		n->pool[i].len = (uint16_t)nts_cookie_seal(&srv, &n->keys, n->pool[i].c);
		CU_ASSERT_FATAL(n->pool[i].len > 0);
	}
}

/* A request with transmit timestamp @xmt into @buf; its length. */
static size_t
request(struct gen_nts *n, uint64_t xmt, uint8_t *buf, size_t room)
{
	struct ntp_hdr *h = (struct ntp_hdr *)buf;
	size_t len;

	memset(h, 0, sizeof(*h));
	h->lvm = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_CLIENT);
	ntp_ts_put(&h->xmt, xmt);
	len = gen_nts_request(n, xmt, buf, room);
	CU_ASSERT_FATAL(len > sizeof(*h));
	return len;
}

/* The server's answer to the request in @buf, in place: its length, 0 if none. */
static uint32_t
answer(uint8_t *buf, size_t len)
{
	struct ntp_hdr *h = (struct ntp_hdr *)buf;
	struct nts_request r;
	enum strata_nts_counter c;
	uint32_t cookies;
	uint64_t xmt = ntp_ts_get(&h->xmt);

	c = nts_server_check(&srv, buf, (uint32_t)len, &r);
	h->lvm = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_SERVER);
	h->stratum = 2;
	ntp_ts_put(&h->org, xmt);
	if (c == STRATA_NTS_REPLY)
		return nts_server_seal(&srv, &r, buf, &cookies);
	if (c == STRATA_NTS_NAK_KEY || c == STRATA_NTS_NAK_COOKIE || c == STRATA_NTS_NAK_AUTH) {
		h->stratum = 0;
		memcpy(&h->refid, "NTSN", 4);
		return nts_server_nak(&r, buf);
	}
	return 0;
}

static void
test_reply(void)
{
	struct gen_nts n;
	uint8_t buf[GEN_PKT_MAX];
	size_t len;
	uint32_t rlen;

	client(&n, 8);
	/* a request spends a cookie; the verified reply brings one */
	len = request(&n, 0x1111222233334444ull, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n.head, 1);
	rlen = answer(buf, len);
	CU_ASSERT_FATAL(rlen > 0 && rlen <= len);
	CU_ASSERT_EQUAL(gen_nts_reply(&n, 0x1111222233334444ull, buf, rlen), 0);
	CU_ASSERT_EQUAL(n.verified, 1);
	CU_ASSERT_EQUAL(n.cookies, 1);
	CU_ASSERT_EQUAL(n.tail, 9);
	/* the cookie it brought opens too */
	len = request(&n, 0x5555, buf, sizeof(buf));
	rlen = answer(buf, len);
	CU_ASSERT_EQUAL(gen_nts_reply(&n, 0x5555, buf, rlen), 0);
	/* a reply to another request (another unique identifier), one bit off */
	len = request(&n, 0x6666, buf, sizeof(buf));
	rlen = answer(buf, len);
	CU_ASSERT_EQUAL(gen_nts_reply(&n, 0x6667, buf, rlen), -1);
	buf[rlen - 1] ^= 1;
	CU_ASSERT_EQUAL(gen_nts_reply(&n, 0x6666, buf, rlen), -1);
	CU_ASSERT_EQUAL(n.bad, 2);
	CU_ASSERT_EQUAL(n.verified, 2);
	/* new master keys: the old cookies are NAKed (RFC 8915 section 5.7) */
	ring.seq += 2;
	ring.gen++;
	ring.k[0].id++;
	memset(ring.k[0].key, 0x77, sizeof(ring.k[0].key));
	CU_ASSERT_EQUAL_FATAL(nts_server_sync(&srv, &ring), 1);
	len = request(&n, 0x7777, buf, sizeof(buf));
	rlen = answer(buf, len);
	CU_ASSERT_EQUAL(gen_nts_reply(&n, 0x7777, buf, rlen), 1);
	CU_ASSERT_EQUAL(n.nak, 1);
	CU_ASSERT_EQUAL(n.cookies, 2);
	gen_nts_close(&n);
}

static void
test_pool(void)
{
	struct gen_nts n;
	struct gen_nts_mark m;
	uint8_t buf[GEN_PKT_MAX];
	unsigned int i;

	client(&n, 3);
	/* three unspent, then spent ones again, counted */
	for (i = 0; i < 5; i++)
		request(&n, i + 1, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n.head, 3);
	CU_ASSERT_EQUAL(n.reused, 2);
	CU_ASSERT_EQUAL(n.requests, 5);
	/* of four built, one went out: the others' cookies are not spent */
	n.tail += 2; /* two fresh cookies came (their contents do not matter here) */
	memcpy(&n.pool[3], &n.pool[0], sizeof(n.pool[0]));
	memcpy(&n.pool[4], &n.pool[0], sizeof(n.pool[0]));
	gen_nts_mark(&n, &m);
	for (i = 0; i < 4; i++)
		request(&n, 10 + i, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n.head, 5);
	CU_ASSERT_EQUAL(n.reused, 4);
	gen_nts_unsent(&n, &m, 1);
	CU_ASSERT_EQUAL(n.head, 4);
	CU_ASSERT_EQUAL(n.reused, 2);
	CU_ASSERT_EQUAL(n.requests, 6);
	/* all sent: nothing to give back */
	gen_nts_mark(&n, &m);
	request(&n, 20, buf, sizeof(buf));
	gen_nts_unsent(&n, &m, 1);
	CU_ASSERT_EQUAL(n.head, 5);
	/* a request longer than the room is refused, not truncated */
	n.placeholders = GEN_NTS_PLACEHOLDERS_MAX;
	CU_ASSERT_EQUAL(gen_nts_request(&n, 30, buf, 200), 0);
	gen_nts_close(&n);
}

static int
setup(void)
{
	ring.n = 1;
	ring.gen = 1;
	ring.k[0].id = 0x5f3a9c01;
	memset(ring.k[0].key, 0x5a, sizeof(ring.k[0].key));
	return nts_server_init(&srv) == 0 && nts_server_sync(&srv, &ring) == 1 ? 0 : -1;
}

static const struct test_case cases[] = {
	TEST_CASE(test_reply),
	TEST_CASE(test_pool),
};

/* one server for every case: its master key seals the client's cookies */
int
main(void)
{
	if (setup() != 0)
		return 1;
	return run_suite("gen_nts", cases, sizeof(cases) / sizeof(cases[0]));
}
