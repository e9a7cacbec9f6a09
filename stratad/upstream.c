/* SPDX-License-Identifier: BSD-3-Clause */
#include "upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <strata/ntp.h>

#include "log.h"
#include "monotime.h"
#include "ntpc.h"
#include "phc.h"
#include "refid.h"
#include "tsc.h"

/* How long to wait for a reply at most; shorter when the next poll comes sooner. */
#define REPLY_WAIT_NS 2000000000ULL
/* A pool member lost for this many polls in a row, or falseticker this often, is replaced */
#define POOL_LOST_POLLS 4
#define POOL_FALSETICKS 4
/* A replaced pool member is not taken back from the pool's answers for this long */
#define POOL_AVOID_NS (600 * NSEC_PER_SEC)
#define POOL_AVOID_MAX 16
/* Retry a failed or short name lookup after this long, doubling to the maximum */
#define LOOKUP_RETRY_MIN_NS 2000000000ULL
#define LOOKUP_RETRY_MAX_NS 300000000000ULL

#define REF_NSAMPLE 8

/* A reference clock (refclock phc): sampled against the system clock, not polled. */
struct refclock {
	struct phc *phc;
	double offset[REF_NSAMPLE]; /* its time minus ours, s, newest first */
	double delay[REF_NSAMPLE];
	uint64_t mono[REF_NSAMPLE];
	int64_t raw[REF_NSAMPLE]; /* the clock's own reading, ns: hardware stamps are in it */
	int n;
	double rate; /* its ns per monotonic ns, from the oldest and newest sample */
	int system;  /* "refclock system": the kernel clock, trusted while it says it is synced */
	double max_error; /* the kernel's maximum error, s, as root dispersion */
};

struct peer {
	int in_use;
	int origin; /* index of its line in cfg->sources */
	struct refclock *ref; /* a reference clock, or NULL for an NTP server */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char name[64];
	struct ntpc_source ntpc;
	int fd;            /* the socket of the outstanding request, -1 */
	uint64_t deadline; /* monotonic ns */
	enum sel_mark mark;
	int falseticks;    /* consecutive selections as falseticker */
	int polls;         /* requests sent */
};

struct lookup {
	struct gaicb gcb;
	struct addrinfo hints;
	int active;        /* a getaddrinfo_a() request is running */
	int done;          /* a server line got its peer: no more lookups */
	uint64_t retry_at; /* monotonic ns of the next lookup, 0 now */
	uint64_t backoff;
};

/* An address a pool replaced: lookups skip it until @until. */
struct avoid {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint64_t until; /* monotonic ns, 0 free */
};

struct upstream {
	const struct cfg *cfg;
	struct disc *disc;
	struct peer peers[UPSTREAM_MAX_PEERS];
	struct avoid avoid[POOL_AVOID_MAX];
	struct lookup lookups[CFG_MAX_SOURCES];
	struct upstream_sys sys;
	int sys_peer;             /* index into peers, -1 */
	uint64_t sys_sample_mono; /* the system peer sample the last update used */
};

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

