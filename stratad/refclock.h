/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reference clocks as sources (chrony's refclock.c): "refclock phc DEV"
 * (a NIC clock disciplined by ptp4l, or a clockid such as CLOCK_TAI) and
 * "refclock system" (the kernel clock, trusted while the kernel says it is
 * synchronised). Sampled against strata's clock, not polled over a network;
 * they sit in the same peer table and go through the same selection as
 * the NTP servers, at stratum 0.
 */
#pragma once

#include <stdint.h>

#include <strata/snapshot.h>

#include "config.h"
#include "disc.h"
#include "peer.h"
#include "select.h"

/*
 * Make @p a reference clock: the PHC of source line @src, or the kernel
 * clock when @src is NULL ("refclock system"); first reading at @mono.
 * @return 0, or -errno (logged) when the clock cannot be opened.
 */
int refclock_open(struct peer *p, int origin, const struct cfg_source *src, uint64_t mono);

/* Release @p's clock. */
void refclock_close(struct peer *p);

/* Take one reading now against @d (a missed one counts in the reach). */
void refclock_sample(struct peer *p, const struct disc *d, uint64_t mono);

/* What selection sees of @p at @mono. @return 0, or -1 when it has nothing to offer. */
int refclock_candidate(const struct peer *p, uint64_t mono, struct sel_candidate *c);

/* Our clock moved by @applied s: @p's samples read that much less. */
void refclock_moved(struct peer *p, double applied);

/*
 * The snapshot map of @p's own timescale (hardware receive stamps are in
 * it) through @mono, the monotonic map being published. @return 0, or -1
 * when @p is not a PHC with a rate measured yet.
 */
int refclock_map(const struct peer *p, const struct snap_map *mono, struct snap_map *m);
