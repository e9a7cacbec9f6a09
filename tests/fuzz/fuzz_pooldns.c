/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for strata-pool's DNS responder: pooldns_answer() in
 * pool/pooldns.c, which the UDP and TCP listeners of strata-pool.c call
 * with what any host sends them. Built by clang with libFuzzer and
 * ASan/UBSan (its leak checker catches an ldns object not freed), and by
 * the project compiler with fuzz_main.c.
 *
 * The input is one query. It is answered as over UDP, then as over TCP,
 * by a registrar for the zone pool.test with two pools: ntp.pool.test
 * (3 IPv4 and 1 IPv6 served, 1 IPv4 not, 2 answers) and big.eu.pool.test
 * (20 IPv4 and 40 IPv6 served, 16 answers: more than 512 octets of AAAA). Each answer is
 * checked against docs/pool.md "DNS" and RFC 1035, with a model of the
 * zone written here on the query's labels, not with pooldns.c's code:
 *  - runts and responses (QR set) get no answer, anything else one;
 *  - the answer parses, has QR, the query's ID and opcode, and is no
 *    longer than 512 octets over UDP, or the client's EDNS size up to 1232;
 *  - what ldns cannot parse gets a bare FORMERR header; opcodes other than
 *    QUERY NOTIMP; a question count other than 1 FORMERR; an EDNS version
 *    above 0 BADVERS (RFC 6891 section 6.1.3);
 *  - a class other than IN and ANY, or a name outside the zone: REFUSED
 *    without AA; in the zone AA, and: at a pool, NOERROR with up to
 *    `answers` served addresses of the type asked (exactly that many over
 *    TCP), each once, with the pool's TTL; ANY at a pool or the apex one
 *    HINFO (RFC 8482 section 4.2); at the apex or an empty
 *    non-terminal NOERROR; elsewhere NXDOMAIN; with no answer, the SOA in
 *    the authority section (RFC 2308).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "pooldns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TCP_MAX 65535
#define N_V4 20
#define N_V6 40

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static struct pooldb db;
static uint8_t out[TCP_MAX];

/* The zone's names as labels; index 0 the apex, then the pools, then the empty non-terminal. */
static const char *const names[] = {"pool.test", "ntp.pool.test", "big.eu.pool.test",
				    "eu.pool.test"};
enum { N_APEX, N_NTP, N_BIG, N_ENT, N_OTHER_IN_ZONE, N_OUTSIDE };

static void
add_member(struct pcfg *c, unsigned int pool, int af, const char *addr)
{
	struct pcfg_member *m = &c->member[c->n_member++];
	struct sockaddr_storage *ss = &m->addr[m->n_addr++];

	m->pool = pool;
	ss->ss_family = (sa_family_t)af;
	CHECK(inet_pton(af, addr,
			af == AF_INET ? (void *)&((struct sockaddr_in *)ss)->sin_addr
				      : (void *)&((struct sockaddr_in6 *)ss)->sin6_addr) == 1);
}

static void
setup(void)
{
	static struct pcfg c;
	unsigned int i, j;
	char s[64];

	strcpy(c.zone, names[N_APEX]);
	strcpy(c.pool[0].name, names[N_NTP]);
	c.pool[0].answers = 2;
	c.pool[0].ttl = 30;
	strcpy(c.pool[1].name, names[N_BIG]);
	c.pool[1].answers = 16;
	c.pool[1].ttl = 60;
	c.n_pool = 2;
	add_member(&c, 0, AF_INET, "192.0.2.1");
	add_member(&c, 0, AF_INET, "192.0.2.2");
	add_member(&c, 0, AF_INET, "192.0.2.3");
	add_member(&c, 0, AF_INET6, "2001:db8::1");
	add_member(&c, 0, AF_INET, "192.0.2.4"); /* not served */
	for (i = 0; i < N_V6; i++) {
		snprintf(s, sizeof(s), "2001:db8:1::%x", i + 1);
		add_member(&c, 1, AF_INET6, s);
	}
	for (i = 0; i < N_V4; i++) {
		snprintf(s, sizeof(s), "198.51.100.%u", i + 1);
		add_member(&c, 1, AF_INET, s);
	}
	c.interval = 16;
	CHECK(pooldb_init(&db, &c, 0) == 0);
	db.serial = 2026112501;
	for (i = 0; i < db.n_pool; i++)
		for (j = 0; j < db.pool[i].n_member; j++)
			db.pool[i].member[j]->addr[0].served = !(i == 0 && j == 4);
}