static void
close_request(struct peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static int
avoided(const struct upstream *u, const struct sockaddr *sa, socklen_t len, uint64_t mono)
{
	int i;

	for (i = 0; i < POOL_AVOID_MAX; i++)
		if (u->avoid[i].until > mono && u->avoid[i].addrlen == len &&
		    memcmp(&u->avoid[i].addr, sa, len) == 0)
			return 1;
	return 0;
}

static void
drop_peer(struct upstream *u, struct peer *p, const char *why, uint64_t mono)
{
	struct avoid *a = &u->avoid[0];
	int i;

	log_info("source %s (%s) removed: %s", p->name, u->cfg->sources[p->origin].host, why);
	/* the oldest entry makes room */
	for (i = 1; i < POOL_AVOID_MAX; i++)
		if (u->avoid[i].until < a->until)
			a = &u->avoid[i];
	memcpy(&a->addr, &p->addr, p->addrlen);
	a->addrlen = p->addrlen;
	a->until = mono + POOL_AVOID_NS;
	close_request(p);
	p->in_use = 0;
	if (u->sys_peer == p - u->peers)
		u->sys_peer = -1;
	/* the pool looks for a replacement at once */
	u->lookups[p->origin].retry_at = 0;
}

static int
peer_count(const struct upstream *u, int origin)
{
	int i, n = 0;

	for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
		n += u->peers[i].in_use && u->peers[i].origin == origin;
	return n;
}

static int
known_addr(const struct upstream *u, const struct sockaddr *sa, socklen_t len)
{
	int i;

	for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
		if (u->peers[i].in_use && u->peers[i].addrlen == len &&
		    memcmp(&u->peers[i].addr, sa, len) == 0)
			return 1;
	return 0;
}

static void
add_peer(struct upstream *u, int origin, const struct addrinfo *ai, uint64_t mono)
{
	const struct cfg_source *src = &u->cfg->sources[origin];
	struct ntpc_config nc = {
		.minpoll = src->minpoll,
		.maxpoll = src->maxpoll,
		.iburst = src->iburst,
		.prefer = src->prefer,
		.noselect = src->noselect,
	};
	struct peer *p = NULL;
	int i;

	for (i = 0; i < UPSTREAM_MAX_PEERS && p == NULL; i++)
		if (!u->peers[i].in_use)
			p = &u->peers[i];
	if (p == NULL) {
		log_warn("more than %d upstream peers: %s ignored", UPSTREAM_MAX_PEERS, src->host);
		return;
	}
	memset(p, 0, sizeof(*p));
	p->in_use = 1;
	p->origin = origin;
	p->fd = -1;
	memcpy(&p->addr, ai->ai_addr, ai->ai_addrlen);
	p->addrlen = ai->ai_addrlen;
	getnameinfo(ai->ai_addr, ai->ai_addrlen, p->name, sizeof(p->name), NULL, 0, NI_NUMERICHOST);
	ntpc_init(&p->ntpc, &nc, mono);
	log_info("source %s (%s) added", p->name, src->host);
}

static void
start_lookup(struct upstream *u, int origin)
{
	struct lookup *l = &u->lookups[origin];
	struct gaicb *list[1] = {&l->gcb};
	int err;

	memset(&l->gcb, 0, sizeof(l->gcb));
	memset(&l->hints, 0, sizeof(l->hints));
	l->hints.ai_family = AF_UNSPEC;
	l->hints.ai_socktype = SOCK_DGRAM;
	l->hints.ai_protocol = IPPROTO_UDP;
	l->gcb.ar_name = u->cfg->sources[origin].host;
	l->gcb.ar_service = "123";
	l->gcb.ar_request = &l->hints;
	/* glibc resolves in a helper thread: the daemon never blocks on DNS */
	err = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (err != 0) {
		log_warn("%s: cannot start the name lookup: %s", l->gcb.ar_name, gai_strerror(err));
		return;
	}
	l->active = 1;
}

/* A lookup finished: servers take the first address, pools fill up to maxsources. */
static void
finish_lookup(struct upstream *u, int origin, uint64_t mono)
{
	const struct cfg_source *src = &u->cfg->sources[origin];
	struct lookup *l = &u->lookups[origin];
	const struct addrinfo *ai;
	int err = gai_error(&l->gcb);
	int want = src->kind == CFG_SRC_POOL ? src->maxsources : 1;

	if (err == EAI_INPROGRESS)
		return;
	l->active = 0;
	if (err != 0) {
		log_warn("%s: name lookup failed: %s (retrying)", src->host, gai_strerror(err));
	} else {
		for (ai = l->gcb.ar_result; ai != NULL && peer_count(u, origin) < want;
		     ai = ai->ai_next)
			if (!known_addr(u, ai->ai_addr, ai->ai_addrlen) &&
			    !avoided(u, ai->ai_addr, ai->ai_addrlen, mono))
				add_peer(u, origin, ai, mono);
		freeaddrinfo(l->gcb.ar_result);
		l->gcb.ar_result = NULL;
	}
	if (src->kind == CFG_SRC_SERVER && peer_count(u, origin) > 0) {
		l->done = 1;
		return;
	}
	if (peer_count(u, origin) < want) {
		/* not enough members (yet): ask again later, less and less often */
		l->backoff = l->backoff == 0 ? LOOKUP_RETRY_MIN_NS : l->backoff * 2;
		if (l->backoff > LOOKUP_RETRY_MAX_NS)
			l->backoff = LOOKUP_RETRY_MAX_NS;
		l->retry_at = mono + l->backoff;
	} else {
		l->backoff = 0;
		l->retry_at = UINT64_MAX; /* until a member is dropped */
	}
}

static void
add_refclock(struct upstream *u, int origin, uint64_t mono)
{
	const struct cfg_source *src = origin >= 0 ? &u->cfg->sources[origin] : NULL;
	const char *clock = src != NULL ? src->host : "CLOCK_REALTIME";
	struct peer *p = NULL;
	int i;

	for (i = 0; i < UPSTREAM_MAX_PEERS && p == NULL; i++)
		if (!u->peers[i].in_use)
			p = &u->peers[i];
	if (p == NULL)
		return;
	memset(p, 0, sizeof(*p));
	p->ref = calloc(1, sizeof(*p->ref));
	if (p->ref == NULL)
		return;
	p->ref->phc = phc_open(clock);
	if (p->ref->phc == NULL) {
		free(p->ref);
		p->ref = NULL;
		return;
	}
	p->in_use = 1;
	p->origin = origin;
	p->fd = -1;
	p->ref->system = src == NULL;
	snprintf(p->name, sizeof(p->name), "%.63s", src != NULL ? src->host : "SYSTEM");
	/* the filter's bookkeeping is shared with NTP peers: poll, reach, output */
	p->ntpc.cfg.prefer = src != NULL && src->prefer;
	p->ntpc.poll = src != NULL ? src->poll : 0;
	p->ntpc.stratum = 0;
	memcpy(&p->ntpc.refid, src != NULL ? "PHC" : "SYS", 4);
	p->ntpc.next_ns = mono;
	log_info("reference clock %s: sampled with %s every 2^%d s", p->name,
		 phc_method(p->ref->phc), p->ntpc.poll);
}

/*
 * "refclock system" among other sources: the kernel clock is one more
 * reference, usable only while the kernel says it is synchronised (by
 * chronyd, or phc2sys), with its maximum error as the root dispersion.
 */
static int
system_usable(struct refclock *r)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));
	state = adjtimex(&tx);
	if (state < 0 || state == TIME_ERROR || (tx.status & STA_UNSYNC))
		return 0;
	r->max_error = (double)tx.maxerror * 1e-6;
	return 1;
}

