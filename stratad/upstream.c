/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sources of the configuration in one table, and the glue to selection:
 * server and pool lines resolved into peers (peer.c), reference clocks
 * (refclock.c), pool upkeep (pools.c), every answered or lost poll and
 * every clock reading run through the intersection and clustering of
 * lib/select.c, the system peer's offset handed to the discipline (disc.c)
 * and its fields to the reference (reference.c).
 */
#include "upstream.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strata/ntp.h>

#include "cfgdiff.h"
#include "log.h"
#include "monotime.h"
#include "peer.h"
#include "pools.h"
#include "refclock.h"
#include "refid.h"
#include "resolve.h"

/* Retry a failed or short name lookup after this long, doubling to the maximum */
#define LOOKUP_RETRY_MIN_NS 2000000000ULL
#define LOOKUP_RETRY_MAX_NS 300000000000ULL

/* One server, pool or refclock phc line, and the lookup that turns its name into peers. */
struct source {
	int in_use;
	struct cfg_source c; /* own copy: a reload replaces the caller's configuration */
	struct resolve res;
	int resolving;     /* res is working */
	int done;          /* a server line got its peer: no more lookups */
	uint64_t retry_at; /* monotonic ns of the next lookup, 0 now */
	uint64_t backoff;
};

struct upstream {
	struct source src[CFG_MAX_SOURCES];
	int system;     /* "refclock system": a peer of origin -1 */
	int minsources; /* truechimers needed for a system peer */
	struct disc *disc;
	struct peer peers[UPSTREAM_MAX_PEERS];
	struct pools_avoid avoid;
	struct upstream_sys sys;
	int sys_peer;             /* index into peers, -1 */
	uint64_t sys_sample_mono; /* the system peer sample the last update used */
};

static const char *
origin_name(const struct upstream *u, int origin)
{
	return origin >= 0 ? u->src[origin].c.host : "refclock system";
}

static void
free_peer(struct upstream *u, struct peer *p)
{
	peer_close(p);
	refclock_close(p);
	p->in_use = 0;
	if (u->sys_peer == p - u->peers)
		u->sys_peer = -1;
}

static void
drop_peer(struct upstream *u, struct peer *p, const char *why, uint64_t mono)
{
	int origin = p->origin;

	log_info("source %s (%s) removed: %s", p->name, origin_name(u, origin), why);
	pools_avoid_add(&u->avoid, (const struct sockaddr *)&p->addr, p->addrlen, mono);
	free_peer(u, p);
	/* the pool looks for a replacement at once */
	u->src[origin].retry_at = 0;
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
		if (u->peers[i].in_use && u->peers[i].ref == NULL && u->peers[i].addrlen == len &&
		    memcmp(&u->peers[i].addr, sa, len) == 0)
			return 1;
	return 0;
}

static struct peer *
free_slot(struct upstream *u)
{
	int i;

	for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
		if (!u->peers[i].in_use)
			return &u->peers[i];
	return NULL;
}

static void
add_peer(struct upstream *u, int origin, const struct addrinfo *ai, uint64_t mono)
{
	struct peer *p = free_slot(u);

	if (p == NULL) {
		log_warn("more than %d upstream peers: %s ignored", UPSTREAM_MAX_PEERS,
			 u->src[origin].c.host);
		return;
	}
	peer_init(p, origin, ai->ai_addr, ai->ai_addrlen, &u->src[origin].c, mono);
	log_info("source %s (%s) added", p->name, u->src[origin].c.host);
}

static int
add_refclock(struct upstream *u, int origin, uint64_t mono)
{
	struct peer *p = free_slot(u);

	if (p == NULL)
		return -ENOSPC;
	return refclock_open(p, origin, origin >= 0 ? &u->src[origin].c : NULL, mono);
}

static void
start_lookup(struct upstream *u, int origin, uint64_t mono)
{
	struct source *s = &u->src[origin];
	int err = resolve_start(&s->res, s->c.host, 123);

	if (err != 0) {
		log_warn("%s: cannot start the name lookup: %s", s->c.host, gai_strerror(err));
		s->retry_at = mono + LOOKUP_RETRY_MIN_NS;
		return;
	}
	s->resolving = 1;
}