/* 1 if the wire-format name @w (labels, root last) is the dotted @name, any case. */
static int
name_is(const uint8_t *w, size_t wlen, const char *name)
{
	size_t pos = 0, i;

	for (;;) {
		const char *dot = strchr(name, '.');
		size_t l = dot != NULL ? (size_t)(dot - name) : strlen(name);

		if (pos >= wlen || w[pos] != l || pos + 1 + l > wlen)
			return 0;
		for (i = 0; i < l; i++)
			if (tolower(w[pos + 1 + i]) != name[i])
				return 0;
		pos += 1 + l;
		if (dot == NULL)
			return pos < wlen && w[pos] == 0;
		name = dot + 1;
	}
}

/* Where the question's name stands in the model of the zone. */
static int
classify(const ldns_rdf *qname)
{
	const uint8_t *w = ldns_rdf_data(qname);
	size_t wlen = ldns_rdf_size(qname), pos = 0;
	int i;

	for (i = 0; i < N_OTHER_IN_ZONE; i++)
		if (name_is(w, wlen, names[i]))
			return i;
	/* below the apex: some suffix of the labels is the apex */
	while (pos < wlen && w[pos] != 0) {
		pos += 1 + w[pos];
		if (pos < wlen && name_is(w + pos, wlen - pos, names[N_APEX]))
			return N_OTHER_IN_ZONE;
	}
	return N_OUTSIDE;
}

static unsigned int
served(int pool, ldns_rr_type t)
{
	if (pool == N_NTP)
		return t == LDNS_RR_TYPE_A ? 3 : 1;
	return t == LDNS_RR_TYPE_A ? N_V4 : N_V6;
}

/* The answers a pool owes for @t, at most `answers` per family (docs/pool.md). */
static unsigned int
owed(int pool, ldns_rr_type t)
{
	unsigned int max = pool == N_NTP ? 2 : 16, a, aaaa;

	a = served(pool, LDNS_RR_TYPE_A) < max ? served(pool, LDNS_RR_TYPE_A) : max;
	aaaa = served(pool, LDNS_RR_TYPE_AAAA) < max ? served(pool, LDNS_RR_TYPE_AAAA) : max;
	if (t == LDNS_RR_TYPE_A)
		return a;
	if (t == LDNS_RR_TYPE_AAAA)
		return aaaa;
	return 0;
}

static void
check_answers(const ldns_pkt *r, const ldns_rr *q, int where, int tcp)
{
	ldns_rr_type t = ldns_rr_get_type(q);
	const ldns_rr_list *an = ldns_pkt_answer(r);
	unsigned int i, j, n = (unsigned int)ldns_rr_list_rr_count(an);

	if ((where == N_NTP || where == N_BIG || where == N_APEX) && t == LDNS_RR_TYPE_ANY) {
		/* RFC 8482 section 4.2: one synthesized HINFO, never the pool's addresses */
		CHECK(ldns_pkt_get_rcode(r) == LDNS_RCODE_NOERROR);
		CHECK(n == 1 && ldns_rr_get_type(ldns_rr_list_rr(an, 0)) == LDNS_RR_TYPE_HINFO);
		CHECK(ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(an, 0)), ldns_rr_owner(q)) ==
		      0);
		return;
	} else if (where == N_NTP || where == N_BIG) {
		CHECK(ldns_pkt_get_rcode(r) == LDNS_RCODE_NOERROR);
		CHECK(n <= owed(where, t));
		if (tcp)
			CHECK(n == owed(where, t));
		for (i = 0; i < n; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(an, i);
			ldns_rr_type rt = ldns_rr_get_type(rr);

			CHECK(rt == t);
			CHECK(rt == LDNS_RR_TYPE_A || rt == LDNS_RR_TYPE_AAAA);
			CHECK(ldns_rr_ttl(rr) == (where == N_NTP ? 30u : 60u));
			CHECK(ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(q)) == 0);
			for (j = 0; j < i; j++)
				CHECK(ldns_rr_compare(rr, ldns_rr_list_rr(an, j)) != 0);
		}
	} else if (where == N_APEX && t == LDNS_RR_TYPE_SOA) {
		CHECK(ldns_pkt_get_rcode(r) == LDNS_RCODE_NOERROR);
		CHECK(n == 1 && ldns_rr_get_type(ldns_rr_list_rr(an, 0)) == LDNS_RR_TYPE_SOA);
		return;
	} else {
		CHECK(n == 0);
		CHECK(ldns_pkt_get_rcode(r) ==
		      (where == N_OTHER_IN_ZONE ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR));
	}
	if (n == 0) {
		/* NODATA and NXDOMAIN carry the SOA for negative caching (RFC 2308 section 3) */
		CHECK(ldns_pkt_nscount(r) == 1);
		CHECK(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(r), 0)) ==
		      LDNS_RR_TYPE_SOA);
	}
}

