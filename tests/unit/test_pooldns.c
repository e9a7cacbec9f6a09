/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DNS answers (pool/pooldns.c) for queries built with ldns: rcode,
 * AA, answers, rotation, NODATA, NXDOMAIN, REFUSED, FORMERR, EDNS and
 * trimming; and the RFC 2136 update (pool/poolupdate.c), signed and
 * verified with TSIG.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "pooldns.h"
#include "poolupdate.h"

#include "cunit_main.h"

/* a long name: 16 AAAA answers under it pass 512 octets */
#define LONG "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.deep.pool.test"

static struct pooldb db;
static uint8_t out[65535];

/* Pools: ntp (3 IPv4 served of 4, 1 IPv6) answers 2; empty (no member); LONG below an ENT */
static void
setup(void)
{
	static const char *const v4[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"};
	struct pcfg c;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	snprintf(c.zone, sizeof(c.zone), "pool.test");
	snprintf(c.pool[0].name, sizeof(c.pool[0].name), "ntp.pool.test");
	c.pool[0].answers = 2;
	c.pool[0].ttl = 30;
	snprintf(c.pool[1].name, sizeof(c.pool[1].name), "empty.pool.test");
	c.pool[1].answers = 4;
	c.pool[1].ttl = 20;
	snprintf(c.pool[2].name, sizeof(c.pool[2].name), LONG);
	c.pool[2].answers = 16;
	c.pool[2].ttl = 60;
	c.n_pool = 3;
	for (i = 0; i < 4; i++) {
		c.member[i].n_addr = 1;
		c.member[i].addr[0].ss_family = AF_INET;
		inet_pton(AF_INET, v4[i], &((struct sockaddr_in *)&c.member[i].addr[0])->sin_addr);
	}
	c.member[0].n_addr = 2;
	c.member[0].addr[1].ss_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1",
		  &((struct sockaddr_in6 *)&c.member[0].addr[1])->sin6_addr);
	/* 60 IPv6 members in LONG for trimming */
	for (i = 4; i < 4 + 60; i++) {
		char s[64];

		c.member[i].pool = 2;
		c.member[i].n_addr = 1;
		c.member[i].addr[0].ss_family = AF_INET6;
		snprintf(s, sizeof(s), "2001:db8:1::%x", i);
		inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)&c.member[i].addr[0])->sin6_addr);
	}
	c.n_member = 64;
	c.interval = 1;
	CU_ASSERT_EQUAL_FATAL(pooldb_init(&db, &c, 0), 0);
	db.serial = 2024;
	db.pool[0].member[0]->addr[0].served = 1;
	db.pool[0].member[0]->addr[1].served = 1;
	db.pool[0].member[1]->addr[0].served = 1;
	db.pool[0].member[2]->addr[0].served = 1;
	for (i = 0; i < db.pool[2].n_member; i++)
		db.pool[2].member[i]->addr[0].served = 1;
}

/* Ask @name @type (with EDNS size @edns if not 0) and parse the answer into @r. */
static int
ask(const char *name, ldns_rr_type type, uint16_t edns, ldns_pkt **r)
{
	ldns_pkt *q =
		ldns_pkt_query_new(ldns_dname_new_frm_str(name), type, LDNS_RR_CLASS_IN, LDNS_RD);
	uint8_t *wire;
	size_t len;
	int n;

	ldns_pkt_set_id(q, 0x1234);
	if (edns != 0)
		ldns_pkt_set_edns_udp_size(q, edns);
	CU_ASSERT_FATAL(ldns_pkt2wire(&wire, q, &len) == LDNS_STATUS_OK);
	n = pooldns_answer(&db, wire, len, 1, out, sizeof(out));
	free(wire);
	ldns_pkt_free(q);
	*r = NULL;
	if (n > 0)
		CU_ASSERT_FATAL(ldns_wire2pkt(r, out, (size_t)n) == LDNS_STATUS_OK);
	return n;
}

