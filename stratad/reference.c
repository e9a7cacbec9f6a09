/* SPDX-License-Identifier: BSD-3-Clause */
#include "reference.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include <strata/ntp.h>

#include "disc.h"
#include "drift.h"
#include "leap.h"
#include "log.h"
#include "monotime.h"
#include "upstream.h"

/* RFC 5905 section 11.1: PHI, the dispersion growth of a free clock */
#define PHI_PPM 15.0
/* clock_gettime() counts ns, a reading costs about 1 us: 2^-20 s */
#define PRECISION (-20)

struct ref {
	/* the configuration's part of it: a copy, replaced by ref_update() */
	unsigned int holdover;
	int local_stratum;
	int refclock_system;
	char driftfile[CFG_FILE_MAX];
	char leapfile[CFG_FILE_MAX];

	struct disc disc;    /* strata's own clock */
	struct upstream *up; /* every source, selection */

	struct leap_table leaps;
	int have_leaps;         /* a leapfile is loaded */
	int leap_pending;       /* NTP_LEAP_INSERT/_DELETE at leap_at_unix, else 0 */
	int64_t leap_at_unix;   /* the UTC midnight that ends the announcing day */
	int64_t leap_done_unix; /* the last leap applied, so it is not applied twice */
	uint64_t drift_saved;   /* monotonic ns of the last driftfile write */

	/* the previous stratad's fields, served until selection has a system peer */
	struct snap_server adopted;
	int have_adopted;
};

/* Load @path (empty: none) into @r's table. @return 0 or -errno (logged). */
static int
load_leaps(struct ref *r, const char *path)
{
	struct leap_table t;
	char err[512];
	int e;

	if (path[0] == '\0') {
		r->have_leaps = 0;
		return 0;
	}
	e = leap_load(path, &t, err, sizeof(err));
	if (e != 0) {
		log_warn("%s", err);
		return e;
	}
	r->leaps = t;
	r->have_leaps = 1;
	if (leap_expired(&r->leaps, (int64_t)time(NULL)))
		log_warn("%s has expired: leap seconds come from the upstreams; update "
			 "the file (Debian: tzdata)", path);
	return 0;
}

static void
copy_cfg(struct ref *r, const struct cfg *c)
{
	r->holdover = c->holdover;
	r->local_stratum = c->local_stratum;
	r->refclock_system = c->refclock_system;
	snprintf(r->driftfile, sizeof(r->driftfile), "%s", c->driftfile);
	snprintf(r->leapfile, sizeof(r->leapfile), "%s", c->leapfile);
}

struct ref *
ref_new(const struct cfg *c)
{
	struct ref *r = calloc(1, sizeof(*r));
	struct timespec rt;
	double drift = 0;
	uint64_t mono;

	if (r == NULL)
		return NULL;
	copy_cfg(r, c);
	if (r->driftfile[0] != '\0') {
		int e = drift_read(r->driftfile, &drift);

		if (e == 0)
			log_info("%s: frequency %+.3f ppm", r->driftfile, drift);
		else if (e != -ENOENT)
			drift = 0; /* drift_read() said what is wrong; start from zero */
	}
	if (load_leaps(r, r->leapfile) != 0)
		goto fail;
	/*
	 * Start at the system clock's time: the first offset of a source
	 * corrects it (stepped when beyond DISC_STEP_LIMIT), and without
	 * sources this is the local clock. The pair is read together: the
	 * files above take time. The file says how fast the local clock runs;
	 * the loop corrects the opposite.
	 */
	mono = mono_ns();
	clock_gettime(CLOCK_REALTIME, &rt);
	disc_init(&r->disc, mono, ntp_from_unix(rt.tv_sec, (__u32)rt.tv_nsec, NULL), -drift);
	r->up = upstream_new(c, &r->disc);
	if (r->up == NULL) {
		log_warn("cannot start the sources: %s", strerror(errno));
		goto fail;
	}
	return r;
fail:
	free(r);
	return NULL;
}

void
ref_free(struct ref *r)
{
	if (r == NULL)
		return;
	upstream_free(r->up);
	free(r);
}

int
ref_update(struct ref *r, const struct cfg *c)
{
	int err = 0, e;

	if (load_leaps(r, c->leapfile) != 0)
		err = -EINVAL; /* the old table stays */
	e = upstream_update(r->up, c);
	if (e != 0)
		err = e;
	copy_cfg(r, c);
	return err;
}

