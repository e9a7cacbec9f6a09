/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-gen's NTS mode (RFC 8915): one NTS-KE at the start, then every
 * request carries a unique identifier, a cookie and an authenticator, and
 * every reply is verified (docs/performance.md, "NTS").
 *
 * strata-gen is one NTS client spread over all its flows: one NTS-KE, one
 * key pair, one pool of cookies that every source port and address draws
 * from. A request spends the oldest unspent cookie; the fresh cookies of
 * each verified reply join the pool. When the requests in flight outnumber
 * the cookies (a rate times a round trip above the pool), a spent cookie is
 * sent again and counted as reused: a server keeps no state per cookie
 * (RFC 8915 section 6), so a reused cookie costs it the same work, though a
 * real client never reuses one (section 5.7, unlinkability).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "nts.h"

#define GEN_NTS_POOL 4096 /* cookies kept */
#define GEN_NTS_PLACEHOLDERS_MAX 7

struct gen_nts_cookie {
	uint16_t len;
	uint8_t c[NTS_CLIENT_COOKIE_MAX];
};

struct gen_nts {
	struct nts_keys keys;
	unsigned int placeholders; /* per request: fresh cookies asked for beyond one */
	/* the unique identifier: 24 random octets, then the request's transmit timestamp */
	uint8_t uid_key[NTS_UID_LEN - 8];
	uint8_t nonce_prefix[8];
	uint64_t nonce_counter;
	/* unspent cookies are [head, tail); spent ones stay until overwritten */
	struct gen_nts_cookie *pool;
	uint64_t head, tail;
	uint64_t reuse_next;
	/* counted */
	uint64_t requests, verified, nak, bad, cookies, reused;
	double ke_seconds;
	char ke_server[264]; /* where NTS-KE went (NAME:PORT), for the report */
};

/*
 * NTS-KE with @host ("NAME[:PORT]", "ADDR", "[ADDR]:PORT"; port 4460 by
 * default) trusting @cafile (NULL: the system's store): keys and the first
 * cookies into @n. @return 0, or -1 with a message on stderr.
 */
int gen_nts_open(struct gen_nts *n, const char *host, const char *cafile, uint16_t aead,
		 unsigned int placeholders);

void gen_nts_close(struct gen_nts *n);

/*
 * Append the NTS fields to the request whose header, with transmit
 * timestamp @xmt, is at @ntp (@room octets in all). @return its length, 0
 * without room.
 */
size_t gen_nts_request(struct gen_nts *n, uint64_t xmt, uint8_t *ntp, size_t room);

/* Where the cookie pool stood before a burst. */
struct gen_nts_mark {
	uint64_t head, reused, requests;
};

void gen_nts_mark(const struct gen_nts *n, struct gen_nts_mark *m);

/*
 * Of the requests built since @m, only the first @sent went out: the others'
 * cookies go back to the pool unspent. Unspent cookies are taken before any
 * is reused, so the first requests took the unspent ones.
 */
void gen_nts_unsent(struct gen_nts *n, const struct gen_nts_mark *m, unsigned int sent);

/*
 * Verify the reply @ntp (@len octets) to our request with transmit timestamp
 * @xmt, keep its cookies and count it. @return 0 verified, 1 an NTS NAK, -1
 * anything else (RFC 8915 section 5.7: to be ignored).
 */
int gen_nts_reply(struct gen_nts *n, uint64_t xmt, const uint8_t *ntp, size_t len);