/*
 * One reading of a reference clock: its time (plus the configured offset,
 * e.g. -37 s for a PHC on TAI) minus ours at the same instant. The filter
 * keeps the last REF_NSAMPLE and, as RFC 5905 section 10 does for packets,
 * uses the one with the least delay (the tightest system-time sandwich).
 */
static void
sample_refclock(struct upstream *u, struct peer *p, uint64_t mono)
{
	const struct cfg_source *src = p->origin >= 0 ? &u->cfg->sources[p->origin] : NULL;
	struct refclock *r = p->ref;
	struct phc_sample sm;
	double sum = 0;
	int64_t utc_ns;
	uint64_t ours;
	int i, best = 0;

	p->ntpc.next_ns = mono + (uint64_t)(ldexp(1.0, p->ntpc.poll) * 1e9);
	p->ntpc.reach <<= 1;
	if ((r->system && !system_usable(r)) || phc_sample(r->phc, &sm) != 0)
		return;
	p->ntpc.reach |= 1;
	utc_ns = sm.sys_ns + sm.offset_ns + (src != NULL ? (int64_t)llround(src->offset * 1e9) : 0);
	ours = disc_now(u->disc, sm.mono_ns);
	memmove(r->offset + 1, r->offset, (REF_NSAMPLE - 1) * sizeof(r->offset[0]));
	memmove(r->delay + 1, r->delay, (REF_NSAMPLE - 1) * sizeof(r->delay[0]));
	memmove(r->mono + 1, r->mono, (REF_NSAMPLE - 1) * sizeof(r->mono[0]));
	memmove(r->raw + 1, r->raw, (REF_NSAMPLE - 1) * sizeof(r->raw[0]));
	r->offset[0] = (double)ntp_ts_diff(ntp_from_unix(utc_ns / (int64_t)NSEC_PER_SEC,
							  (__u32)(utc_ns % (int64_t)NSEC_PER_SEC), NULL),
					   ours) / 4294967296.0;
	r->delay[0] = (double)sm.delay_ns * 1e-9;
	r->mono[0] = sm.mono_ns;
	r->raw[0] = sm.sys_ns + sm.offset_ns;
	if (r->n < REF_NSAMPLE)
		r->n++;
	for (i = 1; i < r->n; i++)
		if (r->delay[i] < r->delay[best])
			best = i;
	for (i = 0; i < r->n; i++)
		sum += (r->offset[i] - r->offset[best]) * (r->offset[i] - r->offset[best]);
	p->ntpc.offset = r->offset[best];
	p->ntpc.delay = r->delay[best];
	p->ntpc.disp = 1e-6; /* a clock read in nanoseconds, not across a network */
	p->ntpc.root_disp = r->system ? r->max_error : 0;
	p->ntpc.jitter = r->n > 1 ? sqrt(sum / (r->n - 1)) : 1e-6;
	if (p->ntpc.jitter < 1e-9)
		p->ntpc.jitter = 1e-9;
	p->ntpc.filter_mono_ns = r->mono[best];
	p->ntpc.last_rx_ns = mono;
	p->ntpc.n_filter = r->n;
	p->ntpc.new_sample = 1;
	if (r->n > 1 && r->mono[0] > r->mono[r->n - 1])
		r->rate = (double)(r->raw[0] - r->raw[r->n - 1]) /
			  (double)(r->mono[0] - r->mono[r->n - 1]);
}