int
ref_adopt(struct ref *r, const struct snap_slot *sl, uint64_t mono)
{
	const struct snap_map *m = &sl->map[SNAP_SCALE_MONO];
	const struct snap_server *srv = &sl->srv;
	uint64_t now;

	/*
	 * Only a snapshot that clients may still trust: a valid map and a
	 * synchronised server (RFC 5905 section 7.3: leap 3 or stratum 16 is
	 * not), within the holdover it announced. A local clock's fields claim
	 * no synchronisation to hold over: this configuration decides afresh
	 * whether it serves one. Anything else is no better than the system
	 * clock, which ref_new() already started from.
	 */
	if (!(m->flags & SNAP_MAP_VALID) || !(srv->flags & SNAP_SRV_UNSYNC_AFTER) ||
	    srv->leap == NTP_LEAP_UNSYNC || srv->stratum == 0 ||
	    srv->stratum >= NTP_STRATUM_UNSYNC || srv->refid == strata_htonl(REF_REFID_LOCAL))
		return -ESTALE;
	now = snap_map_apply(m, mono);
	if (ntp_ts_diff(srv->unsync_after, now) <= 0)
		return -ESTALE;
	/* the clock goes on where clients saw it, at the rate they saw */
	disc_adopt(&r->disc, m);
	r->adopted = *srv;
	r->have_adopted = 1;
	log_info("adopted the last snapshot: stratum %u, holdover for %.0f s more, "
		 "frequency %+.3f ppm",
		 srv->stratum, (double)ntp_ts_diff(srv->unsync_after, now) / 4294967296.0,
		 disc_freq_ppm(&r->disc));
	return 0;
}

int
ref_pollfds(const struct ref *r, struct pollfd *pfd, int max)
{
	return upstream_pollfds(r->up, pfd, max);
}

void
ref_receive(struct ref *r, const struct pollfd *pfd, int n, uint64_t mono)
{
	upstream_receive(r->up, pfd, n, mono);
}

/* Unix seconds (with fraction) of our clock at @mono. */
static double
our_unix(const struct ref *r, uint64_t mono, int64_t *sec)
{
	__u32 ns;

	*sec = ntp_to_unix(disc_now(&r->disc, mono), (int64_t)time(NULL), &ns);
	return (double)*sec + ns * 1e-9;
}

/*
 * Leap seconds (RFC 5905 section 7.3, figure 9): leap_decide() says what to
 * announce and when (a current leapfile, else the survivors' majority on 30
 * June or 31 December only; announced during the leap day only). At the
 * instant strata's clock is stepped back (insertion) or forward (deletion)
 * by one second, as the kernel does for the system clock. The upstreams
 * make the same step at the same instant, so their samples stay true.
 */
static void
leap_second(struct ref *r, uint64_t mono)
{
	struct leap_decision prev = {.leap = r->leap_pending, .midnight = r->leap_at_unix}, dec;
	struct upstream_sys sys;
	int64_t sec;
	double now = our_unix(r, mono, &sec), wait;

	upstream_sys(r->up, &sys);
	dec = leap_decide(r->have_leaps ? &r->leaps : NULL, sec,
			  sys.synced ? sys.leap : LEAP_NO_VOTE, &prev, r->leap_done_unix);
	if (dec.leap != r->leap_pending)
		log_info("leap second: %s", dec.leap == NTP_LEAP_INSERT   ? "insertion announced"
					    : dec.leap == NTP_LEAP_DELETE ? "deletion announced"
									  : "none pending");
	r->leap_pending = dec.leap;
	r->leap_at_unix = dec.midnight;
	if (dec.leap == NTP_LEAP_NONE)
		return;
	wait = (double)dec.step_at - now;
	if (wait > 1.0 / REF_PUBLISH_HZ)
		return;
	/* due before the next tick: wait for the exact instant, then step */
	if (wait > 0) {
		struct timespec ts;
		uint64_t at = mono + (uint64_t)(wait * 1e9);

		ts.tv_sec = (time_t)(at / NSEC_PER_SEC);
		ts.tv_nsec = (long)(at % NSEC_PER_SEC);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		mono = at;
	}
	disc_step(&r->disc, mono, dec.leap == NTP_LEAP_INSERT ? -1.0 : 1.0);
	log_info("leap second %s at %lld", dec.leap == NTP_LEAP_INSERT ? "inserted" : "deleted",
		 (long long)dec.step_at);
	r->leap_done_unix = dec.midnight;
	r->leap_pending = NTP_LEAP_NONE;
}

void
ref_save_drift(struct ref *r, uint64_t mono, int force)
{
	struct upstream_sys sys;

	if (r == NULL || r->driftfile[0] == '\0')
		return;
	upstream_sys(r->up, &sys);
	if (sys.last_update == 0 || (!force && mono - r->drift_saved < 3600 * NSEC_PER_SEC))
		return;
	r->drift_saved = mono;
	/* the file says how fast the local clock runs; the loop corrects the opposite */
	if (drift_write(r->driftfile, -disc_freq_ppm(&r->disc)) != 0)
		log_warn("%s: cannot write the frequency", r->driftfile);
}

