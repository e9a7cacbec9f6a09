/* SPDX-License-Identifier: BSD-3-Clause */
#include "pooldns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "poolconf.h"

unsigned int
pooldns_soa_ttl(const struct pooldb *db)
{
	unsigned int i, ttl = PCFG_TTL_DEFAULT;

	for (i = 0; i < db->n_pool; i++)
		if (i == 0 || db->pool[i].cfg.ttl < ttl)
			ttl = db->pool[i].cfg.ttl;
	return ttl;
}

static ldns_rr *
soa_rr(const struct pooldb *db)
{
	unsigned int ttl = pooldns_soa_ttl(db);
	ldns_rr *rr = NULL;
	char s[3 * POOLREG_NAME_MAX + 128];

	/*
	 * The registrar is the zone's only source: MNAME is the apex itself.
	 * MINIMUM and the TTL are the negative-caching time (RFC 2308 section
	 * 5): as short as the shortest pool TTL, so a member back in service
	 * is not hidden by a cached NODATA for longer than by a cached answer.
	 */
	snprintf(s, sizeof(s), "%s. %u IN SOA %s. hostmaster.%s. %u 3600 600 86400 %u", db->zone,
		 ttl, db->zone, db->zone, db->serial, ttl);
	if (ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL) != LDNS_STATUS_OK)
		return NULL;
	return rr;
}

static ldns_rr *
addr_rr(const ldns_rdf *owner, unsigned int ttl, const struct sockaddr_storage *ss)
{
	int v4 = ss->ss_family == AF_INET;
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *rd;

	if (rr == NULL)
		return NULL;
	rd = v4 ? ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4,
					&((const struct sockaddr_in *)ss)->sin_addr)
		: ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16,
					&((const struct sockaddr_in6 *)ss)->sin6_addr);
	if (rd == NULL || !ldns_rr_push_rdf(rr, rd)) {
		ldns_rdf_deep_free(rd);
		ldns_rr_free(rr);
		return NULL;
	}
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, v4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}

/* Up to answers addresses of @af, starting at the pool's rotor (round robin). */
static int
add_addrs(ldns_pkt *r, struct pool *p, const ldns_rdf *owner, int af)
{
	const struct sockaddr_storage *a[POOL_MAX_MEMBERS * POOLREG_MAX_ADDRS];
	unsigned int n = pooldb_served(p, af, a, sizeof(a) / sizeof(a[0])), i;

	for (i = 0; i < n && i < p->cfg.answers; i++) {
		ldns_rr *rr = addr_rr(owner, p->cfg.ttl, a[(p->rotor + i) % n]);

		if (rr == NULL || !ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr)) {
			ldns_rr_free(rr);
			return -ENOMEM;
		}
	}
	return (int)n;
}

/*
 * The answer to ANY at a name that owns data: one synthesized HINFO "RFC8482"
 * (RFC 8482 section 4.2), the same size whatever the pool holds. ANY has no
 * legitimate use against a pool name (a client that wants servers asks A or
 * AAAA), and both families of up to `answers` addresses each made the
 * answer about 15 times the query: an amplifier for spoofed queries.
 */