static int
refclock_candidate(const struct peer *p, uint64_t mono, struct sel_candidate *c)
{
	if (p->ref->n == 0 || (p->ntpc.reach & 3) == 0)
		return -1;
	memset(c, 0, sizeof(*c));
	c->offset = p->ntpc.offset;
	c->delay = p->ntpc.delay;
	/* the sample may be younger than the tick that asks: no negative age */
	c->disp = p->ntpc.disp;
	if (mono > p->ntpc.filter_mono_ns)
		c->disp += 15e-6 * (double)(mono - p->ntpc.filter_mono_ns) * 1e-9;
	c->jitter = p->ntpc.jitter;
	c->root_disp = p->ref->system ? p->ref->max_error : 0;
	c->stratum = 0;
	c->prefer = p->ntpc.cfg.prefer;
	return 0;
}

/* Our clock moved by @applied s: the reference samples read that much less. */
static void
refclock_moved(struct refclock *r, double applied)
{
	int i;

	for (i = 0; i < r->n; i++)
		r->offset[i] -= applied;
}

int
upstream_phc_map(const struct upstream *u, const struct snap_map *mono, struct snap_map *m)
{
	int i;

	/*
	 * Hardware receive stamps are in the first reference clock's own
	 * timescale: map it through monotonic time to ours, composed afresh
	 * at every publish so that it follows the discipline's slew.
	 */
	for (i = 0; i < UPSTREAM_MAX_PEERS; i++) {
		const struct peer *p = &u->peers[i];
		const struct refclock *r = p->ref;

		if (!p->in_use || r == NULL || r->system || r->n < 2 ||
		    !(r->rate > 0.5 && r->rate < 2))
			continue;
		return map_compose(mono, (uint64_t)r->raw[0], r->mono[0], r->rate, m);
	}
	return -1;
}

struct upstream *
upstream_new(const struct cfg *c, struct disc *d)
{
	struct upstream *u = calloc(1, sizeof(*u));
	unsigned int i;

	if (u == NULL)
		return NULL;
	u->cfg = c;
	u->disc = d;
	u->sys_peer = -1;
	for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
		u->peers[i].fd = -1;
	if (c->refclock_system)
		add_refclock(u, -1, mono_ns());
	for (i = 0; i < c->n_sources; i++) {
		if (c->sources[i].kind != CFG_SRC_PHC) {
			start_lookup(u, (int)i);
		} else {
			add_refclock(u, (int)i, mono_ns());
			if (peer_count(u, (int)i) == 0) {
				upstream_free(u);
				errno = ENODEV;
				return NULL;
			}
		}
	}
	return u;
}

