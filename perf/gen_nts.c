/* SPDX-License-Identifier: BSD-3-Clause */
#include "gen_nts.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ntstls.h"

#define KE_TIMEOUT_MS 5000

/* "NAME", "NAME:PORT", "ADDR", "[ADDR]:PORT" into @name and @port. */
static int
split_host(const char *s, char *name, size_t size, char *port)
{
	const char *colon = strrchr(s, ':'), *end;
	size_t n;

	strcpy(port, "4460");
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -1;
		if (end[1] == ':')
			snprintf(port, 6, "%s", end + 2);
		s++;
		n = (size_t)(end - s);
	} else if (colon != NULL && strchr(s, ':') == colon) {
		/* one colon: NAME:PORT or ADDR4:PORT; more: a bare IPv6 address */
		snprintf(port, 6, "%s", colon + 1);
		n = (size_t)(colon - s);
	} else {
		n = strlen(s);
	}
	if (n == 0 || n >= size || port[0] == '\0' || strspn(port, "0123456789") != strlen(port))
		return -1;
	memcpy(name, s, n);
	name[n] = '\0';
	return 0;
}

int
gen_nts_open(struct gen_nts *n, const char *host, const char *cafile, uint16_t aead,
	     unsigned int placeholders)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	struct nts_ke_response *ke = NULL;
	struct timespec t0, t1;
	char name[256], port[6], err[256];
	unsigned int i;
	int rc;

	memset(n, 0, sizeof(*n));
	n->placeholders = placeholders;
	if (split_host(host, name, sizeof(name), port) < 0) {
		fprintf(stderr, "strata-gen: --nts '%s': want NAME[:PORT] or [ADDR]:PORT\n", host);
		return -1;
	}
	rc = getaddrinfo(name, port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "strata-gen: --nts %s: %s\n", name, gai_strerror(rc));
		return -1;
	}
	n->pool = calloc(GEN_NTS_POOL, sizeof(n->pool[0]));
	ke = calloc(1, sizeof(*ke));
	if (n->pool == NULL || ke == NULL ||
	    getrandom(n->uid_key, sizeof(n->uid_key), 0) != sizeof(n->uid_key) ||
	    getrandom(n->nonce_prefix, sizeof(n->nonce_prefix), 0) != sizeof(n->nonce_prefix)) {
		perror("strata-gen");
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ntstls_fetch(name, ai->ai_addr, ai->ai_addrlen, cafile, KE_TIMEOUT_MS, &aead, 1, ke,
			 &n->keys, err, sizeof(err)) < 0) {
		fprintf(stderr, "strata-gen: NTS-KE with %s port %s: %s\n", name, port, err);
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	n->ke_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	snprintf(n->ke_server, sizeof(n->ke_server), "%s:%s", name, port);
	if (ke->server[0] != '\0' || ke->port != 0)
		fprintf(stderr,
			"strata-gen: NTS-KE names NTP server '%s' port %u: requests go to SERVER "
			"and --port all the same\n",
			ke->server, ke->port);
	for (i = 0; i < ke->n_cookies; i++, n->tail++) {
		n->pool[i].len = ke->cookie_len[i];
		memcpy(n->pool[i].c, ke->cookie[i], ke->cookie_len[i]);
	}
	if (n->tail == 0) {
		fprintf(stderr, "strata-gen: NTS-KE with %s gave no cookie\n", n->ke_server);
		goto fail;
	}
	free(ke);
	freeaddrinfo(ai);
	return 0;
fail:
	free(ke);
	freeaddrinfo(ai);
	gen_nts_close(n);
	return -1;
}

void
gen_nts_close(struct gen_nts *n)
{
	free(n->pool);
	n->pool = NULL;
}

static void
make_uid(const struct gen_nts *n, uint64_t xmt, uint8_t *uid)
{
	unsigned int i;

	/* RFC 8915 section 5.3 wants it unpredictable: the random part sees to that */
	memcpy(uid, n->uid_key, sizeof(n->uid_key));
	for (i = 0; i < 8; i++)
		uid[sizeof(n->uid_key) + i] = (uint8_t)(xmt >> (56 - 8 * i));
}

/* The cookie to send: the oldest unspent, else a spent one again (counted). */
static const struct gen_nts_cookie *
take_cookie(struct gen_nts *n)
{
	uint64_t kept;

	if (n->head < n->tail)
		return &n->pool[n->head++ % GEN_NTS_POOL];
	n->reused++;
	kept = n->tail < GEN_NTS_POOL ? n->tail : GEN_NTS_POOL;
	return &n->pool[(n->tail - 1 - n->reuse_next++ % kept) % GEN_NTS_POOL];
}

size_t
gen_nts_request(struct gen_nts *n, uint64_t xmt, uint8_t *ntp, size_t room)
{
	const struct gen_nts_cookie *c = take_cookie(n);
	uint8_t uid[NTS_UID_LEN], nonce[NTS_NONCE_LEN];
	uint64_t k = n->nonce_counter++;
	unsigned int i;
	size_t len;

	make_uid(n, xmt, uid);
	/* a nonce never repeats under one key: a random prefix and a counter */
	memcpy(nonce, n->nonce_prefix, 8);
	for (i = 0; i < 8; i++)
		nonce[8 + i] = (uint8_t)(k >> (56 - 8 * i));
	len = nts_client_request(&n->keys, uid, c->c, c->len, n->placeholders, nonce, ntp, room);
	n->requests++;
	return len;
}

void
gen_nts_mark(const struct gen_nts *n, struct gen_nts_mark *m)
{
	m->head = n->head;
	m->reused = n->reused;
	m->requests = n->requests;
}

void
gen_nts_unsent(struct gen_nts *n, const struct gen_nts_mark *m, unsigned int sent)
{
	uint64_t fresh = n->head - m->head;

	if (m->requests + sent >= n->requests)
		return;
	if (fresh > sent)
		fresh = sent;
	n->head = m->head + fresh;
	n->reused = m->reused + (sent - fresh);
	n->requests = m->requests + sent;
}

int
gen_nts_reply(struct gen_nts *n, uint64_t xmt, const uint8_t *ntp, size_t len)
{
	static struct nts_client_cookies got; /* 2 KiB: not on the receive path's stack */
	uint8_t uid[NTS_UID_LEN];
	unsigned int i;
	int rc;

	make_uid(n, xmt, uid);
	rc = nts_client_verify(&n->keys, uid, ntp, len, &got);
	if (rc == 1) {
		n->nak++;
		return 1;
	}
	if (rc != 0) {
		n->bad++;
		return -1;
	}
	n->verified++;
	n->cookies += got.n;
	for (i = 0; i < got.n; i++) {
		struct gen_nts_cookie *c;

		/* a full pool of unspent cookies has no use for more */
		if (n->tail - n->head == GEN_NTS_POOL)
			break;
		c = &n->pool[n->tail++ % GEN_NTS_POOL];
		c->len = got.len[i];
		memcpy(c->c, got.c[i], got.len[i]);
	}
	return 0;
}
