/* SPDX-License-Identifier: BSD-3-Clause */
#include "disc.h"

#include <math.h>
#include <string.h>

#define NTP_UNITS_PER_NS 4.294967296 /* 2^32 / 1e9 */

static double
clamp(double v, double lim)
{
	return v > lim ? lim : v < -lim ? -lim : v;
}

/* The slew rate that takes the remaining phase out with time constant tc. */
static double
slew_rate(const struct disc *d)
{
	/* never more than MAXFREQ on top of the frequency: clients see a smooth clock */
	return clamp(d->phase / d->tc, DISC_MAX_FREQ);
}

/* Add @s seconds to the anchor's NTP time, keeping the part below one unit. */
static void
add_seconds(struct disc *d, double s)
{
	double units = s * 4294967296.0 + d->v0_frac;
	double whole = floor(units);

	d->v0 += (uint64_t)(int64_t)whole;
	d->v0_frac = units - whole;
}

void
disc_init(struct disc *d, uint64_t mono, uint64_t ntp_now, double freq_ppm)
{
	memset(d, 0, sizeof(*d));
	d->m0 = mono;
	d->v0 = ntp_now;
	d->freq = clamp(freq_ppm * 1e-6, DISC_MAX_FREQ);
	d->tc = DISC_MIN_TC;
}

void
disc_adopt(struct disc *d, const struct snap_map *m)
{
	/* NTP units per ns, 2^-64 exact in the map: one double keeps 53 bits of it */
	double rate = (double)m->rate_int + (double)m->rate_frac / 18446744073709551616.0;

	memset(d, 0, sizeof(*d));
	d->m0 = m->local_base;
	d->v0 = m->ntp_base;
	d->freq = clamp(rate / NTP_UNITS_PER_NS - 1.0, DISC_MAX_FREQ);
	d->tc = DISC_MIN_TC;
}

uint64_t
disc_now(const struct disc *d, uint64_t mono)
{
	double dt = (double)(int64_t)(mono - d->m0) * 1e-9;
	double units = dt * (1.0 + d->freq + d->slew) * 4294967296.0 + d->v0_frac;

	return d->v0 + (uint64_t)(int64_t)floor(units);
}

double
disc_advance(struct disc *d, uint64_t mono)
{
	double dt = (double)(int64_t)(mono - d->m0) * 1e-9;
	double applied;

	if (dt <= 0)
		return 0;
	/*
	 * What the published map gave the fast path up to now, so that the
	 * next map starts exactly where this one ends: no jump for clients.
	 */
	add_seconds(d, dt * (1.0 + d->freq + d->slew));
	d->m0 = mono;
	/* slew = phase / tc and dt << tc: one anchor never takes out more than is left */
	applied = dt * d->slew;
	d->phase -= applied;
	d->slew = slew_rate(d);
	return applied;
}

double
disc_update(struct disc *d, uint64_t mono, double offset, int poll)
{
	double interval = d->updates > 0 ? (double)(mono - d->last_update) * 1e-9 : 0;
	double tc = ldexp(1.0, poll) * 4;

	disc_advance(d, mono);
	d->tc = tc < DISC_MIN_TC ? DISC_MIN_TC : tc > DISC_MAX_TC ? DISC_MAX_TC : tc;
	d->last_update = mono;
	if (d->updates++ == 0 && fabs(offset) > DISC_STEP_LIMIT) {
		/* RFC 5905 section 11.3: the first large offset is stepped out at once */
		disc_step(d, mono, offset);
		return offset;
	}
	/*
	 * A type-II loop, critically damped: the measured offset replaces the
	 * phase still to slew (it already includes what was slewed so far) and
	 * is taken out with time constant tc; the frequency integrates it with
	 * gain 1 / (4 tc^2) (RFC 5905 section 11.3 and appendix A.5.5.6 use the
	 * same shape with their own constants).
	 */
	d->phase = offset;
	if (interval > 0) {
		if (interval > 4 * d->tc)
			interval = 4 * d->tc;
		d->freq = clamp(d->freq + offset * interval / (4 * d->tc * d->tc), DISC_MAX_FREQ);
	}
	d->slew = slew_rate(d);
	return 0;
}

void
disc_step(struct disc *d, uint64_t mono, double step)
{
	disc_advance(d, mono);
	add_seconds(d, step);
	d->phase = 0;
	d->slew = 0;
}

void
disc_map(const struct disc *d, struct snap_map *m)
{
	double mult = 1.0 + d->freq + d->slew;

	/* snap_map_set_rate() takes the local clock's error: fast by ppm = fewer units a tick */
	snap_map_set_rate(m, 1000000000ULL, (1.0 / mult - 1.0) * 1e6);
	m->local_base = d->m0;
	m->ntp_base = d->v0;
	m->flags = SNAP_MAP_VALID;
}

double
disc_freq_ppm(const struct disc *d)
{
	return d->freq * 1e6;
}
