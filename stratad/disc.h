/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The discipline of strata's own clock. stratad never touches the system
 * clock: it keeps a virtual clock, an affine function of CLOCK_MONOTONIC,
 * and steers its phase and frequency with the combined offset of the
 * selected sources. The snapshot's maps are that function, so the fast
 * paths serve the disciplined time. See docs/control.md for the loop.
 */
#pragma once

#include <stdint.h>

#include <strata/snapshot.h>

#define DISC_STEP_LIMIT 0.128   /* s: RFC 5905 STEPT; a larger first offset is stepped */
#define DISC_MAX_FREQ 500e-6    /* s/s: RFC 5905 MAXFREQ, and the largest slew */
#define DISC_MIN_TC 16.0        /* s: shortest loop time constant */
#define DISC_MAX_TC 2048.0

struct disc {
	uint64_t m0;         /* CLOCK_MONOTONIC ns of the anchor */
	uint64_t v0;         /* our NTP time at the anchor, 32.32 */
	double v0_frac;      /* below one 2^-32 s unit, carried so rounding never drifts */
	double freq;         /* frequency correction: our seconds per monotonic second - 1 */
	double slew;         /* phase slew rate in force since the anchor */
	double phase;        /* phase correction still to slew in, s */
	double tc;           /* loop time constant, s */
	int updates;         /* offsets applied so far */
	uint64_t last_update; /* monotonic ns of the last offset applied */
};

/*
 * Start at NTP time @ntp_now at monotonic @mono, with the frequency @freq_ppm
 * remembered in the driftfile (0 when none).
 */
void disc_init(struct disc *d, uint64_t mono, uint64_t ntp_now, double freq_ppm);

/*
 * Continue the clock a snapshot map @m describes (the CLOCK_MONOTONIC map a
 * previous stratad published): the same NTP time at the same monotonic
 * instants, at the same rate, taken as the frequency (RFC 5905 MAXFREQ
 * bounds it). The loop then steers from there, as after disc_init().
 */
void disc_adopt(struct disc *d, const struct snap_map *m);

/*
 * Our NTP time at monotonic @mono. Times before the anchor are extrapolated
 * back with the current rate: a packet stamped just before the last
 * republish is off by at most the slew of one tick (15 us at 500 ppm).
 */
uint64_t disc_now(const struct disc *d, uint64_t mono);

/*
 * Move the anchor to @mono, slewing in the phase correction due by then.
 * @return the correction applied since the last anchor, in seconds, which
 * every source's samples must take into account (ntpc_clock_stepped()).
 */
double disc_advance(struct disc *d, uint64_t mono);

/*
 * Apply a combined offset @offset (source time minus ours, s) measured for
 * the present, with a loop time constant chosen from @poll (log2 s).
 * The first offset beyond DISC_STEP_LIMIT is stepped; every other one is
 * slewed. @return the step in seconds (0 when slewed).
 */
double disc_update(struct disc *d, uint64_t mono, double offset, int poll);

/* Step the clock by @step seconds now (a leap second: -1 for an insertion). */
void disc_step(struct disc *d, uint64_t mono, double step);

/* The snapshot map of CLOCK_MONOTONIC for what disc_advance() set up. */
void disc_map(const struct disc *d, struct snap_map *m);

/* The frequency correction in ppm, for the driftfile and reports. */
double disc_freq_ppm(const struct disc *d);
