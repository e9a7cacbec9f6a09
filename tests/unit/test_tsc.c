/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Composed maps (stratad/tsc.c): a timescale mapped through CLOCK_MONOTONIC
 * gives the same NTP time as the monotonic map at the same instant, and the
 * TSC calibration finds the TSC's rate.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
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

/*
 * The calibration on a simulated machine that preempts it. A busy 2-CPU
 * guest can deschedule stratad between any two clock readings for a
 * scheduler slice; a pairing split that way (CLOCK_MONOTONIC, TSC,
 * CLOCK_MONOTONIC) puts the TSC reading milliseconds from the midpoint it
 * is credited to, and a map built on it would be off by half the slice.
 * tsc.c keeps the tightest of several pairings, so a slice is never
 * credited. Here the clocks are the simulation's: clock_gettime() costs
 * 20 ns, rdtsc 10 ns, the TSC runs at 2.5 GHz, and a 4 ms slice is put
 * before each reading in turn, then before one reading in 64 at random (fixed
 * seeds).
 */
#define SIM_COST_MONO 20
#define SIM_COST_TSC 10
#define SIM_SLICE 4000000ULL
#define SIM_TSC0 987654321ULL

/* the true time, which CLOCK_MONOTONIC reads */
static uint64_t sim_ns;
static unsigned int sim_reads;
/* the reading a slice precedes; UINT_MAX: none */
static unsigned int sim_slice_at;
/* with it nonzero, a slice before 1 reading in 64 */
static uint64_t sim_rand;

static uint64_t
sim_tsc_at(uint64_t ns)
{
	return SIM_TSC0 + ns * 5 / 2;
}

static void
sim_step(uint64_t cost)
{
	if (sim_reads++ == sim_slice_at)
		sim_ns += SIM_SLICE;
	if (sim_rand != 0) {
		sim_rand = sim_rand * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((sim_rand >> 58) == 0)
			sim_ns += SIM_SLICE;
	}
	sim_ns += cost;
}

static int
sim_clock_gettime(clockid_t id, struct timespec *ts)
{
	(void)id;
	sim_step(SIM_COST_MONO);
	ts->tv_sec = (time_t)(sim_ns / 1000000000ULL);
	ts->tv_nsec = (long)(sim_ns % 1000000000ULL);
	return 0;
}

static uint64_t
sim_rdtsc(void)
{
	sim_step(SIM_COST_TSC);
	return sim_tsc_at(sim_ns);
}

static int
sim_nanosleep(const struct timespec *req, struct timespec *rem)
{
	(void)rem;
	sim_ns += (uint64_t)req->tv_sec * 1000000000ULL + (uint64_t)req->tv_nsec + 70000;
	return 0;
}

/* stratad/tsc.c once more, on the simulated clocks, under other names */
#define clock_gettime sim_clock_gettime
#define nanosleep sim_nanosleep
#define __rdtsc sim_rdtsc
#define tsc_init sim_tsc_init
#define tsc_update sim_tsc_update
#define map_compose sim_map_compose
#define tsc_map sim_tsc_map
#include "tsc.c"
#undef clock_gettime
#undef nanosleep
#undef __rdtsc
#undef tsc_init
#undef tsc_update
#undef map_compose
#undef tsc_map

/* Calibrate and publish once; the map's worst error (ns) one publish and 10 s later. */
static double
sim_map_error(void)
{
	struct snap_map mono = {0}, tsc;
	struct tsc_cal t;
	double worst = 0;
	int i;

	sim_ns = 1000000000000ULL;
	sim_reads = 0;
	if (sim_tsc_init(&t, 20000000) != 0)
		return 1e9;
	sim_tsc_update(&t);
	/* the monotonic map of a publish: 1 ns per ns, anchored now */
	snap_map_set_rate(&mono, 1000000000ULL, 0.0);
	mono.local_base = sim_ns;
	mono.ntp_base = 0xe900000000000000ULL;
	mono.flags = SNAP_MAP_VALID;
	if (sim_tsc_map(&t, &mono, &tsc) != 0)
		return 1e9;
	for (i = 0; i < 2; i++) {
		uint64_t at = sim_ns + (i == 0 ? 31250000ULL : 10000000000ULL);
		double e = (double)ntp_ts_diff(snap_map_apply(&tsc, sim_tsc_at(at)),
					       snap_map_apply(&mono, at)) *
			   1e9 / 4294967296.0;

		if (fabs(e) > worst)
			worst = fabs(e);
	}
	return worst;
}

static void
test_preempted_calibration(void)
{
	double e, worst = 0;
	unsigned int k;
	int i;

	/* no preemption: the pairing's own asymmetry, (20 - 10) / 2 ns */
	sim_slice_at = UINT_MAX;
	sim_rand = 0;
	CU_ASSERT(sim_map_error() < 10);
	/* one slice before each reading of tsc_init() and tsc_update() in turn */
	for (k = 0; k < 60; k++) {
		sim_slice_at = k;
		e = sim_map_error();
		if (e > worst)
			worst = e;
	}
	/* slices before one reading in 64, at random */
	sim_slice_at = UINT_MAX;
	for (i = 0; i < 1000; i++) {
		sim_rand = 0x5eed0000ULL + (uint64_t)i;
		e = sim_map_error();
		if (e > worst)
			worst = e;
	}
	sim_rand = 0;
	if (worst >= 10)
		printf("\n  a preempted calibration leaves the TSC map %.0f ns off\n", worst);
	CU_ASSERT(worst < 10);
}

static const struct test_case cases[] = {
	TEST_CASE(test_compose),
	TEST_CASE(test_calibration),
	TEST_CASE(test_preempted_calibration),
};

CUNIT_MAIN("tsc", cases)