static void
check(const uint8_t *q, size_t qlen, int tcp)
{
	size_t size = tcp ? TCP_MAX : POOLDNS_UDP_MAX, limit = tcp ? TCP_MAX : POOLDNS_UDP_MIN;
	ldns_pkt *qp = NULL, *r = NULL;
	const ldns_rr *qrr;
	int len, where;

	len = pooldns_answer(&db, q, qlen, !tcp, out, size);
	if (qlen < 12 || (q[2] & 0x80) != 0) {
		CHECK(len == 0);
		return;
	}
	CHECK(len >= 12 && (size_t)len <= size);
	CHECK(ldns_wire2pkt(&r, out, (size_t)len) == LDNS_STATUS_OK);
	CHECK(ldns_pkt_qr(r) && ldns_pkt_id(r) == (uint16_t)(q[0] << 8 | q[1]));
	CHECK(!ldns_pkt_tc(r));
	if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK) {
		CHECK(len == 12 && ldns_pkt_get_rcode(r) == LDNS_RCODE_FORMERR);
		CHECK(ldns_pkt_get_opcode(r) == (ldns_pkt_opcode)((q[2] >> 3) & 15));
		goto out;
	}
	CHECK(ldns_pkt_get_opcode(r) == ldns_pkt_get_opcode(qp));
	CHECK(ldns_pkt_rd(r) == ldns_pkt_rd(qp));
	if (ldns_pkt_get_opcode(qp) != LDNS_PACKET_QUERY) {
		CHECK(ldns_pkt_get_rcode(r) == LDNS_RCODE_NOTIMPL);
		goto out;
	}
	if (ldns_pkt_qdcount(qp) != 1) {
		CHECK(ldns_pkt_get_rcode(r) == LDNS_RCODE_FORMERR);
		goto out;
	}
	CHECK(ldns_pkt_qdcount(r) == 1);
	qrr = ldns_rr_list_rr(ldns_pkt_question(qp), 0);
	CHECK(ldns_rr_compare(qrr, ldns_rr_list_rr(ldns_pkt_question(r), 0)) == 0);
	if (ldns_pkt_edns(qp)) {
		uint16_t want = ldns_pkt_edns_udp_size(qp);

		/* RFC 6891 section 6.2.5: the requestor's size, 512 at least, 1232 at most here */
		CHECK(ldns_pkt_edns(r) && ldns_pkt_edns_udp_size(r) == POOLDNS_UDP_MAX);
		if (!tcp && want > POOLDNS_UDP_MIN)
			limit = want < POOLDNS_UDP_MAX ? want : POOLDNS_UDP_MAX;
		if (ldns_pkt_edns_version(qp) > 0) {
			CHECK(ldns_pkt_edns_extended_rcode(r) == 1 && ldns_pkt_ancount(r) == 0);
			goto out;
		}
	}
	CHECK(ldns_pkt_edns_extended_rcode(r) == 0);
	where = classify(ldns_rr_owner(qrr));
	if ((ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN &&
	     ldns_rr_get_class(qrr) != LDNS_RR_CLASS_ANY) ||
	    where == N_OUTSIDE) {
		CHECK(ldns_pkt_get_rcode(r) == LDNS_RCODE_REFUSED && !ldns_pkt_aa(r));
		CHECK(ldns_pkt_ancount(r) == 0 && ldns_pkt_nscount(r) == 0);
		goto out;
	}
	CHECK(ldns_pkt_aa(r));
	check_answers(r, qrr, where, tcp);
out:
	CHECK((size_t)len <= limit);
	ldns_pkt_free(qp);
	ldns_pkt_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	uint8_t *copy;

	if (!ready) {
		setup();
		ready = 1;
	}
	/* exactly the input's size, so that ASan sees any read past it */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	check(copy, size, 0);
	check(copy, size, 1);
	free(copy);
	return 0;
}
