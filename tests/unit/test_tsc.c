/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Composed maps (control/tsc.c): a timescale mapped through CLOCK_MONOTONIC
 * gives the same NTP time as the monotonic map at the same instant, and the
 * TSC calibration finds the TSC's rate.
 */
#include <math.h>
#include <time.h>
#include <x86intrin.h>

#include "tsc.h"

#include "cunit_main.h"

static void
test_compose(void)
{
	struct snap_map mono = {0}, tsc;
	const double per_ns = 2.5; /* a 2.5 GHz TSC */
	uint64_t mono_ref = 5000000000ULL, tsc_ref = 123456789000ULL;
	int i;

	snap_map_set_rate(&mono, 1000000000ULL, 3.0); /* the monotonic clock 3 ppm fast */
	mono.local_base = 7000000000ULL;
	mono.ntp_base = 0xe900000000000000ULL;
	mono.flags = SNAP_MAP_VALID;
	CU_ASSERT_EQUAL_FATAL(map_compose(&mono, tsc_ref, mono_ref, per_ns, &tsc), 0);
	for (i = 0; i < 100; i++) {
		uint64_t m = mono.local_base + (uint64_t)i * 3600000000000ULL / 100; /* over an hour */
		uint64_t t = tsc_ref + (uint64_t)llround((double)(m - mono_ref) * per_ns);
		__s64 d = ntp_ts_diff(snap_map_apply(&tsc, t), snap_map_apply(&mono, m));

		/* within a nanosecond (4 units of 2^-32 s) of the monotonic map */
		if (d < -4 || d > 4) {
			CU_FAIL("the composed map disagrees with the monotonic one");
			return;
		}
	}
	mono.flags = 0;
	CU_ASSERT_EQUAL(map_compose(&mono, tsc_ref, mono_ref, per_ns, &tsc), -1);
}

static void
test_calibration(void)
{
	struct tsc_cal t;
	struct timespec a, b;
	uint64_t t0, t1;
	double rate;

	CU_ASSERT_EQUAL_FATAL(tsc_init(&t, 20000000), 0);
	/* an independent measurement over 50 ms agrees to 0.1 % */
	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __rdtsc();
	nanosleep(&(struct timespec){0, 50000000}, NULL);
	t1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &b);
	rate = (double)(t1 - t0) / ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec));
	CU_ASSERT(fabs(t.per_ns / rate - 1) < 1e-3);
	tsc_update(&t);
	CU_ASSERT(fabs(t.per_ns / rate - 1) < 1e-3);
}

static const struct test_case cases[] = {
	TEST_CASE(test_compose),
	TEST_CASE(test_calibration),
};

CUNIT_MAIN("tsc", cases)
