/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel-socket engine: one connected UDP socket per source port, so that
 * the server's RSS spreads the flows; sendmmsg out, recvmmsg in, and kernel
 * receive stamps (SO_TIMESTAMPNS, CLOCK_REALTIME) so that our own scheduling
 * delay stays out of the latency and the timestamp checks.
 */
#include "gen.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct sock_engine {
	unsigned int nfd;
	unsigned int next; /* round robin over the sources */
	int epfd;
	int fd[];
};

static void
sock_close(void *p)
{
	struct sock_engine *e = p;
	unsigned int i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nfd; i++)
		close(e->fd[i]);
	if (e->epfd >= 0)
		close(e->epfd);
	free(e);
}

static int
sock_source(const struct gen_target *t, uint16_t port)
{
	struct sockaddr_storage src = {.ss_family = t->addr.ss_family};
	int one = 1, fd;

	fd = socket(t->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (t->addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&src)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&src)->sin_port = htons(port);
	/* connected: the kernel filters other sources and caches the route */
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&src, t->addrlen) < 0 ||
	    connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) < 0) {
		fprintf(stderr, "strata-gen: source port %u: %s\n", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void *
sock_open(const struct gen_target *t)
{
	struct sock_engine *e;
	struct epoll_event ev = {.events = EPOLLIN};
	unsigned int i;
	int err;

	e = calloc(1, sizeof(*e) + t->nports * sizeof(e->fd[0]));
	if (e == NULL)
		return NULL;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0)
		goto fail;
	for (i = 0; i < t->nports; i++) {
		e->fd[i] = sock_source(t, (uint16_t)(t->base_port + i));
		if (e->fd[i] < 0)
			goto fail;
		e->nfd++;
		ev.data.u32 = i;
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->fd[i], &ev) < 0)
			goto fail;
	}
	return e;
fail:
	err = errno;
	sock_close(e);
	errno = err;
	return NULL;
}

static int
sock_send(void *p, const struct gen_req *req, unsigned int n)
{
	struct sock_engine *e = p;
	struct mmsghdr msg[GEN_BURST];
	struct iovec iov[GEN_BURST];
	unsigned int i, tries;
	int fd, r = 0;

	if (n > GEN_BURST)
		n = GEN_BURST;
	memset(msg, 0, n * sizeof(msg[0]));
	for (i = 0; i < n; i++) {
		iov[i].iov_base = (void *)req[i].buf;
		iov[i].iov_len = req[i].len;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	fd = e->fd[e->next];
	e->next = (e->next + 1) % e->nfd;
	/*
	 * An ICMP port unreachable leaves an error on a connected socket that
	 * the next call reports and clears: retry once, it is not ours to count.
	 */
	for (tries = 0; tries < 2; tries++) {
		r = sendmmsg(fd, msg, n, 0);
		if (r >= 0)
			return r;
		if (errno == EAGAIN || errno == ENOBUFS)
			return 0;
		if (errno != ECONNREFUSED)
			return -errno;
	}
	return 0;
}

static int64_t
cmsg_stamp(const struct msghdr *mh)
{
	const struct cmsghdr *c;
	struct timespec ts;

	for (c = CMSG_FIRSTHDR(mh); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)mh, (struct cmsghdr *)c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		}
	}
	/* no kernel stamp: the time we read it is later, never earlier */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
sock_recv(void *p, struct gen_rx *rx, unsigned int n)
{
	struct sock_engine *e = p;
	struct epoll_event ev[GEN_BURST];
	struct mmsghdr msg[GEN_BURST];
	struct iovec iov[GEN_BURST];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl[GEN_BURST];
	unsigned int got = 0, i;
	int nev, k, r;

	if (n > GEN_BURST)
		n = GEN_BURST;
	nev = epoll_wait(e->epfd, ev, GEN_BURST, 0);
	for (k = 0; k < nev && got < n; k++) {
		memset(msg, 0, (n - got) * sizeof(msg[0]));
		for (i = 0; i < n - got; i++) {
			iov[i].iov_base = rx[got + i].buf;
			iov[i].iov_len = sizeof(rx[got + i].buf);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_control = ctl[i].buf;
			msg[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
		}
		r = recvmmsg(e->fd[ev[k].data.u32], msg, n - got, MSG_DONTWAIT | MSG_TRUNC, NULL);
		if (r < 0) {
			if (errno == EAGAIN || errno == ECONNREFUSED || errno == EINTR)
				continue;
			return got > 0 ? (int)got : -errno;
		}
		for (i = 0; i < (unsigned int)r; i++) {
			rx[got + i].len = msg[i].msg_len;
			rx[got + i].rx_ns = cmsg_stamp(&msg[i].msg_hdr);
		}
		got += (unsigned int)r;
	}
	return (int)got;
}

static void
sock_wait(void *p, int64_t timeout_ns)
{
	struct sock_engine *e = p;
	struct pollfd pfd = {.fd = e->epfd, .events = POLLIN};
	struct timespec ts;

	if (timeout_ns < 0)
		timeout_ns = 0;
	ts.tv_sec = timeout_ns / 1000000000;
	ts.tv_nsec = timeout_ns % 1000000000;
	/* ppoll: nanosecond timeouts, where epoll_wait has milliseconds */
	ppoll(&pfd, 1, &ts, NULL);
}

const struct gen_engine gen_sock_engine = {
	.name = "socket",
	.open = sock_open,
	.send = sock_send,
	.recv = sock_recv,
	.wait = sock_wait,
	.close = sock_close,
};
