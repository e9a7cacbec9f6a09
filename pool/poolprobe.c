/* SPDX-License-Identifier: BSD-3-Clause */
#include "poolprobe.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <strata/ntp.h>

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
			  o == POOL_OFFSET || a->score <= POOLPROBE_THRESHOLD);
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

int
poolprobe_send(struct pool_addr *a, uint64_t now_ns)
{
	uint8_t buf[48];
	uint64_t rnd;
	size_t len;
	int fd, ret;

	if (a->fd >= 0)
		close(a->fd);
	a->next_ns = now_ns; /* the caller adds the interval */
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
poolprobe_recv(struct pool_addr *a, uint64_t now_ns)
{
	uint8_t buf[1024];
	ssize_t n;
	int ev;

	for (;;) {
		n = recv(a->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EAGAIN)
			return 0; /* wait on until the deadline */
		if (n < 0)	  /* ICMP unreachable: the member is not there */
			return poolprobe_timeout(a, now_ns);
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
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	ntpc_timeout(&a->ntpc, now_ns);
	return poolprobe_score(a, POOL_NOREPLY, 0.0);
}
