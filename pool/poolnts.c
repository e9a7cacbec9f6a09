/* SPDX-License-Identifier: BSD-3-Clause */
#include "poolnts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "ntstls.h"

/*
 * One NTS-KE, shared by the loop and its thread: whichever lets go last
 * frees it, so that neither waits for the other (a member removed or a
 * probe timed out while the TLS exchange still runs).
 */
struct poolnts_job {
	atomic_int refs;
	int efd;
	/* in */
	char host[INET6_ADDRSTRLEN];
	struct sockaddr_storage sa;
	socklen_t salen;
	char cafile[256];
	int timeout_ms;
	/* out, written by the thread before it signals efd */
	int rc;
	char err[256];
	struct nts_ke_response resp;
	struct nts_keys keys;
};

static void
job_put(struct poolnts_job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) == 1) {
		close(j->efd);
		free(j);
	}
}

static void *
job_run(void *arg)
{
	static const uint16_t aeads[] = {NTS_AEAD_AES_SIV_CMAC_256, NTS_AEAD_AES_SIV_CMAC_512};
	struct poolnts_job *j = arg;
	uint64_t one = 1;

	j->rc = ntstls_fetch(j->host, (const struct sockaddr *)&j->sa, j->salen,
			     j->cafile[0] != '\0' ? j->cafile : NULL, j->timeout_ms, aeads, 2,
			     &j->resp, &j->keys, j->err, sizeof(j->err));
	if (j->rc == 0 && j->resp.n_cookies == 0) {
		j->rc = -EPROTO;
		snprintf(j->err, sizeof(j->err), "no cookie in the NTS-KE answer");
	}
	if (write(j->efd, &one, sizeof(one)) != sizeof(one))
		j->rc = -EIO; /* cannot happen on an eventfd below its maximum */
	job_put(j);
	return NULL;
}

struct poolnts *
poolnts_new(const char *cafile)
{
	struct poolnts *n = calloc(1, sizeof(*n));

	if (n != NULL && cafile != NULL)
		snprintf(n->cafile, sizeof(n->cafile), "%s", cafile);
	return n;
}

void
poolnts_free(struct poolnts *n)
{
	if (n == NULL)
		return;
	poolnts_ke_abandon(n);
	/* the keys and cookies are secrets: no copy left in freed memory */
	explicit_bzero(n, sizeof(*n));
	free(n);
}

int
poolnts_need_ke(const struct poolnts *n)
{
	return n->n_cookies == 0;
}

int
poolnts_ke_running(const struct poolnts *n)
{
	return n->job != NULL;
}

int
poolnts_ke_start(struct poolnts *n, const struct sockaddr_storage *sa, int timeout_ms)
{
	struct poolnts_job *j;
	pthread_attr_t attr;
	pthread_t th;
	int err;

	poolnts_ke_abandon(n);
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (j->efd < 0) {
		err = -errno;
		free(j);
		return err;
	}
	j->sa = *sa;
	if (sa->ss_family == AF_INET) {
		((struct sockaddr_in *)&j->sa)->sin_port = htons(NTS_KE_PORT);
		j->salen = sizeof(struct sockaddr_in);
		inet_ntop(AF_INET, &((struct sockaddr_in *)&j->sa)->sin_addr, j->host,
			  sizeof(j->host));
	} else {
		((struct sockaddr_in6 *)&j->sa)->sin6_port = htons(NTS_KE_PORT);
		j->salen = sizeof(struct sockaddr_in6);
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&j->sa)->sin6_addr, j->host,
			  sizeof(j->host));
	}
	memcpy(j->cafile, n->cafile, sizeof(j->cafile));
	j->timeout_ms = timeout_ms;
	atomic_init(&j->refs, 2);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&th, &attr, job_run, j);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		close(j->efd);
		free(j);
		return -err;
	}
	n->job = j;
	return j->efd;
}

void
poolnts_ke_abandon(struct poolnts *n)
{
	if (n->job == NULL)
		return;
	job_put(n->job);
	n->job = NULL;
}

int
poolnts_ke_finish(struct poolnts *n, char *err, size_t errlen)
{
	struct poolnts_job *j = n->job;
	uint64_t v;
	unsigned int i;
	int rc;

	if (j == NULL || read(j->efd, &v, sizeof(v)) != sizeof(v)) {
		snprintf(err, errlen, "no NTS-KE under way");
		return -EINVAL;
	}
	rc = j->rc;
	if (rc == 0) {
		n->keys = j->keys;
		n->n_cookies = j->resp.n_cookies;
		for (i = 0; i < n->n_cookies; i++) {
			n->cookie_len[i] = j->resp.cookie_len[i];
			memcpy(n->cookie[i], j->resp.cookie[i], j->resp.cookie_len[i]);
		}
		n->ke_done++;
	} else {
		snprintf(err, errlen, "%s", j->err);
		n->ke_failed++;
	}
	explicit_bzero(&j->keys, sizeof(j->keys));
	poolnts_ke_abandon(n);
	return rc;
}

size_t
poolnts_request(struct poolnts *n, uint8_t *buf, size_t room)
{
	uint8_t nonce[NTS_NONCE_LEN];
	unsigned int placeholders, k;
	size_t len;

	if (n->n_cookies == 0 || getrandom(n->uid, sizeof(n->uid), 0) != sizeof(n->uid) ||
	    getrandom(nonce, sizeof(nonce), 0) != sizeof(nonce))
		return 0;
	/* RFC 8915 section 5.7: each cookie once, the newest first (as chrony) */
	k = --n->n_cookies;
	/* ask for the spent one back and for those lost with unanswered probes */
	placeholders = NTS_KE_COOKIES - 1 - n->n_cookies;
	len = nts_client_request(&n->keys, n->uid, n->cookie[k], n->cookie_len[k], placeholders,
				 nonce, buf, room);
	explicit_bzero(n->cookie[k], sizeof(n->cookie[k]));
	return len;
}

int
poolnts_reply(struct poolnts *n, const uint8_t *buf, size_t len)
{
	struct nts_client_cookies got;
	unsigned int i;
	int rc;

	rc = nts_client_verify(&n->keys, n->uid, buf, len, &got);
	if (rc == 1) {
		/* section 5.7: a NAK says our cookies are no good: fresh ones by NTS-KE */
		n->n_cookies = 0;
		return 1;
	}
	if (rc != 0)
		return -1;
	for (i = 0; i < got.n && n->n_cookies < NTS_KE_COOKIES; i++) {
		n->cookie_len[n->n_cookies] = got.len[i];
		memcpy(n->cookie[n->n_cookies++], got.c[i], got.len[i]);
	}
	return 0;
}
