/* SPDX-License-Identifier: BSD-3-Clause */
#include "poolupdate.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <ldns/ldns.h>
#include <openssl/evp.h>

#include <strata/ntp.h>

#include "log.h"

static int
read_secret(const char *path, char *out, size_t size, char *err, size_t errlen)
{
	uint8_t raw[sizeof(((struct poolupdate *)0)->secret)];
	FILE *f = fopen(path, "re");
	size_t n;
	int len;

	if (f == NULL) {
		snprintf(err, errlen, "cannot open TSIG key file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fgets(out, (int)size, f) == NULL)
		out[0] = '\0';
	fclose(f);
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	len = n % 4 == 0 && n < sizeof(raw) ? EVP_DecodeBlock(raw, (const uint8_t *)out, (int)n)
					    : -1;
	/* RFC 8945 section 6.1: a key at least as long as the HMAC's output is the advice */
	if (len < 16) {
		snprintf(err, errlen,
			 "TSIG key file %s does not hold one line of base64 of at least 16 octets "
			 "(hint: head -c 32 /dev/urandom | base64 > %s, and the same secret in the "
			 "primary's key)",
			 path, path);
		return -EINVAL;
	}
	return 0;
}

int
poolupdate_init(struct poolupdate *u, const struct pcfg *c, char *err, size_t errlen)
{
	int ret;

	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->server = c->update;
	snprintf(u->zone, sizeof(u->zone), "%s.", c->update_zone);
	snprintf(u->key_name, sizeof(u->key_name), "%s.", c->tsig_name);
	snprintf(u->alg, sizeof(u->alg), "%s.", c->tsig_alg);
	ret = read_secret(c->tsig_key, u->secret, sizeof(u->secret), err, errlen);
	if (ret < 0)
		return ret;
	u->fd = socket(u->server.sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0 || connect(u->fd, (struct sockaddr *)&u->server.sa, u->server.len) < 0) {
		ret = -errno;
		snprintf(err, errlen, "update socket: %s", strerror(errno));
		return ret;
	}
	return 0;
}

void
poolupdate_fini(struct poolupdate *u)
{
	if (u->fd >= 0)
		close(u->fd);
	ldns_rdf_deep_free(u->mac);
	u->mac = NULL;
	u->fd = -1;
}

/* An update-section RR: @cls ANY with no rdata deletes the RRset (RFC 2136 section 2.5.2) */
static ldns_rr *
rr_new(const char *owner, ldns_rr_type type, ldns_rr_class cls, uint32_t ttl)
{
	ldns_rr *rr = ldns_rr_new();

	if (rr == NULL)
		return NULL;
	ldns_rr_set_owner(rr, ldns_dname_new_frm_str(owner));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, ttl);
	if (ldns_rr_owner(rr) == NULL) {
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

int
poolupdate_build(const struct poolupdate *u, const struct pooldb *db, const struct pool *p,
		 uint16_t id, uint8_t **wire, size_t *len, void **mac)
{
	const struct sockaddr_storage *a[POOL_MAX_MEMBERS * POOLREG_MAX_ADDRS];
	char owner[POOLREG_NAME_MAX + 2];
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_pkt *pkt = NULL;
	ldns_rdf *zone;
	int af, ret = -ENOMEM;
	unsigned int i, n;
	ldns_rr *rr;

	(void)db;
	snprintf(owner, sizeof(owner), "%s.", p->cfg.name);
	if (up == NULL)
		return -ENOMEM;
	/* RFC 2136 section 2.5.2: delete the RRsets, then section 2.5.1: add the served set */
	for (af = 0; af < 2; af++) {
		rr = rr_new(owner, af == 0 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_ANY,
			    0);
		if (rr == NULL || !ldns_rr_list_push_rr(up, rr))
			goto out;
	}
	for (af = 0; af < 2; af++) {
		n = pooldb_served(p, af == 0 ? AF_INET : AF_INET6, a, sizeof(a) / sizeof(a[0]));
		for (i = 0; i < n; i++) {
			rr = rr_new(owner, af == 0 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA,
				    LDNS_RR_CLASS_IN, p->cfg.ttl);
			if (rr == NULL)
				goto out;
			ldns_rr_push_rdf(
				rr,
				af == 0 ? ldns_rdf_new_frm_data(
						  LDNS_RDF_TYPE_A, 4,
						  &((const struct sockaddr_in *)a[i])->sin_addr)
					: ldns_rdf_new_frm_data(
						  LDNS_RDF_TYPE_AAAA, 16,
						  &((const struct sockaddr_in6 *)a[i])->sin6_addr));
			if (ldns_rr_rdf(rr, 0) == NULL || !ldns_rr_list_push_rr(up, rr)) {
				ldns_rr_free(rr);
				goto out;
			}
		}
	}
	zone = ldns_dname_new_frm_str(u->zone);
	if (zone == NULL)
		goto out;
	pkt = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, NULL, up, NULL);
	if (pkt == NULL)
		goto out;
	ldns_pkt_set_id(pkt, id);
	ldns_pkt_set_rd(pkt, false);
	if (ldns_pkt_tsig_sign(pkt, u->key_name, u->secret, POOLUPDATE_FUDGE, u->alg, NULL) !=
	    LDNS_STATUS_OK) {
		ret = -EINVAL;
		goto out;
	}
	if (ldns_pkt2wire(wire, pkt, len) != LDNS_STATUS_OK)
		goto out;
	if (mac != NULL)
		*mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(pkt), 3));
	ret = 0;
out:
	ldns_pkt_free(pkt);
	ldns_rr_list_deep_free(up);
	return ret;
}