static ldns_rr *
hinfo_rr(const ldns_rdf *owner, unsigned int ttl)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *cpu, *os;

	if (rr == NULL)
		return NULL;
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, LDNS_RR_TYPE_HINFO);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	cpu = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_STR, "RFC8482");
	if (cpu == NULL || !ldns_rr_push_rdf(rr, cpu)) {
		ldns_rdf_deep_free(cpu);
		ldns_rr_free(rr);
		return NULL;
	}
	os = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_STR, "");
	if (os == NULL || !ldns_rr_push_rdf(rr, os)) {
		ldns_rdf_deep_free(os);
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

/* @name's place in the zone: a pool, the apex, an ancestor of a pool (empty non-terminal). */
static struct pool *
lookup(struct pooldb *db, const char *name, int *apex, int *ent)
{
	unsigned int i;

	*apex = strcmp(name, db->zone) == 0;
	*ent = 0;
	for (i = 0; i < db->n_pool; i++) {
		if (strcmp(db->pool[i].cfg.name, name) == 0)
			return &db->pool[i];
		/* RFC 8020: a name with names below it exists, NODATA not NXDOMAIN */
		if (pcfg_in_zone(db->pool[i].cfg.name, name))
			*ent = 1;
	}
	return NULL;
}

/* The rcode and sections for the question @qrr; AA for everything in the zone. */
static int
fill(struct pooldb *db, ldns_pkt *r, const ldns_rr *qrr)
{
	const ldns_rdf *qname = ldns_rr_owner(qrr);
	ldns_rr_type qtype = ldns_rr_get_type(qrr);
	ldns_rdf *zone = ldns_dname_new_frm_str(db->zone);
	char *s = ldns_rdf2str(qname);
	struct pool *p = NULL;
	int apex = 0, ent = 0, n = 0, ret = 0;
	ldns_rr *soa;

	if (zone == NULL || s == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	if (ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN &&
	    ldns_rr_get_class(qrr) != LDNS_RR_CLASS_ANY) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_REFUSED);
		goto out;
	}
	if (ldns_dname_compare(qname, zone) != 0 && !ldns_dname_is_subdomain(qname, zone)) {
		/* not ours; an authoritative-only server does not recurse (RFC 1034 section 4.3.1)
		 */
		ldns_pkt_set_rcode(r, LDNS_RCODE_REFUSED);
		goto out;
	}
	ldns_pkt_set_aa(r, true);
	pcfg_name_norm(s);
	/* an escaped dot or odd octet names no pool: ldns prints those with a backslash */
	if (strchr(s, '\\') == NULL)
		p = lookup(db, s, &apex, &ent);
	if ((p != NULL || apex) && qtype == LDNS_RR_TYPE_ANY) {
		ldns_rr *hinfo = hinfo_rr(qname, p != NULL ? p->cfg.ttl : pooldns_soa_ttl(db));

		if (hinfo == NULL || !ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, hinfo)) {
			ldns_rr_free(hinfo);
			ret = -ENOMEM;
		}
		goto out;
	} else if (p != NULL) {
		if (qtype == LDNS_RR_TYPE_A)
			n += add_addrs(r, p, qname, AF_INET);
		if (qtype == LDNS_RR_TYPE_AAAA)
			n += add_addrs(r, p, qname, AF_INET6);
		if (n < 0) {
			ret = n;
			goto out;
		}
		p->rotor++;
	} else if (apex && qtype == LDNS_RR_TYPE_SOA) {
		soa = soa_rr(db);
		if (soa == NULL || !ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, soa)) {
			ldns_rr_free(soa);
			ret = -ENOMEM;
		}
		goto out;
	} else if (!apex && !ent) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_NXDOMAIN);
	}
	if (ldns_pkt_ancount(r) == 0) {
		/*
		 * NODATA or NXDOMAIN: the SOA in the authority section gives
		 * resolvers the negative-caching time (RFC 2308 sections 2.1,
		 * 2.2 and 3). An empty pool is NODATA, never SERVFAIL: the
		 * name exists and the answer is authoritative (docs/pool.md).
		 */
		soa = soa_rr(db);
		if (soa == NULL || !ldns_pkt_push_rr(r, LDNS_SECTION_AUTHORITY, soa)) {
			ldns_rr_free(soa);
			ret = -ENOMEM;
		}
	}
out:
	free(s);
	ldns_rdf_deep_free(zone);
	return ret;
}

