/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NTS probes of pool members (docs/pool.md "NTS"): an NTS-KE (RFC 8915
 * section 4) with the member's address, then authenticated NTP requests
 * (section 5), keeping the cookies from probe to probe. NTS-KE is a blocking
 * TLS exchange (lib/ntstls.c): it runs in a thread of its own, so that the
 * registrar's loop (DNS answers, other probes) never waits for it; the loop
 * polls an eventfd that the thread signals when done.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "nts.h"

struct poolnts_job;

struct poolnts {
	char cafile[256]; /* "" for the system's trust store */
	struct nts_keys keys;
	unsigned int n_cookies;
	uint16_t cookie_len[NTS_KE_COOKIES];
	uint8_t cookie[NTS_KE_COOKIES][NTS_CLIENT_COOKIE_MAX];
	uint8_t uid[NTS_UID_LEN]; /* of the request in flight */
	struct poolnts_job *job;  /* the NTS-KE under way, NULL when none */
	uint64_t ke_done, ke_failed;
};

/* NTS state for one member address trusting @cafile (NULL or "": the system's). NULL on ENOMEM. */
struct poolnts *poolnts_new(const char *cafile);

/* Free @n; an NTS-KE under way finishes on its own and frees its part. */
void poolnts_free(struct poolnts *n);

/* 1 if a probe must start with NTS-KE: no cookie left. */
int poolnts_need_ke(const struct poolnts *n);

/*
 * Start NTS-KE with @sa (its address is the name the certificate must
 * carry), the thread bounded by @timeout_ms. @return the eventfd to poll
 * for its end, or -errno.
 */
int poolnts_ke_start(struct poolnts *n, const struct sockaddr_storage *sa, int timeout_ms);

/* 1 while an NTS-KE is under way. */
int poolnts_ke_running(const struct poolnts *n);

/*
 * The NTS-KE's eventfd is readable: take its keys and cookies. @return 0,
 * or ntstls_fetch()'s -errno (it failed: the reason in @err;
 * ntstls_unreachable() tells a member that cannot be reached).
 */
int poolnts_ke_finish(struct poolnts *n, char *err, size_t errlen);

/* Give up an NTS-KE under way (probe timeout, address removed). */
void poolnts_ke_abandon(struct poolnts *n);

/*
 * Append the NTS fields to the request whose 48-octet header is at @buf
 * (@room octets), spending a cookie and asking for as many more as fill
 * the store again. @return the request's length, 0 without a cookie.
 */
size_t poolnts_request(struct poolnts *n, uint8_t *buf, size_t room);

/*
 * Verify the reply @buf (@len octets) to that request; keep its cookies.
 * @return 0 verified, 1 an NTS NAK (the cookies are dropped: NTS-KE again
 * next time), -1 it does not verify.
 */
int poolnts_reply(struct poolnts *n, const uint8_t *buf, size_t len);
