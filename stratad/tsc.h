/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TSC as a snapshot timescale: strata-dpdk stamps packets with
 * rte_rdtsc(), so stratad measures the TSC against CLOCK_MONOTONIC and
 * publishes the TSC map, composed with its monotonic map at every publish.
 * Needs an invariant TSC (constant_tsc, nonstop_tsc): one rate on every core.
 */
#pragma once

#include <stdint.h>

#include <strata/snapshot.h>

struct tsc_cal {
	uint64_t tsc0, mono0; /* the first pairing: the long baseline */
	uint64_t tsc, mono;   /* the latest pairing */
	double per_ns;        /* TSC ticks per monotonic ns */
};

/* Calibrate: two pairings @settle_ns apart. @return 0, or -1 without a usable TSC. */
int tsc_init(struct tsc_cal *t, uint64_t settle_ns);

/* A new pairing, refining the rate over the whole baseline. */
void tsc_update(struct tsc_cal *t);

/*
 * @out maps a local timescale to NTP time through @mono: the local clock
 * read @local_ref at monotonic @mono_ref and runs @local_per_ns ticks per
 * monotonic ns. @return 0 or -1 (no valid @mono, or an absurd rate).
 */
int map_compose(const struct snap_map *mono, uint64_t local_ref, uint64_t mono_ref,
		double local_per_ns, struct snap_map *out);

/* The TSC map through @mono. */
int tsc_map(const struct tsc_cal *t, const struct snap_map *mono, struct snap_map *out);
