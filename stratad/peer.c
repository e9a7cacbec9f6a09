/* SPDX-License-Identifier: BSD-3-Clause */
#include "peer.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <strata/ntp.h>

#include "log.h"
#include "monotime.h"

/* A fresh UDP socket connected to @p, kernel receive stamps on: the descriptor, or -errno. */
static int
udp_open(const struct peer *p)
{
	int one = 1, fd, err;

	/*
	 * RFC 9109: a fresh socket, hence a fresh port the kernel picks at
	 * random (Linux implements RFC 6056), for every request.
	 */
	fd = socket(p->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		log_warn("source %s: socket: %s", p->name, strerror(errno));
		return err;
	}
	/* the kernel's receive stamp, not the time we got round to reading */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&p->addr, p->addrlen) != 0) {
		err = -errno;
		log_debug("source %s: connect: %s", p->name, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

/*
 * The clock and the network under the peers. tests/unit/test_upstream.c,
 * which includes this file, puts a simulation in their place (a clock that
 * moves only when the test says, servers at the other end of a socketpair)
 * to play whole timelines of polls, replies and losses deterministically.
 */
static uint64_t (*clock_mono)(void) = mono_ns;
static int (*open_request)(const struct peer *p) = udp_open;

void
peer_init(struct peer *p, int origin, const struct sockaddr *sa, socklen_t len,
	  const struct cfg_source *src, uint64_t mono)
{
	struct ntpc_config nc = {
		.minpoll = src->minpoll,
		.maxpoll = src->maxpoll,
		.iburst = src->iburst,
		.prefer = src->prefer,
		.noselect = src->noselect,
	};

	memset(p, 0, sizeof(*p));
	p->in_use = 1;
	p->origin = origin;
	p->fd = -1;
	memcpy(&p->addr, sa, len);
	p->addrlen = len;
	getnameinfo(sa, len, p->name, sizeof(p->name), NULL, 0, NI_NUMERICHOST);
	ntpc_init(&p->ntpc, &nc, mono);
}

void
peer_close(struct peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

void
peer_send(struct peer *p, const struct disc *d, uint64_t mono)
{
	uint8_t buf[NTP_HEADER_LEN];
	uint64_t random, t1, next;
	size_t len;
	int fd;

	peer_close(p);
	fd = open_request(p);
	if (fd >= 0 && getrandom(&random, sizeof(random), 0) != sizeof(random)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		/* a poll lost here like any other: the next one is a poll later */
		ntpc_timeout(&p->ntpc, mono);
		return;
	}
	mono = clock_mono();
	t1 = disc_now(d, mono);
	len = ntpc_request(&p->ntpc, buf, random, t1, mono);
	if (send(fd, buf, len, 0) != (ssize_t)len) {
		log_debug("source %s: send: %s", p->name, strerror(errno));
		close(fd);
		return;
	}
	p->fd = fd;
	p->polls++;
	next = p->ntpc.next_ns > mono ? p->ntpc.next_ns - mono : 0;
	p->deadline = mono + (next < REPLY_WAIT_NS ? next * 9 / 10 : REPLY_WAIT_NS);
}

/* The monotonic time of a CLOCK_REALTIME kernel stamp, through a fresh pairing. */
static uint64_t
realtime_to_mono(const struct timespec *rx)
{
	struct timespec r, m;
	int64_t age;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	age = (int64_t)(r.tv_sec - rx->tv_sec) * (int64_t)NSEC_PER_SEC + (r.tv_nsec - rx->tv_nsec);
	if (age < 0 || age > (int64_t)NSEC_PER_SEC)
		age = 0; /* a step of the system clock in between: take "now" */
	return (uint64_t)m.tv_sec * NSEC_PER_SEC + (uint64_t)m.tv_nsec - (uint64_t)age;
}

int
peer_receive(struct peer *p, const struct disc *d, uint64_t mono)
{
	char cbuf[CMSG_SPACE(sizeof(struct timespec))];
	uint8_t buf[1024];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	uint64_t rx_mono = 0;
	enum ntpc_event ev;
	ssize_t n;

	n = recvmsg(p->fd, &msg, 0);
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		/*
		 * ICMP unreachable and the like (a server whose daemon died):
		 * the poll is lost now, not at the next request, and selection
		 * learns it at once.
		 */
		peer_close(p);
		ntpc_timeout(&p->ntpc, mono);
		return 1;
	}
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS)
			rx_mono = realtime_to_mono((const struct timespec *)CMSG_DATA(cm));
	if (rx_mono == 0)
		rx_mono = mono;
	ev = ntpc_reply(&p->ntpc, buf, (size_t)n, disc_now(d, rx_mono), mono);
	switch (ev) {
	case NTPC_IGNORED:
		return 0; /* keep waiting for the real reply */
	case NTPC_KOD_DENY:
		log_warn("source %s: kiss-o'-death DENY/RSTR: not used any more", p->name);
		break;
	case NTPC_KOD_RATE:
		log_info("source %s: kiss-o'-death RATE: polling less often", p->name);
		break;
	case NTPC_BOGUS:
		log_debug("source %s: unusable reply", p->name);
		break;
	case NTPC_SAMPLE:
		break;
	}
	peer_close(p);
	/*
	 * Every answered or lost poll re-runs selection, not only a new
	 * clock-filter output: a reply that leaves the filter as it was still
	 * shows the source alive, and the server's fields stand on that.
	 */
	return 1;
}

int
peer_expire(struct peer *p, uint64_t mono)
{
	if (p->fd < 0 || mono < p->deadline)
		return 0;
	peer_close(p);
	ntpc_timeout(&p->ntpc, mono);
	return 1;
}
