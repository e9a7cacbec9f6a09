/* SPDX-License-Identifier: BSD-3-Clause */
#include "tsc.h"

#include <math.h>
#include <time.h>
#include <x86intrin.h>

#include "monotime.h"

/* The TSC read between two monotonic readings; the tightest of a few wins. */
static void
pair(uint64_t *tsc, uint64_t *mono)
{
	uint64_t best = UINT64_MAX;
	int i;

	for (i = 0; i < 5; i++) {
		uint64_t a = mono_ns(), t = __rdtsc(), b = mono_ns();

		if (b - a < best) {
			best = b - a;
			*tsc = t;
			*mono = a + (b - a) / 2;
		}
	}
}

int
tsc_init(struct tsc_cal *t, uint64_t settle_ns)
{
	struct timespec ts = {(time_t)(settle_ns / 1000000000ULL), (long)(settle_ns % 1000000000ULL)};

	pair(&t->tsc0, &t->mono0);
	nanosleep(&ts, NULL);
	pair(&t->tsc, &t->mono);
	if (t->mono <= t->mono0 || t->tsc <= t->tsc0)
		return -1;
	t->per_ns = (double)(t->tsc - t->tsc0) / (double)(t->mono - t->mono0);
	return t->per_ns > 0.01 && t->per_ns < 100 ? 0 : -1;
}

void
tsc_update(struct tsc_cal *t)
{
	pair(&t->tsc, &t->mono);
	/* the whole baseline: pairing jitter of ~100 ns shrinks with every second */
	if (t->mono > t->mono0 && t->tsc > t->tsc0)
		t->per_ns = (double)(t->tsc - t->tsc0) / (double)(t->mono - t->mono0);
}

int
map_compose(const struct snap_map *mono, uint64_t local_ref, uint64_t mono_ref, double local_per_ns,
	    struct snap_map *out)
{
	/* NTP units per monotonic ns, then per local tick */
	double units = (double)mono->rate_int + (double)mono->rate_frac / 18446744073709551616.0;
	double per_tick, whole;

	if (!(mono->flags & SNAP_MAP_VALID) || !(local_per_ns > 1e-6 && local_per_ns < 1e6))
		return -1;
	per_tick = units / local_per_ns;
	whole = floor(per_tick);
	out->rate_int = (__u32)whole;
	out->rate_frac = (__u64)((per_tick - whole) * 18446744073709551616.0);
	/* the local reading at the monotonic map's anchor, where its NTP time is known */
	out->local_base = local_ref + (uint64_t)(int64_t)llround(
					      (double)(int64_t)(mono->local_base - mono_ref) * local_per_ns);
	out->ntp_base = mono->ntp_base;
	out->flags = SNAP_MAP_VALID;
	return 0;
}

int
tsc_map(const struct tsc_cal *t, const struct snap_map *mono, struct snap_map *out)
{
	return map_compose(mono, t->tsc, t->mono, t->per_ns, out);
}