static ldns_rr *
soa_of(const ldns_pkt *r, ldns_pkt_section s)
{
	ldns_rr_list *l = s == LDNS_SECTION_ANSWER ? ldns_pkt_answer(r) : ldns_pkt_authority(r);

	return ldns_rr_list_rr_count(l) == 1 &&
			       ldns_rr_get_type(ldns_rr_list_rr(l, 0)) == LDNS_RR_TYPE_SOA
		       ? ldns_rr_list_rr(l, 0)
		       : NULL;
}

static void
test_answers(void)
{
	char seen[2][64] = {{0}};
	ldns_pkt *r;
	int i;

	setup();
	for (i = 0; i < 3; i++) {
		char *a, *b;

		CU_ASSERT_FATAL(ask("NTP.Pool.Test.", LDNS_RR_TYPE_A, 0, &r) > 0);
		CU_ASSERT_EQUAL(ldns_pkt_id(r), 0x1234);
		CU_ASSERT(ldns_pkt_qr(r));
		CU_ASSERT(ldns_pkt_aa(r));
		CU_ASSERT(ldns_pkt_rd(r));
		CU_ASSERT(!ldns_pkt_ra(r));
		CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
		CU_ASSERT_EQUAL(ldns_pkt_qdcount(r), 1);
		/* answers 2 of the 3 served: the unserved 192.0.2.4 never */
		CU_ASSERT_EQUAL_FATAL(ldns_pkt_ancount(r), 2);
		CU_ASSERT_EQUAL(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(r), 0)), 30);
		a = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0));
		b = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(r), 1), 0));
		CU_ASSERT(strcmp(a, "192.0.2.4") != 0 && strcmp(b, "192.0.2.4") != 0);
		CU_ASSERT(strcmp(a, b) != 0);
		/* rotated: each query starts one further */
		if (i < 2)
			snprintf(seen[i], sizeof(seen[i]), "%s", a);
		else
			CU_ASSERT(strcmp(seen[0], seen[1]) != 0 && strcmp(a, seen[0]) != 0 &&
				  strcmp(a, seen[1]) != 0);
		free(a);
		free(b);
		ldns_pkt_free(r);
	}
	CU_ASSERT_FATAL(ask("ntp.pool.test", LDNS_RR_TYPE_AAAA, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(r), 1);
	CU_ASSERT_EQUAL(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(r), 0)),
			LDNS_RR_TYPE_AAAA);
	ldns_pkt_free(r);
	CU_ASSERT_EQUAL(db.dns_rcode[LDNS_RCODE_NOERROR], 4);
	pooldb_fini(&db);
}

