/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Microbenchmarks of the NTS reply (RFC 8915 section 5.7): what lib/nts.c
 * adds to an NTP reply in the DPDK and AF_XDP workers. The request is what
 * chrony sends in its steady state: a unique identifier, one cookie, no
 * placeholder, the authenticator, AEAD 15 (AES-SIV-CMAC-256); the "_7ph"
 * variant asks for seven more cookies (a client that lost some), "_aead17"
 * uses AES-SIV-CMAC-512. docs/performance.md ("NTS") has the figures.
 *
 * nts_server_check() opens the cookie (one AES-SIV decryption under the
 * master key) and verifies the authenticator (a second one under the C2S
 * key); nts_server_seal() seals each fresh cookie (one AES-SIV encryption
 * each) and encrypts the authenticator over the reply (one more). Each
 * iteration restores the request first, as bench_reply.c does;
 * nts_restore/x times that copy alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strata/ntp.h>

#include "bench_nts.h"
#include "bench_shim.h"
#include "nts.h"

#define BATCH 64

struct nts_case {
	uint8_t req[2048];
	uint32_t len;
};

static struct nts_server srv;
static struct strata_nts_keyring ring;
static struct nts_case c15, c15_7ph, c17;
static uint8_t buf[2048] __attribute__((aligned(64)));

/* A client request with keys for @aead and @ph placeholders, its cookie sealed by srv. */
static void
make_case(struct nts_case *c, uint16_t aead, unsigned int ph)
{
	struct nts_keys k = {.aead = aead, .len = (uint16_t)nts_aead_key_len(aead)};
	uint8_t cookie[NTS_COOKIE_MAX], uid[NTS_UID_LEN], nonce[NTS_NONCE_LEN];
	struct ntp_hdr *h = (struct ntp_hdr *)c->req;
	size_t clen, len;

	memset(k.c2s, 0x11, sizeof(k.c2s));
	memset(k.s2c, 0x22, sizeof(k.s2c));
	memset(uid, 0x33, sizeof(uid));
	memset(nonce, 0x44, sizeof(nonce));
	clen = nts_cookie_seal(&srv, &k, cookie);
	memset(h, 0, sizeof(*h));
	h->lvm = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_CLIENT);
	ntp_ts_put(&h->xmt, 0xe9a1b2c3deadbeefull);
	len = nts_client_request(&k, uid, cookie, clen, ph, nonce, c->req, sizeof(c->req));
	if (clen == 0 || len == 0) {
		fprintf(stderr, "bench: cannot build the NTS request\n");
		abort();
	}
	c->len = (uint32_t)len;
}

static void
setup(void)
{
	ring.n = 1;
	ring.gen = 1;
	ring.k[0].id = 0x5f3a9c01;
	ring.k[0].created = 1796000000;
	memset(ring.k[0].key, 0x5a, sizeof(ring.k[0].key));
	if (nts_server_init(&srv) != 0 || nts_server_sync(&srv, &ring) != 1)
		abort();
	make_case(&c15, NTS_AEAD_AES_SIV_CMAC_256, 0);
	make_case(&c15_7ph, NTS_AEAD_AES_SIV_CMAC_256, 7);
	make_case(&c17, NTS_AEAD_AES_SIV_CMAC_512, 0);
}

/* What each benchmark times after the copy: nothing, the check, or the check and the seal. */
enum step { RESTORE, CHECK, SEAL };

static inline __attribute__((always_inline)) void
run(struct bench_state *st, const struct nts_case *c, enum step step)
{
	struct nts_request r;
	uint32_t cookies = 0, len = 0;
	int i;

	/* a benchmark of a NAK or a drop would be a lie: check that this is a reply */
	memcpy(buf, c->req, c->len);
	if (nts_server_check(&srv, buf, c->len, &r) != STRATA_NTS_REPLY ||
	    nts_server_seal(&srv, &r, buf, &cookies) > c->len ||
	    cookies != (c == &c15_7ph ? 8u : 1u)) {
		fprintf(stderr, "bench: NTS request not answered as expected\n");
		abort();
	}
	while (bench_keep_running(st, BATCH)) {
		for (i = 0; i < BATCH; i++) {
			memcpy(buf, c->req, c->len);
			bench_escape(buf);
			if (step >= CHECK)
				bench_use(nts_server_check(&srv, buf, c->len, &r));
			if (step == SEAL)
				len = nts_server_seal(&srv, &r, buf, &cookies);
			bench_use(len);
			bench_escape(buf);
		}
	}
	bench_set_items_processed(st, bench_iterations(st));
}

static void
restore_15(struct bench_state *st)
{
	run(st, &c15, RESTORE);
}

static void
check_15(struct bench_state *st)
{
	run(st, &c15, CHECK);
}

static void
seal_15(struct bench_state *st)
{
	run(st, &c15, SEAL);
}

static void
restore_15_7ph(struct bench_state *st)
{
	run(st, &c15_7ph, RESTORE);
}

static void
seal_15_7ph(struct bench_state *st)
{
	run(st, &c15_7ph, SEAL);
}

static void
restore_17(struct bench_state *st)
{
	run(st, &c17, RESTORE);
}

static void
seal_17(struct bench_state *st)
{
	run(st, &c17, SEAL);
}

const uint8_t *
bench_nts_request(uint32_t *len)
{
	*len = c15.len;
	return c15.req;
}

struct nts_server *
bench_nts_server(void)
{
	return &srv;
}

void
bench_nts_register(void)
{
	setup();
	bench_register("nts_restore/aead15", restore_15);
	bench_register("nts_check/aead15", check_15);
	bench_register("nts_check_seal/aead15", seal_15);
	bench_register("nts_restore/aead15_7ph", restore_15_7ph);
	bench_register("nts_check_seal/aead15_7ph", seal_15_7ph);
	bench_register("nts_restore/aead17", restore_17);
	bench_register("nts_check_seal/aead17", seal_17);
}
