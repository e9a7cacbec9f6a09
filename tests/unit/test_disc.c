/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The discipline of strata's clock (stratad/disc.c): the served time never
 * jumps between maps, the first large offset is stepped and later ones are
 * slewed no faster than 500 ppm, and the loop locks on to a clock that runs
 * at another rate.
 */
#include <math.h>
#include <stdio.h>

#include "disc.h"

#include "cunit_main.h"

#define NS 1000000000ULL
#define T0 0xe8000000ULL << 32 /* some NTP time in era 0 */

/* Seconds between two NTP times. */
static double
diff_s(uint64_t a, uint64_t b)
{
	return (double)ntp_ts_diff(a, b) / 4294967296.0;
}

/* What the fast path serves at @mono through the published map. */
static uint64_t
served(const struct disc *d, uint64_t mono)
{
	struct snap_map m;

	disc_map(d, &m);
	return snap_map_apply(&m, mono);
}

static void
test_no_jumps(void)
{
	struct disc d;
	uint64_t mono = 1000 * NS, before, after;
	int i;

	disc_init(&d, mono, T0, 12.5);
	disc_update(&d, mono, 0.050, 0); /* 50 ms: slewed, not stepped */
	for (i = 0; i < 2000; i++) {
		mono += NS / 32;
		before = served(&d, mono);
		disc_advance(&d, mono);
		after = served(&d, mono);
		/* the new map starts where the old one ends, to within a unit */
		if (llabs((long long)ntp_ts_diff(after, before)) > 1) {
			CU_FAIL("the served time jumped at a republish");
			return;
		}
		if (i % 64 == 0)
			disc_update(&d, mono, 0.001 * ((i / 64) % 3 - 1), 0);
	}
	CU_ASSERT(llabs((long long)ntp_ts_diff(disc_now(&d, mono), served(&d, mono))) <= 1);
}

static void
test_step_then_slew(void)
{
	struct disc d;
	uint64_t mono = 5 * NS, t;
	double step;

	disc_init(&d, mono, T0, 0);
	/* RFC 5905 section 11.3: the first offset above 128 ms is stepped */
	step = disc_update(&d, mono, 2.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(step, 2.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(diff_s(disc_now(&d, mono), T0), 2.5, 1e-9);

	/* afterwards even a large offset is slewed, at 500 ppm at most */
	t = disc_now(&d, mono);
	CU_ASSERT_EQUAL(disc_update(&d, mono, 1.0, 0), 0);
	mono += 10 * NS;
	disc_advance(&d, mono);
	CU_ASSERT(diff_s(disc_now(&d, mono), t) <= 10 * (1 + 500e-6) + 1e-9);
	CU_ASSERT(diff_s(disc_now(&d, mono), t) > 10 * (1 + 400e-6));

	/* a small first offset is slewed */
	disc_init(&d, mono, T0, 0);
	CU_ASSERT_EQUAL(disc_update(&d, mono, 0.1, 0), 0);
	CU_ASSERT_EQUAL(disc_now(&d, mono), T0);
}

/*
 * A reference that runs 50 ppm faster than CLOCK_MONOTONIC and starts 30 ms
 * ahead, measured every 2 s with 1 us of noise: the loop locks to it.
 */
static void
test_locks_on(void)
{
	const double ref_ppm = 50.0;
	struct disc d;
	uint64_t mono = 0;
	unsigned int seed = 1;
	double off = 0;
	int i;

	disc_init(&d, mono, T0, 0);
	for (i = 0; i < 3 * 3600 / 2; i++) {
		double ref = (double)mono * 1e-9 * (1 + ref_ppm * 1e-6) + 0.030;
		double noise;

		seed = seed * 1103515245 + 12345;
		noise = ((double)(seed >> 16 & 0x7fff) / 32768.0 - 0.5) * 2e-6;
		off = ref - diff_s(disc_now(&d, mono), T0) + noise;
		disc_update(&d, mono, off, 1);
		/* 32 publishes between two measurements, as stratad does */
		for (int k = 0; k < 64; k++) {
			mono += 2 * NS / 64;
			disc_advance(&d, mono);
		}
	}
	printf("\n    after 3 h: offset %.3g s, frequency %.4f ppm\n", off, disc_freq_ppm(&d));
	CU_ASSERT(fabs(off) < 5e-6);
	CU_ASSERT(fabs(disc_freq_ppm(&d) - ref_ppm) < 0.05);
}

/* A packet stamped just before a republish reads the clock backwards */
static void
test_before_anchor(void)
{
	struct disc d;
	uint64_t mono = 100 * NS;

	disc_init(&d, mono, T0, 0);
	disc_update(&d, mono, 0.001, 0);
	mono += NS / 32;
	disc_advance(&d, mono);
	CU_ASSERT_DOUBLE_EQUAL(diff_s(disc_now(&d, mono - NS / 1000), disc_now(&d, mono)), -0.001,
			       1e-6);
}

static void
test_leap_step(void)
{
	struct disc d;
	uint64_t mono = NS;

	disc_init(&d, mono, T0, 0);
	disc_step(&d, mono, -1.0);
	CU_ASSERT_DOUBLE_EQUAL(diff_s(disc_now(&d, mono), T0), -1.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(diff_s(served(&d, mono + NS), T0), 0.0, 1e-9);
}

static const struct test_case cases[] = {
	TEST_CASE(test_no_jumps),
	TEST_CASE(test_step_then_slew),
	TEST_CASE(test_locks_on),
	TEST_CASE(test_before_anchor),
	TEST_CASE(test_leap_step),
};

CUNIT_MAIN("disc", cases)