static void
failed(struct poolupdate *u, struct pooldb *db, uint64_t now_ns, const char *why)
{
	struct pool *p = u->pool;
	unsigned int backoff;

	db->updates_failed++;
	p->changed = 1;
	backoff = p->update_tries < 6 ? 1u << p->update_tries : POOLUPDATE_BACKOFF_MAX;
	p->update_tries++;
	p->update_next_ns = now_ns + backoff * NSEC_PER_SEC;
	log_warn("update of %s: %s; retry in %u s", p->cfg.name, why, backoff);
	ldns_rdf_deep_free(u->mac);
	u->mac = NULL;
	u->pool = NULL;
}

uint64_t
poolupdate_next(const struct poolupdate *u, const struct pooldb *db)
{
	uint64_t next = UINT64_MAX;
	unsigned int i;

	if (u->fd < 0)
		return next;
	if (u->pool != NULL)
		return u->deadline_ns;
	for (i = 0; i < db->n_pool; i++)
		if (db->pool[i].changed && db->pool[i].update_next_ns < next)
			next = db->pool[i].update_next_ns;
	return next;
}

void
poolupdate_run(struct poolupdate *u, struct pooldb *db, uint64_t now_ns)
{
	uint8_t *wire = NULL;
	unsigned int i;
	size_t len;
	int ret;

	if (u->fd < 0)
		return;
	if (u->pool != NULL) {
		if (now_ns >= u->deadline_ns)
			failed(u, db, now_ns, "no response");
		return;
	}
	for (i = 0; i < db->n_pool; i++)
		if (db->pool[i].changed && db->pool[i].update_next_ns <= now_ns)
			break;
	if (i == db->n_pool)
		return;
	u->pool = &db->pool[i];
	u->pool->changed = 0; /* a change from now on needs another update */
	if (getrandom(&u->id, sizeof(u->id), 0) != sizeof(u->id))
		u->id = (uint16_t)rand();
	u->deadline_ns = now_ns + POOLUPDATE_TIMEOUT_NS;
	ret = poolupdate_build(u, db, u->pool, u->id, &wire, &len, &u->mac);
	if (ret == 0 && send(u->fd, wire, len, 0) < 0)
		ret = -errno;
	free(wire);
	db->updates_sent++;
	if (ret < 0)
		failed(u, db, now_ns, strerror(-ret));
}

void
poolupdate_recv(struct poolupdate *u, struct pooldb *db, uint64_t now_ns)
{
	uint8_t buf[65535];
	ldns_rdf *key = NULL, *alg = NULL;
	ldns_rr *tsig;
	ldns_pkt *r = NULL;
	ssize_t n;
	char why[64];

	n = recv(u->fd, buf, sizeof(buf), 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (u->pool == NULL)
		return; /* late or stray */
	if (n < 0) {
		failed(u, db, now_ns, strerror(errno)); /* ICMP: nobody at the primary's port */
		return;
	}
	if (ldns_wire2pkt(&r, buf, (size_t)n) != LDNS_STATUS_OK || !ldns_pkt_qr(r) ||
	    ldns_pkt_id(r) != u->id) {
		ldns_pkt_free(r);
		return; /* not the response: keep waiting until the deadline */
	}
	key = ldns_dname_new_frm_str(u->key_name);
	alg = ldns_dname_new_frm_str(u->alg);
	/*
	 * RFC 8945 section 5.3: the response is signed over our request's MAC.
	 * Another key or algorithm is refused before ldns sees it: when it
	 * cannot compute a MAC, its verify leaves the packet without its TSIG
	 * record (restored below, so that it is freed with the packet).
	 */
	tsig = ldns_pkt_tsig(r);
	if (key == NULL || alg == NULL || tsig == NULL || ldns_rr_rd_count(tsig) < 7 ||
	    ldns_rr_owner(tsig) == NULL || ldns_dname_compare(ldns_rr_owner(tsig), key) != 0 ||
	    ldns_dname_compare(ldns_rr_rdf(tsig, 0), alg) != 0 ||
	    !ldns_pkt_tsig_verify(r, buf, (size_t)n, u->key_name, u->secret, u->mac)) {
		snprintf(why, sizeof(why), "response not signed with our key (rcode %s)",
			 ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(r)) != NULL
				 ? ldns_lookup_by_id(ldns_rcodes, ldns_pkt_get_rcode(r))->name
				 : "?");
		failed(u, db, now_ns, why);
	} else if (ldns_pkt_get_rcode(r) != LDNS_RCODE_NOERROR) {
		snprintf(why, sizeof(why), "primary answered rcode %u", ldns_pkt_get_rcode(r));
		failed(u, db, now_ns, why);
	} else {
		db->updates_ok++;
		u->pool->update_tries = 0;
		ldns_rdf_deep_free(u->mac);
		u->mac = NULL;
		u->pool = NULL;
	}
	if (tsig != NULL && ldns_pkt_tsig(r) == NULL)
		ldns_pkt_set_tsig(r, tsig);
	ldns_rdf_deep_free(key);
	ldns_rdf_deep_free(alg);
	ldns_pkt_free(r);
}