/* A lookup finished: servers take the first address, pools fill up to maxsources. */
static void
finish_lookup(struct upstream *u, int origin, uint64_t mono)
{
	struct source *s = &u->src[origin];
	struct addrinfo *res;
	const struct addrinfo *ai;
	int want = s->c.kind == CFG_SRC_POOL ? s->c.maxsources : 1, err;

	if (!resolve_done(&s->res, &res, &err))
		return;
	s->resolving = 0;
	if (err != 0) {
		log_warn("%s: name lookup failed: %s (retrying)", s->c.host, gai_strerror(err));
	} else {
		for (ai = res; ai != NULL && peer_count(u, origin) < want; ai = ai->ai_next)
			if (!known_addr(u, ai->ai_addr, ai->ai_addrlen) &&
			    !pools_avoided(&u->avoid, ai->ai_addr, ai->ai_addrlen, mono))
				add_peer(u, origin, ai, mono);
	}
	if (res != NULL)
		freeaddrinfo(res);
	if (s->c.kind == CFG_SRC_SERVER && peer_count(u, origin) > 0) {
		s->done = 1;
		return;
	}
	if (peer_count(u, origin) < want) {
		/* not enough members (yet): ask again later, less and less often */
		s->backoff = s->backoff == 0 ? LOOKUP_RETRY_MIN_NS : s->backoff * 2;
		if (s->backoff > LOOKUP_RETRY_MAX_NS)
			s->backoff = LOOKUP_RETRY_MAX_NS;
		s->retry_at = mono + s->backoff;
	} else {
		s->backoff = 0;
		s->retry_at = UINT64_MAX; /* until a member is dropped */
	}
}

/* Start source @i of the table: a lookup, or the clock opened. @return 0 or -errno. */
static int
start_source(struct upstream *u, int i, uint64_t mono)
{
	int err;

	if (u->src[i].c.kind != CFG_SRC_PHC) {
		start_lookup(u, i, mono);
		return 0;
	}
	err = add_refclock(u, i, mono);
	if (err != 0)
		log_warn("refclock %s: not used: %s", u->src[i].c.host, strerror(-err));
	return err;
}

/* Forget source @i: its lookup stopped, its peers dropped. */
static void
stop_source(struct upstream *u, int i)
{
	int k;

	resolve_cancel(&u->src[i].res);
	for (k = 0; k < UPSTREAM_MAX_PEERS; k++) {
		struct peer *p = &u->peers[k];

		if (p->in_use && p->origin == i) {
			log_info("source %s (%s) removed: not in the configuration", p->name,
				 u->src[i].c.host);
			free_peer(u, p);
		}
	}
	memset(&u->src[i], 0, sizeof(u->src[i]));
}

int
upstream_phc_map(const struct upstream *u, const struct snap_map *mono, struct snap_map *m)
{
	int i;

	/* hardware receive stamps are in the first reference clock's own timescale */
	for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
		if (u->peers[i].in_use && refclock_map(&u->peers[i], mono, m) == 0)
			return 0;
	return -1;
}

int
upstream_update(struct upstream *u, const struct cfg *c)
{
	int kept[CFG_MAX_SOURCES] = {0}, slot[CFG_MAX_SOURCES], err = 0;
	uint64_t mono = mono_ns();
	unsigned int j;
	int i;

	/* what stays keeps its slot, hence its peers, filters and reach */
	for (j = 0; j < c->n_sources; j++) {
		slot[j] = -1;
		for (i = 0; i < CFG_MAX_SOURCES && slot[j] < 0; i++)
			if (u->src[i].in_use && !kept[i] &&
			    cfg_same_source(&u->src[i].c, &c->sources[j])) {
				kept[i] = 1;
				slot[j] = i;
				u->src[i].c.line = c->sources[j].line;
			}
	}
	for (i = 0; i < CFG_MAX_SOURCES; i++)
		if (u->src[i].in_use && !kept[i])
			stop_source(u, i);
	if (u->system && !c->refclock_system) {
		for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
			if (u->peers[i].in_use && u->peers[i].origin == -1)
				free_peer(u, &u->peers[i]);
		log_info("refclock system removed: not in the configuration");
	}
	if (!u->system && c->refclock_system && add_refclock(u, -1, mono) != 0)
		err = -ENODEV;
	u->system = c->refclock_system;
	u->minsources = c->minsources;
	for (j = 0; j < c->n_sources; j++) {
		if (slot[j] >= 0)
			continue;
		for (i = 0; i < CFG_MAX_SOURCES && u->src[i].in_use; i++)
			;
		if (i == CFG_MAX_SOURCES)
			return -ENOSPC; /* cannot be: the old ones are gone first */
		u->src[i].in_use = 1;
		u->src[i].c = c->sources[j];
		if (start_source(u, i, mono) != 0) {
			memset(&u->src[i], 0, sizeof(u->src[i]));
			err = -ENODEV;
		}
	}
	return err;
}

struct upstream *
upstream_new(const struct cfg *c, struct disc *d)
{
	struct upstream *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->disc = d;
	u->sys_peer = -1;
	if (upstream_update(u, c) != 0) {
		upstream_free(u);
		errno = ENODEV;
		return NULL;
	}
	return u;
}

