/* SPDX-License-Identifier: BSD-3-Clause */
#include "refclock.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

#include <strata/ntp.h>

#include "log.h"
#include "phc.h"
#include "tsc.h"

#define REF_NSAMPLE 8

struct refclock {
	struct phc *phc;
	double offset[REF_NSAMPLE]; /* its time minus ours, s, newest first */
	double delay[REF_NSAMPLE];
	uint64_t mono[REF_NSAMPLE];
	int64_t raw[REF_NSAMPLE]; /* the clock's own reading, ns: hardware stamps are in it */
	int n;
	double rate;      /* its ns per monotonic ns, from the oldest and newest sample */
	double add;       /* the configured offset, s (-37 for a PHC on TAI) */
	int system;       /* "refclock system": the kernel clock, trusted while synchronised */
	double max_error; /* the kernel's maximum error, s, as root dispersion */
};

int
refclock_open(struct peer *p, int origin, const struct cfg_source *src, uint64_t mono)
{
	const char *clock = src != NULL ? src->host : "CLOCK_REALTIME";
	struct refclock *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -ENOMEM;
	r->phc = phc_open(clock);
	if (r->phc == NULL) {
		int err = -errno;

		free(r);
		return err;
	}
	r->system = src == NULL;
	r->add = src != NULL ? src->offset : 0;
	memset(p, 0, sizeof(*p));
	p->ref = r;
	p->in_use = 1;
	p->origin = origin;
	p->fd = -1;
	snprintf(p->name, sizeof(p->name), "%.63s", src != NULL ? src->host : "SYSTEM");
	/* the filter's bookkeeping is shared with NTP peers: poll, reach, output */
	p->ntpc.cfg.prefer = src != NULL && src->prefer;
	p->ntpc.poll = src != NULL ? src->poll : 0;
	p->ntpc.stratum = 0;
	memcpy(&p->ntpc.refid, src != NULL ? "PHC" : "SYS", 4);
	p->ntpc.next_ns = mono;
	log_info("reference clock %s: sampled with %s every 2^%d s", p->name, phc_method(r->phc),
		 p->ntpc.poll);
	return 0;
}

void
refclock_close(struct peer *p)
{
	if (p->ref == NULL)
		return;
	phc_close(p->ref->phc);
	free(p->ref);
	p->ref = NULL;
}

/*
 * "refclock system": the kernel clock is usable only while the kernel says
 * it is synchronised (by chronyd, or phc2sys), with its maximum error as
 * the root dispersion (chrony sets it to root delay / 2 + root dispersion)
 * and its leap state as this source's leap vote (RFC 5905 section 7.3).
 */
static int
system_usable(struct peer *p)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx));
	state = adjtimex(&tx);
	if (state < 0 || state == TIME_ERROR || (tx.status & STA_UNSYNC))
		return 0;
	p->ref->max_error = (double)tx.maxerror * 1e-6;
	p->ntpc.leap = state == TIME_INS ? NTP_LEAP_INSERT
		       : state == TIME_DEL ? NTP_LEAP_DELETE
					   : NTP_LEAP_NONE;
	return 1;
}

/*
 * One reading of a reference clock: its time (plus the configured offset,
 * e.g. -37 s for a PHC on TAI) minus ours at the same instant. The filter
 * keeps the last REF_NSAMPLE and, as RFC 5905 section 10 does for packets,
 * uses the one with the least delay (the tightest system-time sandwich).
 */
void
refclock_sample(struct peer *p, const struct disc *d, uint64_t mono)
{
	struct refclock *r = p->ref;
	struct phc_sample sm;
	double sum = 0;
	int64_t utc_ns;
	uint64_t ours, theirs;
	int i, best = 0;

	p->ntpc.next_ns = mono + (uint64_t)(ldexp(1.0, p->ntpc.poll) * 1e9);
	p->ntpc.reach <<= 1;
	if ((r->system && !system_usable(p)) || phc_sample(r->phc, &sm) != 0)
		return;
	p->ntpc.reach |= 1;
	utc_ns = sm.sys_ns + sm.offset_ns + (int64_t)llround(r->add * 1e9);
	ours = disc_now(d, sm.mono_ns);
	memmove(r->offset + 1, r->offset, (REF_NSAMPLE - 1) * sizeof(r->offset[0]));
	memmove(r->delay + 1, r->delay, (REF_NSAMPLE - 1) * sizeof(r->delay[0]));
	memmove(r->mono + 1, r->mono, (REF_NSAMPLE - 1) * sizeof(r->mono[0]));
	memmove(r->raw + 1, r->raw, (REF_NSAMPLE - 1) * sizeof(r->raw[0]));
	theirs = ntp_from_unix(utc_ns / (int64_t)NSEC_PER_SEC,
			       (__u32)(utc_ns % (int64_t)NSEC_PER_SEC), NULL);
	r->offset[0] = (double)ntp_ts_diff(theirs, ours) / 4294967296.0;
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

int
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

void
refclock_moved(struct peer *p, double applied)
{
	struct refclock *r = p->ref;
	int i;

	for (i = 0; i < r->n; i++)
		r->offset[i] -= applied;
}

int
refclock_map(const struct peer *p, const struct snap_map *mono, struct snap_map *m)
{
	const struct refclock *r = p->ref;

	/*
	 * Hardware receive stamps are in the clock's own timescale: map it
	 * through monotonic time to ours, composed afresh at every publish so
	 * that it follows the discipline's slew.
	 */
	if (r == NULL || r->system || r->n < 2 || !(r->rate > 0.5 && r->rate < 2))
		return -1;
	return map_compose(mono, (uint64_t)r->raw[0], r->mono[0], r->rate, m);
}