void
ref_tick(struct ref *r, uint64_t mono)
{
	struct upstream_sys sys;

	upstream_tick(r->up, mono, disc_advance(&r->disc, mono));
	/* a system peer again: the adopted fields have served their time */
	upstream_sys(r->up, &sys);
	if (r->have_adopted && sys.last_update != 0) {
		log_info("selection has a system peer: the adopted snapshot's fields end");
		r->have_adopted = 0;
	}
	leap_second(r, mono);
	ref_save_drift(r, mono, 0);
}

/* What the system peer is, for people: its refid says which kind of source. */
static const char *
kind_of(const struct upstream_sys *sys)
{
	if (sys->stratum == 1 && memcmp(&sys->refid, "SYS", 4) == 0)
		return "refclock system";
	if (sys->stratum == 1 && memcmp(&sys->refid, "PHC", 4) == 0)
		return "refclock phc";
	return "NTP";
}

/*
 * The server fields, in this order (RFC 5905 section 7.3): the system
 * peer's through the holdover after the last update; the adopted
 * snapshot's through its own holdover; the local clock when configured;
 * else unsynchronised. The fast path grows the dispersion at PHI from
 * disp_base and ends the holdover by itself at unsync_after.
 */
void
ref_fill(const struct ref *r, uint64_t mono, struct snap_slot *sl, struct ref_report *rep)
{
	struct snap_server *srv = &sl->srv;
	struct upstream_sys sys;
	uint64_t now;

	memset(sl, 0, sizeof(*sl));
	memset(rep, 0, sizeof(*rep));
	rep->est_error_ns = rep->max_error_ns = -1;
	rep->mono_ns = mono;
	disc_map(&r->disc, &sl->map[SNAP_SCALE_MONO]);
	upstream_phc_map(r->up, &sl->map[SNAP_SCALE_MONO], &sl->map[SNAP_SCALE_PHC0]);
	now = disc_now(&r->disc, mono);
	upstream_sys(r->up, &sys);
	if (r->refclock_system) {
		struct timex tx = {0};

		if (adjtimex(&tx) >= 0) {
			rep->est_error_ns = (int64_t)tx.esterror * 1000;
			rep->max_error_ns = (int64_t)tx.maxerror * 1000;
		}
	}

	srv->precision = PRECISION;
	srv->disp_rate = snap_disp_rate_from_ppm(PHI_PPM);
	srv->flags = SNAP_SRV_UNSYNC_AFTER;
	if (upstream_sys_current(&sys, mono, r->holdover)) {
		srv->leap = (__u8)r->leap_pending;
		srv->stratum = (__u8)sys.stratum;
		srv->refid = sys.refid;
		srv->ref_time = sys.ref_time;
		srv->root_delay = ntp_short_from_ns((uint64_t)(sys.root_delay * 1e9));
		srv->root_disp = ntp_short_from_ns((uint64_t)(sys.root_disp * 1e9));
		srv->disp_base = sys.ref_time;
		srv->unsync_after = sys.ref_time + ((__u64)r->holdover << 32);
		snprintf(rep->source, sizeof(rep->source), "%s%s", kind_of(&sys),
			 sys.synced ? "" : " (holdover)");
	} else if (r->have_adopted && ntp_ts_diff(r->adopted.unsync_after, now) > 0) {
		/* the last stratad's word, dispersion growing, until ours has one */
		*srv = r->adopted;
		snprintf(rep->source, sizeof(rep->source), "adopted snapshot (holdover)");
	} else if (r->local_stratum > 0) {
		srv->leap = (__u8)r->leap_pending;
		srv->stratum = (__u8)r->local_stratum;
		srv->refid = strata_htonl(REF_REFID_LOCAL);
		srv->ref_time = now;
		srv->disp_base = now;
		srv->unsync_after = now + ((__u64)REF_STALE_SECONDS << 32);
		snprintf(rep->source, sizeof(rep->source), "local stratum %d (no source)",
			 r->local_stratum % 100);
	} else {
		srv->leap = NTP_LEAP_UNSYNC;
		srv->stratum = NTP_STRATUM_UNSYNC;
		srv->disp_base = now;
		srv->unsync_after = now;
		snprintf(rep->source, sizeof(rep->source), "unsynchronised");
	}
}

void
ref_status(const struct ref *r, uint64_t mono, struct status *st)
{
	struct upstream_sys sys;
	int n;

	n = upstream_report(r->up, mono, st->peers, UPSTREAM_MAX_PEERS);
	st->n_peers = n > 0 ? (unsigned int)n : 0;
	upstream_sys(r->up, &sys);
	st->sys_offset_s = sys.offset;
	st->sys_jitter_s = sys.jitter;
	st->n_truechimers = sys.n_truechimers;
	st->freq_ppm = disc_freq_ppm(&r->disc);
}
