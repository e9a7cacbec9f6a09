/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failover (stratad/upstream.c), played as a deterministic simulation of
 * stratad's main loop: four upstreams polled every 4 s, three honest and
 * one 0.5 s off, "holdover 10". The system peer's server dies. While two
 * truechimers remain, the server's own fields must stay synchronised at
 * every tick (no stratum 16 / leap 3, no holdover) and another truechimer
 * must become the system peer within two polls: with n = 3 and f = 1 the
 * intersection still finds the majority (RFC 5905 section 11.2.1).
 *
 * The clock and the network are peer.c's own hooks: the monotonic time
 * is the simulation's, and each request goes into a socketpair whose other
 * end the simulated server answers. Round trips vary from a fixed-seed
 * generator, so the clock filter (least delay of 8) often keeps an older
 * sample, as on a real network.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

/* one unit: the simulation replaces peer.c's clock and network hooks */
#include "../../stratad/peer.c"
#include "../../stratad/pools.c"
#include "../../stratad/refclock.c"
#include "../../stratad/upstream.c"

#include "cunit_main.h"

#define NS NSEC_PER_SEC
#define TICK_NS (NS / 32)           /* stratad publishes 32 times a second */
#define T0 ((uint64_t)0xe8000000 << 32) /* the true NTP time at monotonic 0 */
#define POLL_S 4                    /* minpoll 2 maxpoll 2 */
#define HOLDOVER 10
#define NSERVERS 4
#define SYNCED_S 30 /* from here on the server must be synchronised throughout */
#define SETTLE_S 60 /* the kill comes after the filters have filled */

enum state {
	UP,
	SILENT,  /* the host is gone: requests go unanswered */
	REFUSED, /* the daemon is gone: the host answers ICMP port unreachable */
};

struct server {
	const char *addr;
	double offset; /* its clock minus the true time, s */
	enum state state;
	int fd; /* the simulation's end of the request outstanding, -1 */
};

static struct sim {
	uint64_t mono; /* the simulated CLOCK_MONOTONIC, ns */
	uint32_t rng;
	struct server srv[NSERVERS];
} sim;

static uint64_t
sim_mono(void)
{
	return sim.mono;
}

static struct server *
server_of(const struct peer *p)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&p->addr;
	struct in_addr a;
	int i;

	for (i = 0; i < NSERVERS; i++)
		if (inet_pton(AF_INET, sim.srv[i].addr, &a) == 1 &&
		    a.s_addr == sin->sin_addr.s_addr)
			return &sim.srv[i];
	return NULL;
}

/*
 * A UDP socket connected to a loopback port nobody listens on: what it sends
 * comes back as ICMP port unreachable, the error a request to a host whose
 * NTP daemon died gets.
 *
 * The socket is bound before the closed port is chosen. Left unbound, its
 * connect() could be given the very port just taken back as its own local
 * port: it is then connected to itself, receives its own request instead
 * of an ICMP error, and every later tick waited a second for an error that
 * never came (the test ran past meson's 30 s timeout once in CI).
 */
