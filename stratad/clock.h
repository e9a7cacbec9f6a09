/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The time sources of this issue: "refclock system" (serve the kernel clock,
 * trusting whatever disciplines it: chronyd, ptp4l with phc2sys) and
 * "local stratum N" (free-running fallback). Each publish turns the current
 * state into a snapshot slot.
 */
#pragma once

#include <stdint.h>

#include <strata/snapshot.h>

#include "config.h"

/* RFC 5905 section 7.3: the refid of a local clock, as chrony sends it (127.127.1.1) */
#define CLOCK_REFID_LOCAL 0x7f7f0101u

/* After this long without a publish the fast path answers leap 3. */
#define CLOCK_STALE_SECONDS 60

struct clock_report {
	char source[48];      /* what set the slot, for people */
	int64_t est_error_ns; /* kernel estimated error, -1 when unknown */
	int64_t max_error_ns; /* kernel maximum error, -1 when unknown */
	uint64_t mono_ns;     /* CLOCK_MONOTONIC at the sample */
};

/*
 * Sample the clocks and fill @sl as configured in @c.
 * @return 0, or -errno when the clocks cannot be read.
 */
int clock_fill(const struct cfg *c, struct snap_slot *sl, struct clock_report *r);