void
upstream_free(struct upstream *u)
{
	unsigned int i;

	if (u == NULL)
		return;
	for (i = 0; i < CFG_MAX_SOURCES; i++) {
		struct gaicb *g = &u->lookups[i].gcb;

		if (u->lookups[i].active && gai_cancel(g) == EAI_NOTCANCELED)
			gai_suspend((const struct gaicb *const[]){g}, 1, NULL);
		if (u->lookups[i].active && gai_error(g) == 0)
			freeaddrinfo(g->ar_result);
	}
	for (i = 0; i < UPSTREAM_MAX_PEERS; i++) {
		close_request(&u->peers[i]);
		if (u->peers[i].ref != NULL) {
			phc_close(u->peers[i].ref->phc);
			free(u->peers[i].ref);
		}
	}
	free(u);
}

int
upstream_pollfds(const struct upstream *u, struct pollfd *pfd, int max)
{
	int i, n = 0;

	for (i = 0; i < UPSTREAM_MAX_PEERS && n < max; i++) {
		if (u->peers[i].in_use && u->peers[i].fd >= 0) {
			pfd[n].fd = u->peers[i].fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
	}
	return n;
}

static void
send_request(struct upstream *u, struct peer *p, uint64_t mono)
{
	uint8_t buf[NTP_HEADER_LEN];
	uint64_t random, t1, next;
	size_t len;
	int fd;

	close_request(p);
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
	t1 = disc_now(u->disc, mono);
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

static void select_sources(struct upstream *u, uint64_t mono);

static void
receive(struct upstream *u, struct peer *p, uint64_t mono)
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
			return;
		/*
		 * ICMP unreachable and the like (a server whose daemon died):
		 * the poll is lost now, not at the next request, and selection
		 * learns it at once.
		 */
		close_request(p);
		ntpc_timeout(&p->ntpc, mono);
		select_sources(u, mono);
		return;
	}
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS)
			rx_mono = realtime_to_mono((const struct timespec *)CMSG_DATA(cm));
	if (rx_mono == 0)
		rx_mono = mono;
	ev = ntpc_reply(&p->ntpc, buf, (size_t)n, disc_now(u->disc, rx_mono), mono);
	switch (ev) {
	case NTPC_IGNORED:
		return; /* keep waiting for the real reply */
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
	close_request(p);
	/*
	 * Every answered or lost poll re-runs selection, not only a new
	 * clock-filter output: a reply that leaves the filter as it was still
	 * shows the source alive, and the server's fields stand on that.
	 */
	select_sources(u, mono);
}

void
upstream_receive(struct upstream *u, const struct pollfd *pfd, int n, uint64_t mono)
{
	int i, j;

	for (j = 0; j < n; j++) {
		if (!(pfd[j].revents & (POLLIN | POLLERR)))
			continue;
		for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
			if (u->peers[i].in_use && u->peers[i].fd == pfd[j].fd)
				receive(u, &u->peers[i], mono);
	}
}

/*
 * RFC 5905 section 11.3: the server's fields follow the system peer, at
 * every selection that has one. They stand from the newest reply of any
 * survivor: the holdover (ntp_fill() in stratad.c) runs out only when no
 * truechimer has answered for that long, whichever of them is the system
 * peer and whether or not its clock filter has a sample the loop has not
 * used yet. A falseticker's replies back nothing.
 */
static void
update_sys(struct upstream *u, const struct peer *sp, const struct sel_result *r,
	   const struct sel_candidate *c, int n, const enum sel_mark *marks, uint64_t mono)
{
	int votes[4] = {0}, i, leap = NTP_LEAP_NONE;
	uint64_t newest = 0;

	for (i = 0; i < n; i++) {
		const struct peer *p = &u->peers[c[i].id];

		if (marks[i] < SEL_SURVIVOR)
			continue;
		/* a leap second is announced when most survivors announce it */
		votes[p->ntpc.leap & 3]++;
		if (p->ntpc.last_rx_ns > newest)
			newest = p->ntpc.last_rx_ns;
	}
	if (newest == 0 || newest > mono)
		newest = mono;
	/* the reference timestamp never goes back when the survivors change */
	if (newest < u->sys.last_update)
		newest = u->sys.last_update;
	for (i = 1; i < 3; i++)
		if (votes[i] * 2 > r->n_survivors)
			leap = i;
	u->sys.synced = 1;
	u->sys.stratum = sp->ntpc.stratum + 1;
	/* RFC 5905 section 7.3: a reference clock's four letters, else the peer's address */
	u->sys.refid = sp->ref != NULL ? sp->ntpc.refid
				       : refid_of((const struct sockaddr *)&sp->addr);
	u->sys.leap = leap;
	u->sys.root_delay = sp->ntpc.root_delay + sp->ntpc.delay;
	/*
	 * RFC 5905 appendix A.5.5.6 clock_update(): the peer's dispersion and
	 * jitter on top; its dispersion grown to now, as selection saw it.
	 */
	u->sys.root_disp = sp->ntpc.root_disp + c[r->sys_peer].disp + r->jitter + fabs(r->offset);
	u->sys.offset = r->offset;
	u->sys.jitter = r->jitter;
	u->sys.n_truechimers = r->n_truechimers;
	u->sys.ref_time = disc_now(u->disc, newest);
	u->sys.last_update = newest;
}

