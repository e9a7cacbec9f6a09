/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An NTP server peer (stratad/peer.c) against a server played by the test
 * on loopback: a request from a connected socket with a random transmit
 * timestamp, the reply read into the clock filter, a stray datagram
 * ignored, a lost poll timed out.
 */
#include <arpa/inet.h>
#include <math.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <strata/ntp.h>

#include "monotime.h"
#include "peer.h"

#include "cunit_main.h"

static int
server_socket(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, len) != 0 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) != 0)
		return -1;
	return fd;
}

/* Answer one request on @fd as a stratum-1 server whose clock is @offset s from @d's. */
static int
answer(int fd, const struct disc *d, double offset, int bogus_origin)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	struct ntp_hdr req, rep;
	uint64_t now;

	if (recvfrom(fd, &req, sizeof(req), 0, (struct sockaddr *)&from, &flen) != sizeof(req))
		return -1;
	memset(&rep, 0, sizeof(rep));
	rep.lvm = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_SERVER);
	rep.stratum = 1;
	rep.poll = 6;
	rep.precision = -20;
	rep.refid = NTP_KISS('G', 'P', 'S', 0);
	rep.org = req.xmt;
	if (bogus_origin)
		rep.org.frac ^= 0x1;
	now = disc_now(d, mono_ns()) + (uint64_t)(int64_t)(offset * 4294967296.0);
	ntp_ts_put(&rep.rec, now);
	ntp_ts_put(&rep.ref, now);
	rep.xmt = rep.rec;
	return sendto(fd, &rep, sizeof(rep), 0, (struct sockaddr *)&from, flen) == sizeof(rep)
		       ? 0
		       : -1;
}

static void
test_poll_and_reply(void)
{
	struct cfg_source src = {.kind = CFG_SRC_SERVER, .minpoll = 6, .maxpoll = 10};
	struct sockaddr_in sin;
	struct pollfd pfd;
	struct disc d;
	struct peer p;
	uint64_t mono = mono_ns();
	int srv = server_socket(&sin);

	CU_ASSERT_FATAL(srv >= 0);
	disc_init(&d, mono, (uint64_t)0xe9000000 << 32, 0);
	peer_init(&p, 0, (struct sockaddr *)&sin, sizeof(sin), &src, mono);
	CU_ASSERT_STRING_EQUAL(p.name, "127.0.0.1");
	CU_ASSERT_EQUAL(p.fd, -1);
	peer_send(&p, &d, mono);
	CU_ASSERT_FATAL(p.fd >= 0);
	CU_ASSERT_EQUAL(p.polls, 1);
	/* the reply wait runs from the send, read after the socket was made */
	CU_ASSERT(p.deadline > mono + REPLY_WAIT_NS && p.deadline <= mono_ns() + REPLY_WAIT_NS);

	/* a reply to some other request changes nothing: the real one may follow */
	CU_ASSERT_EQUAL_FATAL(answer(srv, &d, 0.003, 1), 0);
	pfd = (struct pollfd){.fd = p.fd, .events = POLLIN};
	CU_ASSERT_EQUAL(poll(&pfd, 1, 1000), 1);
	CU_ASSERT_EQUAL(peer_receive(&p, &d, mono_ns()), 0);
	CU_ASSERT(p.fd >= 0);
	CU_ASSERT_EQUAL(p.ntpc.reach, 0);

	/* the answer: a sample 3 ms ahead, the request closed */
	peer_send(&p, &d, mono_ns());
	CU_ASSERT_EQUAL_FATAL(answer(srv, &d, 0.003, 0), 0);
	pfd = (struct pollfd){.fd = p.fd, .events = POLLIN};
	CU_ASSERT_EQUAL(poll(&pfd, 1, 1000), 1);
	CU_ASSERT_EQUAL(peer_receive(&p, &d, mono_ns()), 1);
	CU_ASSERT_EQUAL(p.fd, -1);
	CU_ASSERT_EQUAL(p.ntpc.reach & 1, 1);
	CU_ASSERT_EQUAL(p.ntpc.stratum, 1);
	/* off by half the round trip's asymmetry at most: a loaded machine may delay either leg */
	CU_ASSERT(p.ntpc.n_filter == 1 &&
		  fabs(p.ntpc.offset - 0.003) <= p.ntpc.delay / 2 + 100e-6);
	close(srv);
}

static void
test_timeout(void)
{
	struct cfg_source src = {.kind = CFG_SRC_SERVER, .minpoll = 6, .maxpoll = 10};
	struct sockaddr_in sin;
	struct disc d;
	struct peer p;
	uint64_t mono = mono_ns();
	int srv = server_socket(&sin);

	CU_ASSERT_FATAL(srv >= 0);
	disc_init(&d, mono, (uint64_t)0xe9000000 << 32, 0);
	peer_init(&p, 0, (struct sockaddr *)&sin, sizeof(sin), &src, mono);
	peer_send(&p, &d, mono);
	CU_ASSERT_FATAL(p.fd >= 0);
	CU_ASSERT_EQUAL(peer_expire(&p, p.deadline - 1), 0);
	CU_ASSERT_EQUAL(peer_expire(&p, p.deadline), 1);
	CU_ASSERT_EQUAL(p.fd, -1);
	CU_ASSERT_EQUAL(p.ntpc.reach, 0);
	/* nothing outstanding: nothing to expire */
	CU_ASSERT_EQUAL(peer_expire(&p, p.deadline + 1), 0);
	close(srv);
}

static const struct test_case cases[] = {
	TEST_CASE(test_poll_and_reply),
	TEST_CASE(test_timeout),
};

CUNIT_MAIN("peer", cases)
