/* SPDX-License-Identifier: BSD-3-Clause */
#include "stats.h"

#include <math.h>

#define US 1000ULL

static unsigned int
bucket_of(uint64_t ns)
{
	uint64_t us = ns / US;

	if (us < 1000)
		return (unsigned int)us;
	if (us < 10000)
		return (unsigned int)(1000 + (us - 1000) / 10);
	if (us < 100000)
		return (unsigned int)(1900 + (us - 10000) / 100);
	if (us < 1000000)
		return (unsigned int)(2800 + (us - 100000) / 1000);
	return GEN_HIST_BUCKETS - 1;
}

/* The exclusive upper edge of bucket @b in nanoseconds. */
static uint64_t
bucket_top(unsigned int b)
{
	if (b < 1000)
		return (b + 1) * US;
	if (b < 1900)
		return (1000 + (b - 1000 + 1) * 10ULL) * US;
	if (b < 2800)
		return (10000 + (b - 1900 + 1) * 100ULL) * US;
	if (b < 3700)
		return (100000 + (b - 2800 + 1) * 1000ULL) * US;
	return UINT64_MAX;
}

void
gen_hist_add(struct gen_hist *h, uint64_t ns)
{
	h->bucket[bucket_of(ns)]++;
	h->count++;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

uint64_t
gen_hist_quantile(const struct gen_hist *h, double q)
{
	uint64_t rank, seen = 0;
	unsigned int b;

	if (h->count == 0)
		return 0;
	/* the smallest value with at least q of the samples at or below it */
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (b = 0; b < GEN_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank)
			break;
	}
	return bucket_top(b) < h->max_ns ? bucket_top(b) : h->max_ns;
}

void
gen_hist_write(const struct gen_hist *h, FILE *f)
{
	uint64_t seen = 0, lo, hi;
	unsigned int b;

	for (b = 0; b < GEN_HIST_BUCKETS; b++) {
		if (h->bucket[b] == 0)
			continue;
		seen += h->bucket[b];
		lo = b == 0 ? 0 : bucket_top(b - 1);
		hi = bucket_top(b) < h->max_ns ? bucket_top(b) : h->max_ns;
		fprintf(f, "%.3f %.3f %llu %.6f\n", (double)lo / 1e3, (double)hi / 1e3,
			(unsigned long long)h->bucket[b], (double)seen / (double)h->count);
	}
}

void
gen_welford_add(struct gen_welford *w, double x)
{
	double d = x - w->mean;

	w->n++;
	w->mean += d / (double)w->n;
	w->m2 += d * (x - w->mean);
}

double
gen_welford_stddev(const struct gen_welford *w)
{
	return w->n < 2 ? 0 : sqrt(w->m2 / (double)(w->n - 1));
}
