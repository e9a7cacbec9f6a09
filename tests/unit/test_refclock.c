/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reference clocks (stratad/refclock.c) on CLOCK_REALTIME, which every
 * host has: the configured offset shows in the samples, the filter keeps
 * the tightest reading, selection gets a stratum-0 candidate, a clock step
 * moves the samples, and only a PHC has a map for hardware stamps.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include <strata/ntp.h>

#include "monotime.h"
#include "refclock.h"

#include "cunit_main.h"

/* strata's clock at the system clock's time, as ref_new() starts it */
static void
disc_at_realtime(struct disc *d)
{
	struct timespec rt;
	uint64_t a, b;

	/* a pair read close together: a preempted one would show as an offset */
	do {
		a = mono_ns();
		clock_gettime(CLOCK_REALTIME, &rt);
		b = mono_ns();
	} while (b - a > 20000);
	disc_init(d, a + (b - a) / 2, ntp_from_unix(rt.tv_sec, (__u32)rt.tv_nsec, NULL), 0);
}

static void
test_phc_offset(void)
{
	struct cfg_source src = {.kind = CFG_SRC_PHC, .poll = -3, .offset = 0.25};
	struct sel_candidate c;
	struct snap_map mono = {0}, m;
	struct disc d;
	struct peer p;
	uint64_t now;
	int i;

	snprintf(src.host, sizeof(src.host), "CLOCK_REALTIME");
	disc_at_realtime(&d);
	now = mono_ns();
	CU_ASSERT_EQUAL_FATAL(refclock_open(&p, 3, &src, now), 0);
	CU_ASSERT_EQUAL(p.origin, 3);
	CU_ASSERT_STRING_EQUAL(p.name, "CLOCK_REALTIME");
	CU_ASSERT_EQUAL(memcmp(&p.ntpc.refid, "PHC", 4), 0);
	CU_ASSERT_EQUAL(refclock_candidate(&p, now, &c), -1); /* nothing read yet */
	for (i = 0; i < 4; i++)
		refclock_sample(&p, &d, mono_ns());
	now = mono_ns();
	CU_ASSERT_EQUAL(p.ntpc.reach, 0xf);
	CU_ASSERT(fabs(p.ntpc.offset - 0.25) < 1e-3);
	/* the next reading is due a poll (2^-3 s) later */
	CU_ASSERT(p.ntpc.next_ns > now && p.ntpc.next_ns <= now + 125000000ULL);
	CU_ASSERT_EQUAL_FATAL(refclock_candidate(&p, now, &c), 0);
	CU_ASSERT_EQUAL(c.stratum, 0);
	CU_ASSERT(fabs(c.offset - 0.25) < 1e-3);
	/* strata's clock stepped 0.25 s ahead: old and new samples read 0 */
	disc_step(&d, mono_ns(), 0.25);
	refclock_moved(&p, 0.25);
	refclock_sample(&p, &d, mono_ns());
	CU_ASSERT(fabs(p.ntpc.offset) < 1e-3);
	/* a PHC's timescale maps once two readings gave its rate */
	snap_map_set_rate(&mono, 1000000000ULL, 0);
	mono.flags = SNAP_MAP_VALID;
	CU_ASSERT_EQUAL(refclock_map(&p, &mono, &m), 0);
	refclock_close(&p);
	CU_ASSERT_PTR_NULL(p.ref);
}

static void
test_system(void)
{
	struct snap_map mono = {0}, m;
	struct disc d;
	struct peer p;

	disc_at_realtime(&d);
	CU_ASSERT_EQUAL_FATAL(refclock_open(&p, -1, NULL, mono_ns()), 0);
	CU_ASSERT_STRING_EQUAL(p.name, "SYSTEM");
	CU_ASSERT_EQUAL(memcmp(&p.ntpc.refid, "SYS", 4), 0);
	CU_ASSERT_EQUAL(p.ntpc.poll, 0);
	refclock_sample(&p, &d, mono_ns());
	refclock_sample(&p, &d, mono_ns());
	/* read only while the kernel says it is synchronised: either way, no map */
	CU_ASSERT(p.ntpc.reach == 0 || fabs(p.ntpc.offset) < 1e-3);
	snap_map_set_rate(&mono, 1000000000ULL, 0);
	CU_ASSERT_EQUAL(refclock_map(&p, &mono, &m), -1);
	refclock_close(&p);
}

static void
test_missing_device(void)
{
	struct cfg_source src = {.kind = CFG_SRC_PHC};
	struct peer p;

	snprintf(src.host, sizeof(src.host), "/dev/ptp-strata-none");
	CU_ASSERT(refclock_open(&p, 0, &src, mono_ns()) < 0);
}

static const struct test_case cases[] = {
	TEST_CASE(test_phc_offset),
	TEST_CASE(test_system),
	TEST_CASE(test_missing_device),
};

CUNIT_MAIN("refclock", cases)