static void
select_sources(struct upstream *u, uint64_t mono)
{
	struct sel_candidate c[UPSTREAM_MAX_PEERS];
	enum sel_mark marks[UPSTREAM_MAX_PEERS];
	struct sel_result r;
	struct peer *sp;
	double step = 0;
	int i, n = 0;

	for (i = 0; i < UPSTREAM_MAX_PEERS; i++) {
		struct peer *p = &u->peers[i];

		if (!p->in_use)
			continue;
		p->mark = SEL_REJECT;
		p->ntpc.new_sample = 0;
		/* two polls in a row unanswered: not trusted until it answers again */
		if (p->polls >= 2 && (p->ntpc.reach & 3) == 0)
			continue;
		if ((p->ref != NULL ? refclock_candidate(p, mono, &c[n])
				    : ntpc_candidate(&p->ntpc, mono, &c[n])) == 0) {
			c[n].id = i;
			n++;
		}
	}
	sel_select(c, n, u->cfg->minsources, marks, &r);
	for (i = 0; i < n; i++) {
		struct peer *p = &u->peers[c[i].id];

		p->mark = marks[i];
		p->falseticks = marks[i] == SEL_FALSETICKER ? p->falseticks + 1 : 0;
	}
	u->sys.n_truechimers = r.n_truechimers;
	if (r.sys_peer < 0) {
		if (u->sys.synced)
			log_warn("no system peer: %d truechimers of %d sources (minsources %d)",
				 r.n_truechimers, n, u->cfg->minsources);
		u->sys.synced = 0;
		u->sys_peer = -1;
		return;
	}
	/*
	 * Keep the system peer while it survives and no better stratum appears
	 * (ntpd does the same): survivors that agree within their jitter would
	 * otherwise take turns, and the refid clients see would flap.
	 */
	for (i = 0; i < n && u->sys_peer >= 0; i++) {
		if (c[i].id == u->sys_peer && marks[i] == SEL_SURVIVOR &&
		    c[i].stratum <= c[r.sys_peer].stratum) {
			marks[r.sys_peer] = SEL_SURVIVOR;
			u->peers[c[r.sys_peer].id].mark = SEL_SURVIVOR;
			marks[i] = SEL_SYSPEER;
			u->peers[c[i].id].mark = SEL_SYSPEER;
			r.sys_peer = i;
			break;
		}
	}
	if (u->sys_peer != c[r.sys_peer].id)
		log_info("system peer: %s", u->peers[c[r.sys_peer].id].name);
	u->sys_peer = c[r.sys_peer].id;
	sp = &u->peers[u->sys_peer];
	/* steer only by a sample the loop has not seen yet (RFC 5905 section 11.3) */
	if (sp->ntpc.filter_mono_ns != u->sys_sample_mono || !u->sys.synced) {
		u->sys_sample_mono = sp->ntpc.filter_mono_ns;
		step = disc_update(u->disc, mono, r.offset, sp->ntpc.poll);
	}
	if (step != 0) {
		log_info("clock stepped by %+.6f s", step);
		r.offset -= step; /* what is left for the root dispersion */
		for (i = 0; i < UPSTREAM_MAX_PEERS; i++) {
			if (!u->peers[i].in_use)
				continue;
			if (u->peers[i].ref != NULL)
				refclock_moved(u->peers[i].ref, step);
			else
				ntpc_clock_stepped(&u->peers[i].ntpc, step);
		}
	}
	update_sys(u, sp, &r, c, n, marks, mono);
}

