/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-gen statistics: a fixed log-linear latency histogram (no storage per
 * request) and a running mean and variance (Welford).
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

/*
 * Four decades of 1 us, 10 us, 100 us and 1 ms buckets cover 0 to 1 s; the
 * first decade has 1000 buckets, each later one 900; one more for overflow.
 */
#define GEN_HIST_BUCKETS (1000 + 3 * 900 + 1)

struct gen_hist {
	uint64_t count;
	uint64_t max_ns;
	uint64_t bucket[GEN_HIST_BUCKETS];
};

struct gen_welford {
	uint64_t n;
	double mean;
	double m2;
};

/* Count one latency of @ns nanoseconds. */
void gen_hist_add(struct gen_hist *h, uint64_t ns);

/* The @q quantile (0..1) in nanoseconds: a bucket's upper edge, never above the maximum. */
uint64_t gen_hist_quantile(const struct gen_hist *h, double q);

/*
 * Write the distribution for gnuplot (perf/latency.gp): one line per
 * non-empty bucket with its lower and upper edge in microseconds (the upper
 * edge no higher than the maximum), its count and the fraction of samples at
 * or below its upper edge.
 */
void gen_hist_write(const struct gen_hist *h, FILE *f);

/* Add one sample. */
void gen_welford_add(struct gen_welford *w, double x);

/* The sample standard deviation, 0 below two samples. */
double gen_welford_stddev(const struct gen_welford *w);