static void
test_negative(void)
{
	ldns_pkt *r;
	ldns_rr *soa;

	setup();
	/* an empty pool: NODATA (NOERROR, no answer, the SOA in authority), never SERVFAIL */
	CU_ASSERT_FATAL(ask("empty.pool.test", LDNS_RR_TYPE_A, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	CU_ASSERT(ldns_pkt_aa(r));
	CU_ASSERT_EQUAL(ldns_pkt_ancount(r), 0);
	soa = soa_of(r, LDNS_SECTION_AUTHORITY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(soa);
	/* the negative TTL: the shortest pool TTL (RFC 2308 section 5) */
	CU_ASSERT_EQUAL(ldns_rr_ttl(soa), 20);
	CU_ASSERT_EQUAL(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), 2024);
	CU_ASSERT_EQUAL(ldns_rdf2native_int32(ldns_rr_rdf(soa, 6)), 20);
	ldns_pkt_free(r);
	/* a family the pool lacks: NODATA as well */
	pooldb_fini(&db);
	setup();
	db.pool[0].member[0]->addr[1].served = 0;
	CU_ASSERT_FATAL(ask("ntp.pool.test", LDNS_RR_TYPE_AAAA, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(r), 0);
	CU_ASSERT_PTR_NOT_NULL(soa_of(r, LDNS_SECTION_AUTHORITY));
	ldns_pkt_free(r);
	/* another type at a pool name: NODATA */
	CU_ASSERT_FATAL(ask("ntp.pool.test", LDNS_RR_TYPE_MX, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
	/* a name in the zone that does not exist: NXDOMAIN, AA, the SOA */
	CU_ASSERT_FATAL(ask("nope.pool.test", LDNS_RR_TYPE_A, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	CU_ASSERT(ldns_pkt_aa(r));
	CU_ASSERT_PTR_NOT_NULL(soa_of(r, LDNS_SECTION_AUTHORITY));
	ldns_pkt_free(r);
	CU_ASSERT_FATAL(ask("x.ntp.pool.test", LDNS_RR_TYPE_A, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(r);
	/* an empty non-terminal exists (RFC 8020): NODATA */
	CU_ASSERT_FATAL(ask("deep.pool.test", LDNS_RR_TYPE_A, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
	/* the apex: SOA answered; NS is NODATA */
	CU_ASSERT_FATAL(ask("pool.test", LDNS_RR_TYPE_SOA, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	CU_ASSERT(ldns_pkt_aa(r));
	CU_ASSERT_PTR_NOT_NULL(soa_of(r, LDNS_SECTION_ANSWER));
	ldns_pkt_free(r);
	CU_ASSERT_FATAL(ask("pool.test", LDNS_RR_TYPE_NS, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(r), 0);
	CU_ASSERT_PTR_NOT_NULL(soa_of(r, LDNS_SECTION_AUTHORITY));
	ldns_pkt_free(r);
	/* outside the zone: REFUSED, not authoritative */
	CU_ASSERT_FATAL(ask("example.com", LDNS_RR_TYPE_A, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	CU_ASSERT(!ldns_pkt_aa(r));
	CU_ASSERT_EQUAL(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
	CU_ASSERT_FATAL(ask("xpool.test", LDNS_RR_TYPE_A, 0, &r) > 0);
	CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	ldns_pkt_free(r);
	CU_ASSERT_EQUAL(db.dns_rcode[LDNS_RCODE_NXDOMAIN], 2);
	CU_ASSERT_EQUAL(db.dns_rcode[LDNS_RCODE_REFUSED], 2);
	pooldb_fini(&db);
}

static void
test_malformed(void)
{
	/* header: ID 0xabcd, RD, QDCOUNT 1, then a question cut short */
	uint8_t q[64] = {0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 3, 'n', 't'};
	ldns_pkt *p;
	uint8_t *wire;
	size_t len, i;
	int n;

	setup();
	n = pooldns_answer(&db, q, 15, 1, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(n, 12);
	CU_ASSERT_EQUAL(out[0], 0xab);
	CU_ASSERT_EQUAL(out[1], 0xcd);
	CU_ASSERT_EQUAL(out[2] & 0x80, 0x80);
	CU_ASSERT_EQUAL(out[3] & 0x0f, LDNS_RCODE_FORMERR);
	/* a runt and a response: no answer at all */
	CU_ASSERT_EQUAL(pooldns_answer(&db, q, 11, 1, out, sizeof(out)), 0);
	q[2] |= 0x80;
	CU_ASSERT_EQUAL(pooldns_answer(&db, q, 15, 1, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(db.dns_dropped, 2);

	/* two questions: FORMERR */
	p = ldns_pkt_query_new(ldns_dname_new_frm_str("ntp.pool.test"), LDNS_RR_TYPE_A,
			       LDNS_RR_CLASS_IN, 0);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION,
			 ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(p), 0)));
	ldns_pkt2wire(&wire, p, &len);
	n = pooldns_answer(&db, wire, len, 1, out, sizeof(out));
	CU_ASSERT(n >= 12 && (out[3] & 0x0f) == LDNS_RCODE_FORMERR);
	free(wire);
	ldns_pkt_free(p);
	/* an opcode we do not serve (UPDATE to the registrar): NOTIMP */
	p = ldns_pkt_query_new(ldns_dname_new_frm_str("ntp.pool.test"), LDNS_RR_TYPE_A,
			       LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
	ldns_pkt2wire(&wire, p, &len);
	n = pooldns_answer(&db, wire, len, 1, out, sizeof(out));
	CU_ASSERT(n >= 12 && (out[3] & 0x0f) == LDNS_RCODE_NOTIMPL);
	free(wire);
	ldns_pkt_free(p);
	/* CHAOS class: REFUSED */
	p = ldns_pkt_query_new(ldns_dname_new_frm_str("ntp.pool.test"), LDNS_RR_TYPE_TXT,
			       LDNS_RR_CLASS_CH, 0);
	ldns_pkt2wire(&wire, p, &len);
	n = pooldns_answer(&db, wire, len, 1, out, sizeof(out));
	CU_ASSERT(n >= 12 && (out[3] & 0x0f) == LDNS_RCODE_REFUSED);
	/* every truncation and a bit flip at each position: an answer or nothing, no crash */
	for (i = 0; i < len; i++)
		pooldns_answer(&db, wire, i, 1, out, sizeof(out));
	for (i = 0; i < len * 8; i++) {
		wire[i / 8] ^= (uint8_t)(1 << (i % 8));
		n = pooldns_answer(&db, wire, len, 1, out, sizeof(out));
		CU_ASSERT(n >= 0);
		wire[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	free(wire);
	ldns_pkt_free(p);
	pooldb_fini(&db);
}

static void
test_edns_trim(void)
{
	ldns_pkt *r;
	int n;

	setup();
	/* 16 AAAA answers do not fit 512 octets: fewer, never TC */
	n = ask(LONG, LDNS_RR_TYPE_AAAA, 0, &r);
	CU_ASSERT(n > 0 && n <= 512);
	CU_ASSERT(!ldns_pkt_tc(r));
	CU_ASSERT(ldns_pkt_ancount(r) >= 12 && ldns_pkt_ancount(r) < 16);
	ldns_pkt_free(r);
	/* with EDNS 1232 all 16 fit, and the answer carries an OPT */
	n = ask(LONG, LDNS_RR_TYPE_AAAA, 4096, &r);
	CU_ASSERT(n > 512 && n <= POOLDNS_UDP_MAX);
	CU_ASSERT_EQUAL(ldns_pkt_ancount(r), 16);
	CU_ASSERT_EQUAL(ldns_pkt_edns_udp_size(r), POOLDNS_UDP_MAX);
	ldns_pkt_free(r);
	pooldb_fini(&db);
}

static void
test_update(void)
{
	struct poolupdate u;
	ldns_pkt *p;
	uint8_t *wire;
	size_t len, i;
	ldns_rdf *mac;
	ldns_rr_list *up;
	ldns_rr *tsig;
	ldns_rdf *key;
	int adds = 0, dels = 0;

	setup();
	memset(&u, 0, sizeof(u));
	snprintf(u.zone, sizeof(u.zone), "pool.test.");
	snprintf(u.key_name, sizeof(u.key_name), "strata-pool.");
	snprintf(u.alg, sizeof(u.alg), "hmac-sha256.");
	snprintf(u.secret, sizeof(u.secret), "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
	CU_ASSERT_EQUAL_FATAL(
		poolupdate_build(&u, &db, &db.pool[0], 0x4242, &wire, &len, (void **)&mac), 0);
	CU_ASSERT_PTR_NOT_NULL(mac);
	CU_ASSERT_FATAL(ldns_wire2pkt(&p, wire, len) == LDNS_STATUS_OK);
	CU_ASSERT_EQUAL(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
	CU_ASSERT_EQUAL(ldns_pkt_id(p), 0x4242);
	/* the zone section: pool.test SOA */
	CU_ASSERT_EQUAL(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(p), 0)),
			LDNS_RR_TYPE_SOA);
	/* the update section (ldns: authority): delete A and AAAA, add the 4 served */
	up = ldns_pkt_authority(p);
	for (i = 0; i < ldns_rr_list_rr_count(up); i++) {
		ldns_rr *rr = ldns_rr_list_rr(up, i);

		if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_ANY && ldns_rr_rd_count(rr) == 0)
			dels++;
		else if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN && ldns_rr_ttl(rr) == 30)
			adds++;
	}
	CU_ASSERT_EQUAL(dels, 2);
	CU_ASSERT_EQUAL(adds, 4);
	/* the TSIG verifies with the key, and not with another */
	tsig = ldns_pkt_tsig(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tsig);
	CU_ASSERT(ldns_pkt_tsig_verify(p, wire, len, "strata-pool.", u.secret, NULL));
	CU_ASSERT(!ldns_pkt_tsig_verify(p, wire, len, "strata-pool.",
					"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWc=", NULL));
	/* the key's name, which the primary looks the key up by */
	key = ldns_dname_new_frm_str("strata-pool");
	CU_ASSERT_EQUAL(ldns_dname_compare(ldns_rr_owner(tsig), key), 0);
	ldns_rdf_deep_free(key);
	wire[20] ^= 1;
	ldns_pkt_free(p);
	CU_ASSERT_FATAL(ldns_wire2pkt(&p, wire, len) == LDNS_STATUS_OK);
	CU_ASSERT(!ldns_pkt_tsig_verify(p, wire, len, "strata-pool.", u.secret, NULL));
	ldns_pkt_free(p);
	ldns_rdf_deep_free(mac);
	free(wire);
	/* an empty pool: only the deletions */
	CU_ASSERT_EQUAL_FATAL(poolupdate_build(&u, &db, &db.pool[1], 1, &wire, &len, NULL), 0);
	CU_ASSERT_FATAL(ldns_wire2pkt(&p, wire, len) == LDNS_STATUS_OK);
	CU_ASSERT_EQUAL(ldns_pkt_nscount(p), 2);
	ldns_pkt_free(p);
	free(wire);
	pooldb_fini(&db);
}

/*
 * ANY, the amplifier: at a pool and at the apex one synthesized HINFO
 * "RFC8482" (RFC 8482 section 4.2), over UDP with EDNS and over TCP, so the
 * answer is the query plus one small record whatever the pool holds. Before,
 * LONG's 16 addresses made the answer about 5 times the query (15 times for
 * a short name with both families).
 */
static void
test_any_minimal(void)
{
	static const char *const names[] = {LONG, "ntp.pool.test", "pool.test"};
	unsigned int i, tcp;

	setup();
	for (i = 0; i < 3; i++)
		for (tcp = 0; tcp < 2; tcp++) {
			ldns_pkt *q =
				ldns_pkt_query_new(ldns_dname_new_frm_str(names[i]),
						   LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_IN, LDNS_RD);
			ldns_pkt *r = NULL;
			const ldns_rr *rr;
			uint8_t *wire;
			size_t qlen;
			int n;

			ldns_pkt_set_id(q, 0x4321);
			ldns_pkt_set_edns_udp_size(q, 4096);
			CU_ASSERT_FATAL(ldns_pkt2wire(&wire, q, &qlen) == LDNS_STATUS_OK);
			n = pooldns_answer(&db, wire, qlen, !tcp, out, sizeof(out));
			free(wire);
			ldns_pkt_free(q);
			printf("\n    ANY %s over %s: query %zu octets, answer %d (%.2fx)",
			       names[i], tcp ? "TCP" : "UDP", qlen, n, (double)n / (double)qlen);
			/* the question and OPT are echoed; the HINFO is 2+10+8+1 octets */
			CU_ASSERT(n > 0 && (size_t)n <= qlen + 21);
			CU_ASSERT_FATAL(n > 0 &&
					ldns_wire2pkt(&r, out, (size_t)n) == LDNS_STATUS_OK);
			CU_ASSERT_EQUAL(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
			CU_ASSERT(ldns_pkt_aa(r));
			CU_ASSERT_EQUAL_FATAL(ldns_pkt_ancount(r), 1);
			rr = ldns_rr_list_rr(ldns_pkt_answer(r), 0);
			CU_ASSERT_EQUAL(ldns_rr_get_type(rr), LDNS_RR_TYPE_HINFO);
			CU_ASSERT_EQUAL(ldns_rr_ttl(rr), i == 0 ? 60u : i == 1 ? 30u : 20u);
			CU_ASSERT(ldns_rr_rd_count(rr) == 2 &&
				  ldns_rdf_size(ldns_rr_rdf(rr, 0)) == 8 &&
				  memcmp(ldns_rdf_data(ldns_rr_rdf(rr, 0)), "\7RFC8482", 8) == 0);
			ldns_pkt_free(r);
		}
	pooldb_fini(&db);
}

static const struct test_case cases[] = {
	TEST_CASE(test_answers),   TEST_CASE(test_negative), TEST_CASE(test_malformed),
	TEST_CASE(test_edns_trim), TEST_CASE(test_update),   TEST_CASE(test_any_minimal),
};

CUNIT_MAIN("pooldns", cases)
