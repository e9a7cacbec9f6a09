/* SPDX-License-Identifier: BSD-3-Clause */
#include "poolprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <strata/ntp.h>

#include "log.h"
#include "ntstls.h"

/* room for an NTS request asking for seven cookies (RFC 8915 section 5.7) */
#define PROBE_BUF 2048
#define KE_TIMEOUT_MIN_MS 100

enum pool_outcome
poolprobe_classify(int ev, double offset)
{
	switch (ev) {
	case NTPC_SAMPLE:
		return fabs(offset) > POOLPROBE_OFFSET_MAX ? POOL_OFFSET : POOL_GOOD;
	case NTPC_KOD_RATE:
	case NTPC_KOD_DENY:
		return POOL_KOD;
	default:
		return POOL_UNSYNC;
	}
}

double
poolprobe_step(enum pool_outcome o, double offset)
{
	double off = fabs(offset);

	switch (o) {
	case POOL_GOOD:
		/* +1 up to 50 ms, then down to -1 at 100 ms: still served, but sinking */
		if (off <= POOLPROBE_OFFSET_GOOD)
			return 1.0;
		return 1.0 - 2.0 * (off - POOLPROBE_OFFSET_GOOD) /
				     (POOLPROBE_OFFSET_MAX - POOLPROBE_OFFSET_GOOD);
	case POOL_OFFSET:
		/* the further off, the longer the way back: -2 at 100 ms to -10 from 1 s */
		return -fmin(fmax(10.0 * off, 2.0), 10.0);
	case POOL_NOREPLY:
		/*
		 * Milder than the NTP Pool's -5: two silent probes in a row
		 * take an address out anyway, the score is for chronic loss
		 * (three probes lost of five take a full-score address out).
		 */
		return -3.0;
	default:
		return -10.0; /* KoD, unsynchronized: it tells clients not to use it */
	}
}

int
poolprobe_score(struct pool_addr *a, enum pool_outcome o, double offset)
{
	int was = a->served, heard = 0, i;
	double step = poolprobe_step(o, offset);

	for (i = 0; i < POOL_N_OUTCOMES; i++)
		heard |= i != POOL_NOREPLY && a->probes[i] != 0;
	/*
	 * Silence before the first answer costs nothing: a member announced
	 * just before its server is up is not held back for many intervals.
	 * It is not served either until it answers.
	 */
	if (o == POOL_NOREPLY && !heard)
		step = 0.0;
	a->score = a->score * POOLPROBE_DECAY + step;
	if (o == POOL_NOREPLY && !heard && a->score < POOLPROBE_SCORE_START)
		a->score = POOLPROBE_SCORE_START;
	a->score = fmax(POOLPROBE_SCORE_MIN, fmin(POOLPROBE_SCORE_MAX, a->score));
	a->probes[o]++;
	a->last = o;
	a->has_last = 1;
	a->fails = o == POOL_NOREPLY ? a->fails + 1 : 0;
	a->good = o == POOL_GOOD ? a->good + 1 : 0;
	if (a->served)
		/*
		 * Out at once when it stops answering twice in a row, or
		 * answers with a time no client should take; out as well when
		 * the score sinks to the threshold (the slow decline of many
		 * small faults).
		 */
		a->served =
			!(a->fails >= POOLPROBE_OUT_FAILS || o == POOL_KOD || o == POOL_UNSYNC ||
			  o == POOL_OFFSET || o == POOL_NTS || a->score <= POOLPROBE_THRESHOLD);
	else
		a->served = a->good >= POOLPROBE_JOIN_GOOD && a->score > POOLPROBE_THRESHOLD;
	return a->served != was;
}

uint64_t
poolprobe_timeout_ns(unsigned int interval)
{
	uint64_t t = interval * NSEC_PER_SEC / 2;

	return t < POOLPROBE_TIMEOUT_MAX_NS ? t : POOLPROBE_TIMEOUT_MAX_NS;
}

/* CLOCK_REALTIME as an NTP timestamp: the registrar's own reference */
static uint64_t
ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ntp_from_unix(ts.tv_sec, (uint32_t)ts.tv_nsec, NULL);
}