static int
refused_socket(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int closed, fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -EIO;
	if (bind(fd, (struct sockaddr *)&sin, len) != 0) {
		close(fd);
		return -EIO;
	}
	/* a port the kernel gave and took back is closed; it is not fd's, which holds its own */
	closed = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (closed < 0 || bind(closed, (struct sockaddr *)&sin, len) != 0 ||
	    getsockname(closed, (struct sockaddr *)&sin, &len) != 0) {
		if (closed >= 0)
			close(closed);
		close(fd);
		return -EIO;
	}
	close(closed);
	if (connect(fd, (struct sockaddr *)&sin, len) != 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/*
 * upstream.c's open_request: one end of a socketpair whose other end the
 * server holds, or for a refusing server a socket that earns ICMP errors.
 */
static int
sim_open(const struct peer *p)
{
	struct server *s = server_of(p);
	int sv[2];

	if (s == NULL)
		return -EINVAL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->state == REFUSED)
		return refused_socket();
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		return -EINVAL;
	s->fd = sv[1];
	return sv[0];
}

/* The descriptor of @s's request outstanding at stratad's end, -1 if none. */
static int
request_fd(const struct upstream *u, const struct server *s)
{
	int i;

	for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
		if (u->peers[i].in_use && u->peers[i].fd >= 0 && server_of(&u->peers[i]) == s)
			return u->peers[i].fd;
	return -1;
}

/* Round trips of 1 to 5 ms, from a fixed-seed linear congruential generator. */
static double
sim_delay(void)
{
	sim.rng = sim.rng * 1103515245u + 12345u;
	return 1e-3 + 4e-3 * (double)(sim.rng >> 8) / 16777216.0;
}

static uint64_t
ntp_at(uint64_t mono, double offset)
{
	return T0 + (uint64_t)((double)mono / NS * 4294967296.0) +
	       (uint64_t)(int64_t)(offset * 4294967296.0);
}

/*
 * Each server answers the request in its socketpair, if up; the reply (or
 * the ICMP error) reaches stratad a round trip after @sent, the tick that
 * sent the request.
 */
static void
serve(struct upstream *u, uint64_t sent)
{
	int i;

	for (i = 0; i < NSERVERS; i++) {
		struct server *s = &sim.srv[i];
		struct ntp_hdr req, rep;
		struct pollfd pfd;
		double rtt;

		rtt = sim_delay();
		if (s->state == REFUSED) {
			/* the error arrives (on loopback, at once) and is read as stratad would */
			pfd = (struct pollfd){.fd = request_fd(u, s), .events = POLLIN};
			if (pfd.fd < 0)
				continue;
			/* loopback answers at once: a second without the error is a broken setup */
			if (poll(&pfd, 1, 1000) == 1)
				upstream_receive(u, &pfd, 1, sent + (uint64_t)(rtt * NS));
			else
				CU_FAIL("a refusing server's request earned no ICMP error in 1 s");
			continue;
		}
		if (s->fd < 0 || recv(s->fd, &req, sizeof(req), 0) != sizeof(req))
			continue;
		if (s->state == SILENT)
			continue; /* the request is lost */
		memset(&rep, 0, sizeof(rep));
		rep.lvm = NTP_LVM(NTP_LEAP_NONE, 4, NTP_MODE_SERVER);
		rep.stratum = 1;
		rep.poll = 2;
		rep.precision = -20;
		rep.refid = NTP_KISS('G', 'P', 'S', 0);
		rep.org = req.xmt;
		ntp_ts_put(&rep.rec, ntp_at(sent + (uint64_t)(rtt / 2 * NS), s->offset));
		ntp_ts_put(&rep.ref, ntp_ts_get(&rep.rec));
		rep.xmt = rep.rec;
		if (send(s->fd, &rep, sizeof(rep), 0) != sizeof(rep))
			continue;
		pfd = (struct pollfd){.fd = request_fd(u, s), .events = POLLIN, .revents = POLLIN};
		if (pfd.fd >= 0)
			upstream_receive(u, &pfd, 1, sent + (uint64_t)(rtt * NS));
	}
}

/*
 * One tick of stratad's main loop (run() in stratad.c), 1/32 s after the
 * last: the replies to the last tick's requests arrive in between (round
 * trips are shorter than a tick), then the tick's housekeeping sends the
 * polls now due; what ntp_fill() would publish is then upstream_sys().
 */
static void
tick(struct upstream *u, struct disc *d)
{
	uint64_t prev = sim.mono;

	sim.mono += TICK_NS;
	serve(u, prev);
	upstream_tick(u, sim.mono, disc_advance(d, sim.mono));
}

/* The address of the peer marked @mark in "stratactl sources", or "" if none. */
static const char *
marked(const struct upstream *u, char mark)
{
	static struct upstream_peer_report r[UPSTREAM_MAX_PEERS];
	int i, n = upstream_report(u, sim.mono, r, UPSTREAM_MAX_PEERS);

	for (i = 0; i < n; i++)
		if (r[i].mark == mark)
			return r[i].name;
	return "";
}

static struct upstream *
sim_start(struct cfg *c, struct disc *d, int minsources)
{
	static const double offsets[NSERVERS] = {0.0002, -0.0003, 0.0001, 0.5};
	unsigned int i;

	memset(&sim, 0, sizeof(sim));
	sim.mono = 1000 * NS;
	sim.rng = 12345;
	memset(c, 0, sizeof(*c));
	c->n_sources = NSERVERS;
	c->minsources = minsources;
	c->holdover = HOLDOVER;
	for (i = 0; i < NSERVERS; i++) {
		static const char *const addrs[NSERVERS] = {"198.51.100.1", "198.51.100.2",
							    "198.51.100.3", "198.51.100.4"};

		sim.srv[i] = (struct server){addrs[i], offsets[i], UP, -1};
		c->sources[i].kind = CFG_SRC_SERVER;
		snprintf(c->sources[i].host, sizeof(c->sources[i].host), "%s", addrs[i]);
		c->sources[i].iburst = 1;
		c->sources[i].minpoll = 2;
		c->sources[i].maxpoll = 2;
	}
	clock_mono = sim_mono;
	open_request = sim_open;
	/* strata's clock starts right: the honest servers' truth at monotonic 0 */
	disc_init(d, sim.mono, ntp_at(sim.mono, 0), 0);
	/* the numeric names resolve at once (lib/resolve.c): peers at the first tick */
	return upstream_new(c, d);
}

static void
sim_end(struct upstream *u)
{
	int i;

	upstream_free(u);
	for (i = 0; i < NSERVERS; i++)
		if (sim.srv[i].fd >= 0)
			close(sim.srv[i].fd);
}

/*
 * What ntp_fill() publishes from upstream_sys(): synchronised while the
 * fields stand (upstream_sys_current()), from a selected system peer (not
 * "NTP (holdover)"), at a stratum below 16.
 */
static int
served_synced(const struct upstream *u)
{
	struct upstream_sys sys;

	upstream_sys(u, &sys);
	return upstream_sys_current(&sys, sim.mono, HOLDOVER) && sys.synced &&
	       sys.stratum < NTP_STRATUM_UNSYNC;
}

/*
 * Run until @until_s seconds after the start; @return the first time from
 * SYNCED_S on when the server was not synchronised, 0 if never.
 */
static uint64_t
run_until(struct upstream *u, struct disc *d, double until_s)
{
	uint64_t unsync = 0;

	while (sim.mono < 1000 * NS + (uint64_t)(until_s * NS)) {
		tick(u, d);
		if (unsync == 0 && sim.mono >= 1000 * NS + SYNCED_S * NS && !served_synced(u))
			unsync = sim.mono;
	}
	return unsync;
}

/*
 * Kill the system peer @phase seconds after SETTLE_S, so at every phase of
 * its poll (the polls are 2 s apart in the iburst, then 4 s); check every
 * tick from SYNCED_S until 40 s after the kill.
 */
static void
failover(int minsources, double phase, enum state how)
{
	struct upstream *u;
	struct upstream_sys sys;
	struct disc d;
	struct cfg c;
	char dead[64], now[64];
	uint64_t kill, last = 0, took = 0, unsync = 0;
	const char *sp;
	int i;

	u = sim_start(&c, &d, minsources);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	unsync = run_until(u, &d, SETTLE_S + phase);
	if (unsync != 0)
		printf("\n  minsources %d: unsynchronised %.2f s after the start, before any kill",
		       minsources, (double)(unsync - 1000 * NS) / NS);
	CU_ASSERT_EQUAL(unsync, 0);
	upstream_sys(u, &sys);
	sp = marked(u, '*');
	CU_ASSERT_FATAL(sp[0] != '\0');
	CU_ASSERT_EQUAL(sys.synced, 1);
	CU_ASSERT_EQUAL(sys.n_truechimers, 3);
	CU_ASSERT_STRING_EQUAL(marked(u, 'x'), "198.51.100.4");
	snprintf(dead, sizeof(dead), "%s", sp);
	for (i = 0; i < NSERVERS; i++)
		if (strcmp(sim.srv[i].addr, dead) == 0)
			sim.srv[i].state = how;
	kill = sim.mono;
	for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
		if (u->peers[i].in_use && strcmp(u->peers[i].name, dead) == 0)
			last = u->peers[i].ntpc.last_rx_ns;
	unsync = 0;
	while (sim.mono < kill + 40 * NS) {
		tick(u, &d);
		if (unsync == 0 && !served_synced(u))
			unsync = sim.mono;
		sp = marked(u, '*');
		if (took == 0 && sp[0] != '\0' && strcmp(sp, dead) != 0) {
			took = sim.mono - kill;
			snprintf(now, sizeof(now), "%s", sp);
		}
	}
	printf("\n  minsources %d, system peer %s %s %.2f s after its last reply: ", minsources,
	       dead, how == SILENT ? "silent" : "refusing", (double)(kill - last) / NS);
	if (unsync != 0)
		printf("unsynchronised %.2f s after the kill; ", (double)(unsync - kill) / NS);
	if (took != 0)
		printf("%s system peer after %.2f s", now, (double)took / NS);
	else
		printf("no new system peer");
	CU_ASSERT_EQUAL(unsync, 0);
	/* the second lost poll ends at most two polls and the reply wait after the kill */
	CU_ASSERT(took != 0 && took <= (2 * POLL_S * NS + REPLY_WAIT_NS + TICK_NS));
	/* the served fields are the new system peer's: refid = its address */
	upstream_sys(u, &sys);
	if (took != 0) {
		struct in_addr a;

		inet_pton(AF_INET, now, &a);
		CU_ASSERT_EQUAL(sys.refid, a.s_addr);
		CU_ASSERT_EQUAL(sys.stratum, 2);
		CU_ASSERT_EQUAL(sys.n_truechimers, 2);
	}
	CU_ASSERT_STRING_EQUAL(marked(u, 'x'), "198.51.100.4");
	sim_end(u);
}

static void
test_failover(void)
{
	int phase;

	/* every phase of the kill against the poll, in eighths */
	for (phase = 0; phase < 8; phase++)
		failover(1, phase * POLL_S / 8.0, SILENT);
	printf("\n");
}

static void
test_failover_minsources2(void)
{
	int phase;

	for (phase = 0; phase < 8; phase++)
		failover(2, phase * POLL_S / 8.0, SILENT);
	printf("\n");
}

/* The system peer's daemon dies, its host lives on: ICMP errors, not silence. */
static void
test_failover_refused(void)
{
	int phase;

	for (phase = 0; phase < 8; phase++)
		failover(2, phase * POLL_S / 8.0, REFUSED);
	printf("\n");
}

/*
 * Every truechimer dies (minsources 2: the falseticker alone is no
 * majority): the holdover runs from their last reply and ends on time. The
 * falseticker's replies must not stretch it.
 */
static void
test_holdover(void)
{
	struct upstream *u;
	struct upstream_sys sys;
	uint64_t kill, last = 0, unsync = 0;
	struct disc d;
	struct cfg c;
	int i;

	u = sim_start(&c, &d, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_EQUAL(run_until(u, &d, SETTLE_S), 0);
	for (i = 0; i < 3; i++)
		sim.srv[i].state = SILENT;
	kill = sim.mono;
	for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
		if (u->peers[i].in_use && u->peers[i].mark != SEL_FALSETICKER &&
		    u->peers[i].ntpc.last_rx_ns > last)
			last = u->peers[i].ntpc.last_rx_ns;
	while (sim.mono < kill + 30 * NS) {
		tick(u, &d);
		upstream_sys(u, &sys);
		if (unsync == 0 && !upstream_sys_current(&sys, sim.mono, HOLDOVER))
			unsync = sim.mono;
	}
	printf("\n  last truechimer reply %.2f s before the kill, unsynchronised %.2f s after it\n",
	       (double)(kill - last) / NS, (double)(unsync - kill) / NS);
	CU_ASSERT(unsync != 0);
	CU_ASSERT(unsync >= last + HOLDOVER * NS && unsync <= last + HOLDOVER * NS + TICK_NS);
	CU_ASSERT_STRING_EQUAL(marked(u, '*'), "");
	sim_end(u);
}


/* The peer of address @addr, or NULL. */
static const struct peer *
peer_of(const struct upstream *u, const char *addr)
{
	int i;

	for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
		if (u->peers[i].in_use && strcmp(u->peers[i].name, addr) == 0)
			return &u->peers[i];
	return NULL;
}

/*
 * A reload (upstream_update()): the servers whose lines stay keep their
 * peers, clock filters and reach, so the server stays synchronised; the
 * removed one is gone at once; a line whose options changed starts over
 * like a new one; a new line starts (resolved, polled).
 */
static void
test_reload(void)
{
	struct ntpc_source before[2];
	const struct peer *p;
	struct upstream *u;
	struct disc d;
	struct cfg c;
	uint64_t end;
	int i;

	u = sim_start(&c, &d, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_EQUAL(run_until(u, &d, SETTLE_S), 0);
	for (i = 0; i < 2; i++) {
		p = peer_of(u, sim.srv[i].addr);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT(p->ntpc.reach != 0 && p->ntpc.n_filter > 0);
		before[i] = p->ntpc;
	}
	/* .1 and .2 as they were, .3 now prefer, .4 gone, .9 new; in another order */
	c.sources[3] = c.sources[0];
	c.sources[0] = c.sources[2];
	c.sources[0].prefer = 1;
	snprintf(c.sources[2].host, sizeof(c.sources[2].host), "198.51.100.9");
	CU_ASSERT_EQUAL(upstream_update(u, &c), 0);
	for (i = 0; i < 2; i++) {
		p = peer_of(u, sim.srv[i].addr);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(p->ntpc.reach, before[i].reach);
		CU_ASSERT_EQUAL(p->ntpc.n_filter, before[i].n_filter);
		CU_ASSERT(memcmp(p->ntpc.filter, before[i].filter, sizeof(p->ntpc.filter)) == 0);
	}
	CU_ASSERT_PTR_NULL(peer_of(u, "198.51.100.4"));
	CU_ASSERT_PTR_NULL(peer_of(u, "198.51.100.3"));
	CU_ASSERT(served_synced(u));
	tick(u, &d);
	/* the new lines are peers after the next tick, with nothing heard yet */
	p = peer_of(u, "198.51.100.3");
	CU_ASSERT(p != NULL && p->ntpc.reach == 0 && p->ntpc.cfg.prefer);
	p = peer_of(u, "198.51.100.9");
	CU_ASSERT(p != NULL && p->ntpc.reach == 0);
	/* synchronised throughout, and the restarted .3 is heard again */
	end = sim.mono + 20 * NS;
	while (sim.mono < end) {
		tick(u, &d);
		CU_ASSERT_FATAL(served_synced(u));
	}
	p = peer_of(u, "198.51.100.3");
	CU_ASSERT(p != NULL && p->ntpc.reach != 0);
	CU_ASSERT_STRING_EQUAL(marked(u, 'x'), "");
	sim_end(u);
}

static const struct test_case cases[] = {
	TEST_CASE(test_failover),
	TEST_CASE(test_failover_minsources2),
	TEST_CASE(test_failover_refused),
	TEST_CASE(test_holdover),
	TEST_CASE(test_reload),
};

CUNIT_MAIN("upstream", cases)