/* The wire form of @r in @out, trimmed to @limit octets by dropping answers from the end. */
static int
to_wire(ldns_pkt *r, size_t limit, uint8_t *out, size_t size)
{
	uint8_t *wire = NULL;
	size_t len = 0;

	for (;;) {
		if (ldns_pkt2wire(&wire, r, &len) != LDNS_STATUS_OK)
			return -ENOMEM;
		if (len <= limit || ldns_pkt_ancount(r) == 0)
			break;
		/*
		 * Fewer addresses rather than TC: any subset of a pool is a
		 * complete answer to a client that wants a few servers (RFC
		 * 2181 section 9: TC only when required data is missing).
		 */
		free(wire);
		wire = NULL;
		ldns_rr_free(ldns_rr_list_pop_rr(ldns_pkt_answer(r)));
		ldns_pkt_set_ancount(r, ldns_rr_list_rr_count(ldns_pkt_answer(r)));
	}
	if (len > limit || len > size) {
		free(wire);
		return -EMSGSIZE;
	}
	memcpy(out, wire, len);
	free(wire);
	return (int)len;
}

/* FORMERR for a query ldns cannot parse: the header echoed, nothing else (RFC 1035 section 4.1.1)
 */
static int
formerr(struct pooldb *db, const uint8_t *q, uint8_t *out, size_t size)
{
	if (size < 12)
		return -EMSGSIZE;
	memset(out, 0, 12);
	out[0] = q[0];
	out[1] = q[1];
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, the opcode and RD echoed */
	out[3] = LDNS_RCODE_FORMERR;
	db->dns_rcode[LDNS_RCODE_FORMERR]++;
	return 12;
}

int
pooldns_answer(struct pooldb *db, const uint8_t *q, size_t qlen, int udp, uint8_t *out, size_t size)
{
	ldns_pkt *qp = NULL, *r = NULL;
	size_t limit = udp ? POOLDNS_UDP_MIN : size;
	unsigned int rcode;
	int ret;

	/* a runt has no ID to answer to; a response is never answered (no loops) */
	if (qlen < 12 || (q[2] & 0x80) != 0) {
		db->dns_dropped++;
		return 0;
	}
	if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK)
		return formerr(db, q, out, size);
	r = ldns_pkt_new();
	if (r == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	ldns_pkt_set_id(r, ldns_pkt_id(qp));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(qp));
	ldns_pkt_set_rd(r, ldns_pkt_rd(qp));
	if (ldns_pkt_get_opcode(qp) != LDNS_PACKET_QUERY) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_NOTIMPL);
	} else if (ldns_pkt_qdcount(qp) != 1) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_FORMERR);
	} else {
		ldns_rr *qrr = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(qp), 0));

		if (qrr == NULL || !ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, qrr)) {
			ldns_rr_free(qrr);
			ret = -ENOMEM;
			goto out;
		}
		if (ldns_pkt_edns(qp)) {
			/* RFC 6891 section 6.2.5: the requestor's size, within our bounds */
			ldns_pkt_set_edns_udp_size(r, POOLDNS_UDP_MAX);
			if (udp && ldns_pkt_edns_udp_size(qp) > POOLDNS_UDP_MIN)
				limit = ldns_pkt_edns_udp_size(qp) < POOLDNS_UDP_MAX
						? ldns_pkt_edns_udp_size(qp)
						: POOLDNS_UDP_MAX;
		}
		if (ldns_pkt_edns(qp) && ldns_pkt_edns_version(qp) > 0) {
			/* RFC 6891 section 6.1.3: only version 0 exists */
			ldns_pkt_set_edns_extended_rcode(r, 1);
			db->dns_rcode[POOLDNS_RCODE_BADVERS]++;
			ret = to_wire(r, limit, out, size);
			goto out;
		}
		ret = fill(db, r, qrr);
		if (ret < 0)
			goto out;
	}
	rcode = ldns_pkt_get_rcode(r);
	db->dns_rcode[rcode & 15]++;
	ret = to_wire(r, limit, out, size);
out:
	ldns_pkt_free(qp);
	ldns_pkt_free(r);
	return ret;
}