/* Close the probe in flight, if any; an NTS-KE's eventfd is its job's to close. */
static void
probe_close(struct pool_addr *a)
{
	if (a->nts != NULL && poolnts_ke_running(a->nts)) {
		poolnts_ke_abandon(a->nts);
		a->fd = -1;
	}
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

/* The NTP request, authenticated for an NTS pool: 0 or -errno. */
static int
send_ntp(struct pool_addr *a, uint64_t now_ns)
{
	uint8_t buf[PROBE_BUF];
	uint64_t rnd;
	size_t len;
	int fd, ret;

	/*
	 * RFC 9109 section 3: a new socket for every request, bound by the
	 * kernel to a random ephemeral port; connect() so that only the
	 * member's own replies reach it.
	 */
	fd = socket(a->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&a->sa,
		    a->sa.ss_family == AF_INET ? sizeof(struct sockaddr_in)
					       : sizeof(struct sockaddr_in6)) < 0)
		goto fail;
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		goto fail;
	len = ntpc_request(&a->ntpc, buf, rnd, ntp_now(), now_ns);
	if (a->nts != NULL && (len = poolnts_request(a->nts, buf, sizeof(buf))) == 0) {
		errno = ENOKEY; /* no cookie: cannot happen after a good NTS-KE */
		goto fail;
	}
	if (send(fd, buf, len, 0) < 0)
		goto fail;
	a->fd = fd;
	return 0;
fail:
	ret = -errno;
	close(fd);
	a->fd = -1;
	return ret;
}

int
poolprobe_send(struct pool_addr *a, uint64_t now_ns)
{
	int64_t ms;
	int fd;

	probe_close(a);
	a->next_ns = now_ns; /* the caller adds the interval */
	if (a->nts_ca != NULL) {
		if (a->nts == NULL && (a->nts = poolnts_new(a->nts_ca)) == NULL)
			return -ENOMEM;
		if (poolnts_need_ke(a->nts)) {
			/* half the probe's time for NTS-KE, the rest for the NTP exchange */
			ms = KE_TIMEOUT_MIN_MS;
			if (a->deadline_ns > now_ns + 2 * ms * 1000000)
				ms = (int64_t)((a->deadline_ns - now_ns) / 2000000);
			fd = poolnts_ke_start(a->nts, &a->sa, (int)ms);
			if (fd < 0)
				return fd;
			a->fd = fd;
			return 0;
		}
	}
	return send_ntp(a, now_ns);
}

/*
 * The NTS-KE of @a's probe ended: on to the NTP request, or a member that
 * cannot be reached (scored as a probe without reply), or an NTS failure.
 */
static int
ke_done(struct pool_addr *a, uint64_t now_ns)
{
	char err[256], s[INET6_ADDRSTRLEN];
	const void *ip = a->sa.ss_family == AF_INET
				 ? (const void *)&((const struct sockaddr_in *)&a->sa)->sin_addr
				 : (const void *)&((const struct sockaddr_in6 *)&a->sa)->sin6_addr;
	int rc;

	a->fd = -1; /* the job's eventfd, closed with it */
	rc = poolnts_ke_finish(a->nts, err, sizeof(err));
	if (rc < 0) {
		inet_ntop(a->sa.ss_family, ip, s, sizeof(s));
		/*
		 * Host down, port refused, no answer in time: the member or
		 * its path is gone, as when an NTP probe gets no reply. Only
		 * a member that answers and fails NTS is an NTS failure.
		 */
		if (ntstls_unreachable(rc)) {
			log_debug("NTS-KE with %s: %s", s, err);
			return poolprobe_timeout(a, now_ns);
		}
		/* once in a row of failures, not every interval */
		if (!a->has_last || a->last != POOL_NTS)
			log_info("NTS-KE with %s failed: %s", s, err);
		return poolprobe_score(a, POOL_NTS, 0.0);
	}
	if (send_ntp(a, now_ns) < 0)
		return poolprobe_timeout(a, now_ns);
	return 0;
}

int
poolprobe_recv(struct pool_addr *a, uint64_t now_ns)
{
	uint8_t buf[PROBE_BUF];
	ssize_t n;
	int ev;

	if (a->nts != NULL && poolnts_ke_running(a->nts))
		return ke_done(a, now_ns);
	for (;;) {
		n = recv(a->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			return 0; /* wait on until the deadline */
		if (n < 0)	  /* ICMP unreachable: the member is not there */
			return poolprobe_timeout(a, now_ns);
		/*
		 * RFC 8915 section 5.7: nothing of a reply counts before it
		 * verifies. The socket is connected to the member, so what
		 * does not verify, or an NTS NAK, is the member's NTS failing.
		 */
		if (a->nts != NULL && poolnts_reply(a->nts, buf, (size_t)n) != 0) {
			close(a->fd);
			a->fd = -1;
			return poolprobe_score(a, POOL_NTS, 0.0);
		}
		ev = ntpc_reply(&a->ntpc, buf, (size_t)n, ntp_now(), now_ns);
		if (ev != NTPC_IGNORED)
			break;
	}
	close(a->fd);
	a->fd = -1;
	if (ev == NTPC_SAMPLE) {
		a->offset = a->ntpc.filter[0].offset;
		a->delay = a->ntpc.filter[0].delay;
	}
	return poolprobe_score(a, poolprobe_classify(ev, a->offset), a->offset);
}

int
poolprobe_timeout(struct pool_addr *a, uint64_t now_ns)
{
	probe_close(a);
	ntpc_timeout(&a->ntpc, now_ns);
	return poolprobe_score(a, POOL_NOREPLY, 0.0);
}