/* Pools keep maxsources good members: the lost and the lying make room. */
static void
prune_pools(struct upstream *u, uint64_t mono)
{
	int i;

	for (i = 0; i < UPSTREAM_MAX_PEERS; i++) {
		struct peer *p = &u->peers[i];

		if (!p->in_use || p->origin < 0 || u->cfg->sources[p->origin].kind != CFG_SRC_POOL)
			continue;
		if (p->ntpc.denied)
			drop_peer(u, p, "denied by kiss-o'-death", mono);
		else if (p->polls >= POOL_LOST_POLLS && (p->ntpc.reach & 0xf) == 0)
			drop_peer(u, p, "unreachable", mono);
		else if (p->falseticks >= POOL_FALSETICKS)
			drop_peer(u, p, "falseticker", mono);
	}
}

void
upstream_tick(struct upstream *u, uint64_t mono, double applied)
{
	unsigned int i;

	for (i = 0; i < UPSTREAM_MAX_PEERS; i++) {
		if (!u->peers[i].in_use || applied == 0)
			continue;
		if (u->peers[i].ref != NULL)
			refclock_moved(u->peers[i].ref, applied);
		else
			ntpc_clock_stepped(&u->peers[i].ntpc, applied);
	}
	prune_pools(u, mono);
	for (i = 0; i < u->cfg->n_sources; i++) {
		struct lookup *l = &u->lookups[i];

		if (u->cfg->sources[i].kind == CFG_SRC_PHC || l->done)
			continue;
		if (l->active)
			finish_lookup(u, (int)i, mono);
		else if (mono >= l->retry_at)
			start_lookup(u, (int)i);
	}
	for (i = 0; i < UPSTREAM_MAX_PEERS; i++) {
		struct peer *p = &u->peers[i];

		if (!p->in_use)
			continue;
		if (p->ref != NULL) {
			if (mono >= p->ntpc.next_ns) {
				/* a reading, or one missed: either can change the selection */
				sample_refclock(u, p, mono);
				select_sources(u, mono);
			}
			continue;
		}
		if (p->fd >= 0 && mono >= p->deadline) {
			close_request(p);
			ntpc_timeout(&p->ntpc, mono);
			/*
			 * A second lost poll in a row takes the source out of
			 * selection (select_sources()): a dead system peer is
			 * replaced by the survivors now, not at their next sample.
			 */
			select_sources(u, mono);
		}
		if (!p->ntpc.denied && mono >= p->ntpc.next_ns)
			send_request(u, p, mono);
	}
}

void
upstream_sys(const struct upstream *u, struct upstream_sys *s)
{
	*s = u->sys;
}

int
upstream_sys_current(const struct upstream_sys *s, uint64_t mono, unsigned int holdover)
{
	if (s->last_update == 0)
		return 0;
	return mono < s->last_update || mono - s->last_update < (uint64_t)holdover * NSEC_PER_SEC;
}

int
upstream_report(const struct upstream *u, uint64_t mono, struct upstream_peer_report *r, int max)
{
	int i, n = 0;

	for (i = 0; i < UPSTREAM_MAX_PEERS && n < max; i++) {
		const struct peer *p = &u->peers[i];
		static const char marks[] = {
			[SEL_REJECT] = ' ', [SEL_FALSETICKER] = 'x', [SEL_OUTLIER] = '-',
			[SEL_SURVIVOR] = '+', [SEL_SYSPEER] = '*',
		};

		if (!p->in_use)
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		snprintf(r[n].name, sizeof(r[n].name), "%s", p->name);
		snprintf(r[n].origin, sizeof(r[n].origin), "%s",
			 p->origin >= 0 ? u->cfg->sources[p->origin].host : "refclock system");
		r[n].refid = p->ntpc.refid;
		r[n].stratum = p->ntpc.stratum;
		r[n].poll = p->ntpc.poll;
		r[n].reach = p->ntpc.reach;
		r[n].when = p->ntpc.last_rx_ns ? (double)(mono - p->ntpc.last_rx_ns) * 1e-9 : -1;
		r[n].offset = p->ntpc.offset;
		r[n].delay = p->ntpc.delay;
		r[n].jitter = p->ntpc.jitter;
		r[n].mark = !ntpc_reachable(&p->ntpc) || p->ntpc.n_filter == 0 ? '?'
			    : (int)i == u->sys_peer && u->sys.synced ? '*'
								       : marks[p->mark];
		n++;
	}
	return n;
}