void
upstream_free(struct upstream *u)
{
	int i;

	if (u == NULL)
		return;
	for (i = 0; i < CFG_MAX_SOURCES; i++)
		resolve_cancel(&u->src[i].res);
	for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
		free_peer(u, &u->peers[i]);
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

static void select_sources(struct upstream *u, uint64_t mono);

void
upstream_receive(struct upstream *u, const struct pollfd *pfd, int n, uint64_t mono)
{
	int i, j;

	for (j = 0; j < n; j++) {
		if (!(pfd[j].revents & (POLLIN | POLLERR)))
			continue;
		for (i = 0; i < UPSTREAM_MAX_PEERS; i++)
			if (u->peers[i].in_use && u->peers[i].fd == pfd[j].fd &&
			    peer_receive(&u->peers[i], u->disc, mono))
				select_sources(u, mono);
	}
}

/*
 * RFC 5905 section 11.3: the server's fields follow the system peer, at
 * every selection that has one. They stand from the newest reply of any
 * survivor: the holdover (reference.c) runs out only when no truechimer
 * has answered for that long, whichever of them is the system peer and
 * whether or not its clock filter has a sample the loop has not used yet.
 * A falseticker's replies back nothing.
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

/* Our clock moved by @step s: every sample reads that much less. */
static void
clock_moved(struct upstream *u, double step)
{
	int i;

	for (i = 0; i < UPSTREAM_MAX_PEERS; i++) {
		if (!u->peers[i].in_use)
			continue;
		if (u->peers[i].ref != NULL)
			refclock_moved(&u->peers[i], step);
		else
			ntpc_clock_stepped(&u->peers[i].ntpc, step);
	}
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
	sel_select(c, n, u->minsources, marks, &r);
	for (i = 0; i < n; i++) {
		struct peer *p = &u->peers[c[i].id];

		p->mark = marks[i];
		p->falseticks = marks[i] == SEL_FALSETICKER ? p->falseticks + 1 : 0;
	}
	u->sys.n_truechimers = r.n_truechimers;
	if (r.sys_peer < 0) {
		if (u->sys.synced)
			log_warn("no system peer: %d truechimers of %d sources (minsources %d)",
				 r.n_truechimers, n, u->minsources);
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
		/*
		 * A reference clock on this host (the kernel clock, a PHC) is read
		 * with no network between: an offset beyond the step limit is that
		 * clock having been stepped (chronyd's makestep at boot, ptp4l's
		 * first step), not a delay spike to sit out (RFC 5905's SPIK
		 * state is for packets). Slewed at 500 ppm, half a second would
		 * be served wrong for over a quarter of an hour: step at once.
		 */
		if (sp->ref != NULL && fabs(r.offset) > DISC_STEP_LIMIT) {
			disc_step(u->disc, mono, r.offset);
			step = r.offset;
		} else {
			step = disc_update(u->disc, mono, r.offset, sp->ntpc.poll);
		}
	}
	if (step != 0) {
		log_info("clock stepped by %+.6f s", step);
		r.offset -= step; /* what is left for the root dispersion */
		clock_moved(u, step);
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
		const char *why;

		if (!p->in_use || p->origin < 0 || u->src[p->origin].c.kind != CFG_SRC_POOL)
			continue;
		why = pools_drop_reason(p);
		if (why != NULL)
			drop_peer(u, p, why, mono);
	}
}

void
upstream_tick(struct upstream *u, uint64_t mono, double applied)
{
	int i;

	if (applied != 0)
		clock_moved(u, applied);
	prune_pools(u, mono);
	for (i = 0; i < CFG_MAX_SOURCES; i++) {
		struct source *s = &u->src[i];

		if (!s->in_use || s->c.kind == CFG_SRC_PHC || s->done)
			continue;
		if (s->resolving)
			finish_lookup(u, i, mono);
		else if (mono >= s->retry_at)
			start_lookup(u, i, mono);
	}
	for (i = 0; i < UPSTREAM_MAX_PEERS; i++) {
		struct peer *p = &u->peers[i];

		if (!p->in_use)
			continue;
		if (p->ref != NULL) {
			if (mono >= p->ntpc.next_ns) {
				/* a reading, or one missed: either can change the selection */
				refclock_sample(p, u->disc, mono);
				select_sources(u, mono);
			}
			continue;
		}
		/*
		 * A second lost poll in a row takes the source out of selection
		 * (select_sources()): a dead system peer is replaced by the
		 * survivors now, not at their next sample.
		 */
		if (peer_expire(p, mono))
			select_sources(u, mono);
		if (!p->ntpc.denied && mono >= p->ntpc.next_ns)
			peer_send(p, u->disc, mono);
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
		snprintf(r[n].origin, sizeof(r[n].origin), "%s", origin_name(u, p->origin));
		r[n].refid = p->ntpc.refid;
		r[n].stratum = p->ntpc.stratum;
		r[n].poll = p->ntpc.poll;
		r[n].reach = p->ntpc.reach;
		r[n].when = p->ntpc.last_rx_ns ? (double)(mono - p->ntpc.last_rx_ns) * 1e-9 : -1;
		r[n].offset = p->ntpc.offset;
		r[n].delay = p->ntpc.delay;
		r[n].jitter = p->ntpc.jitter;
		if (!ntpc_reachable(&p->ntpc) || p->ntpc.n_filter == 0)
			r[n].mark = '?';
		else
			r[n].mark = i == u->sys_peer && u->sys.synced ? '*' : marks[p->mark];
		n++;
	}
	return n;
}
