/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Clock offsets (stratad/phc.c): the offset math of the three PTP ioctls on
 * recorded samples, then the clock_gettime() sandwich on CLOCK_TAI and
 * CLOCK_REALTIME, and a real /dev/ptp0 when the machine has one.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "phc.h"
#include "log.h"

#include "cunit_main.h"

#define T(s, ns) {.sec = (s), .nsec = (ns)}

/* 2024-06-01T12:00:00Z */
#define SYS0 1717243200LL

static int64_t
now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * A PHC on TAI, 37 s + 250 ns ahead of the system clock, read at various
 * points inside sandwiches of various widths (as gettimex64 drivers report
 * them). Each row says where in the sandwich the PHC was read.
 */
static void
test_extended_tai(void)
{
	static const struct ptp_sys_offset_extended s = {
		.n_samples = 5,
		.ts = {
			/* 2980 ns wide, read 2000 ns in: offset 37 s + 250 + 510 */
			{T(SYS0, 100000), T(SYS0 + 37, 102250), T(SYS0, 102980)},
			/* 1210 ns, read 700 ns in: the narrowest, 37 s + 250 + 95 */
			{T(SYS0, 110000), T(SYS0 + 37, 110950), T(SYS0, 111210)},
			/* 50 us: an interrupt inside; the offset is 24 us off */
			{T(SYS0, 120000), T(SYS0 + 37, 121050), T(SYS0, 170000)},
			/* 1210 ns again, read 1000 ns in: a tie, the first one stays */
			{T(SYS0, 180000), T(SYS0 + 37, 181250), T(SYS0, 181210)},
			/* 1500 ns, read in the middle: the true offset, but wider */
			{T(SYS0, 190000), T(SYS0 + 37, 191000), T(SYS0, 191500)},
		},
	};
	struct phc_sample out;

	memset(&out, 0xa5, sizeof(out));
	CU_ASSERT_EQUAL(phc_offset_extended(&s, &out), 0);
	CU_ASSERT_EQUAL(out.offset_ns, 37000000345LL);
	CU_ASSERT_EQUAL(out.delay_ns, 1210);
	CU_ASSERT_EQUAL(out.sys_ns, SYS0 * 1000000000 + 110605);
	CU_ASSERT_EQUAL(out.mono_ns, 0);
}

/*
 * PTP_SYS_OFFSET interleaves sys, phc, sys, phc, ..., sys. A PHC 1.5 s
 * behind, and the narrowest sandwich straddles a second boundary: the nsec
 * fields wrap from .999999900 to .000001100.
 */
static void
test_basic_negative_wrap(void)
{
	static const struct ptp_sys_offset s = {
		.n_samples = 3,
		.ts = {
			T(SYS0, 999998000),
			T(SYS0 - 1, 499998827), /* read 950 ns into 1900: -1.500000123 s */
			T(SYS0, 999999900),
			T(SYS0 - 1, 500000177), /* read 400 ns into 1200 */
			T(SYS0 + 1, 1100),
			T(SYS0 - 1, 500001877), /* read 900 ns into 1900 */
			T(SYS0 + 1, 3000),
		},
	};
	struct phc_sample out;

	CU_ASSERT_EQUAL(phc_offset_basic(&s, &out), 0);
	/* -1.500000123 s + 400 - 600: the read was 200 ns before the midpoint */
	CU_ASSERT_EQUAL(out.offset_ns, -1500000323LL);
	CU_ASSERT_EQUAL(out.delay_ns, 1200);
	CU_ASSERT_EQUAL(out.sys_ns, (SYS0 + 1) * 1000000000 + 500);
}

static void
test_precise(void)
{
	struct ptp_sys_offset_precise s;
	struct phc_sample out;

	/* TAI, with a borrow from the seconds: 37 s - 500 ns */
	memset(&s, 0, sizeof(s));
	s.device = (struct ptp_clock_time)T(SYS0 + 37, 100);
	s.sys_realtime = (struct ptp_clock_time)T(SYS0, 600);
	s.sys_monoraw = (struct ptp_clock_time)T(86400, 5);
	CU_ASSERT_EQUAL(phc_offset_precise(&s, &out), 0);
	CU_ASSERT_EQUAL(out.offset_ns, 36999999500LL);
	CU_ASSERT_EQUAL(out.delay_ns, 0);
	CU_ASSERT_EQUAL(out.sys_ns, SYS0 * 1000000000 + 600);

	/* a PHC never set since the NIC reset: 12.0000005 s against 2024 */
	s.device = (struct ptp_clock_time)T(12, 500);
	s.sys_realtime = (struct ptp_clock_time)T(SYS0, 0);
	CU_ASSERT_EQUAL(phc_offset_precise(&s, &out), 0);
	CU_ASSERT_EQUAL(out.offset_ns, -1717243187999999500LL);

	/* a difference beyond 292 years does not fit 64-bit ns */
	s.device = (struct ptp_clock_time)T(INT64_MAX / 1000000000 + 1, 0);
	s.sys_realtime = (struct ptp_clock_time)T(0, 0);
	CU_ASSERT_EQUAL(phc_offset_precise(&s, &out), -ERANGE);
	s.device = (struct ptp_clock_time)T(INT64_MIN, 0);
	s.sys_realtime = (struct ptp_clock_time)T(1, 0);
	CU_ASSERT_EQUAL(phc_offset_precise(&s, &out), -ERANGE);
}

static void
test_malformed(void)
{
	struct ptp_sys_offset_extended x;
	struct ptp_sys_offset b;
	struct phc_sample out;

	memset(&x, 0, sizeof(x));
	CU_ASSERT_EQUAL(phc_offset_extended(&x, &out), -EINVAL); /* no samples */
	x.n_samples = PTP_MAX_SAMPLES + 1;
	CU_ASSERT_EQUAL(phc_offset_extended(&x, &out), -EINVAL);
	memset(&b, 0, sizeof(b));
	b.n_samples = PTP_MAX_SAMPLES + 1;
	CU_ASSERT_EQUAL(phc_offset_basic(&b, &out), -EINVAL);

	/* all 25 samples are read, and an all-zero set is valid */
	x.n_samples = PTP_MAX_SAMPLES;
	CU_ASSERT_EQUAL(phc_offset_extended(&x, &out), 0);
	CU_ASSERT_EQUAL(out.offset_ns, 0);
	x.ts[PTP_MAX_SAMPLES - 1][1].nsec = 1000000000; /* not a normalized time */
	CU_ASSERT_EQUAL(phc_offset_extended(&x, &out), -EINVAL);

	/* the system clock stepped back inside a sandwich: the whole set is void */
	memset(&x, 0, sizeof(x));
	x.n_samples = 2;
	x.ts[0][0] = (struct ptp_clock_time)T(SYS0, 1000);
	x.ts[0][1] = (struct ptp_clock_time)T(SYS0, 1500);
	x.ts[0][2] = (struct ptp_clock_time)T(SYS0, 2000);
	x.ts[1][0] = (struct ptp_clock_time)T(SYS0, 3000);
	x.ts[1][1] = (struct ptp_clock_time)T(SYS0, 3500);
	x.ts[1][2] = (struct ptp_clock_time)T(SYS0 - 1, 4000);
	CU_ASSERT_EQUAL(phc_offset_extended(&x, &out), -EAGAIN);
	x.ts[1][2] = (struct ptp_clock_time)T(SYS0, 4000);
	CU_ASSERT_EQUAL(phc_offset_extended(&x, &out), 0);
	CU_ASSERT_EQUAL(out.delay_ns, 1000);
	CU_ASSERT_EQUAL(out.sys_ns, SYS0 * 1000000000 + 1500);
}

static void
test_clock_tai(void)
{
	struct phc_sample s;
	struct timex tx;
	struct phc *p;
	int64_t want, mono;

	memset(&tx, 0, sizeof(tx));
	CU_ASSERT_FATAL(adjtimex(&tx) >= 0);
	/* TAI - UTC as the kernel knows it: 0 where nobody ever set it */
	want = (int64_t)tx.tai * 1000000000;

	p = phc_open("CLOCK_TAI");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(phc_method(p), "clock_gettime");
	CU_ASSERT_EQUAL(phc_sample(p, &s), 0);
	mono = now_ns(CLOCK_MONOTONIC);
	CU_ASSERT(s.offset_ns > want - 1000000 && s.offset_ns < want + 1000000);
	CU_ASSERT(s.delay_ns > 0 && s.delay_ns < 1000000);
	CU_ASSERT(s.sys_ns <= now_ns(CLOCK_REALTIME) &&
		  s.sys_ns > now_ns(CLOCK_REALTIME) - 1000000000);
	/* the monotonic time of the sample, just before "now" */
	CU_ASSERT((int64_t)s.mono_ns <= mono && (int64_t)s.mono_ns > mono - 1000000);
	phc_close(p);
}

static void
test_clock_realtime(void)
{
	struct phc_sample s;
	struct phc *p;
	int i;

	p = phc_open("CLOCK_REALTIME");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(phc_method(p), "clock_gettime");
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(phc_sample(p, &s), 0);
		CU_ASSERT(s.offset_ns > -100000 && s.offset_ns < 100000);
	}
	phc_close(p);
}

static void
test_open_errors(void)
{
	errno = 0;
	CU_ASSERT_PTR_NULL(phc_open("/dev/ptp-nonexistent"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	/* a file that is not a clock: every ioctl and clock_gettime() refuse it */
	errno = 0;
	CU_ASSERT_PTR_NULL(phc_open("/dev/null"));
	CU_ASSERT_EQUAL(errno, ENODEV);
	/* only the two stand-ins are clockid names; anything else is a path */
	errno = 0;
	CU_ASSERT_PTR_NULL(phc_open("CLOCK_MONOTONIC"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	phc_close(NULL);
}

/* A real PHC when there is one (and we may open it); nothing to check otherwise. */
static void
test_dev_ptp0(void)
{
	struct phc_sample s;
	struct phc *p;
	const char *m;

	if (access("/dev/ptp0", R_OK | W_OK) != 0)
		return;
	p = phc_open("/dev/ptp0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	m = phc_method(p);
	CU_ASSERT(strncmp(m, "PTP_SYS_OFFSET", 14) == 0);
	CU_ASSERT_EQUAL(phc_sample(p, &s), 0);
	CU_ASSERT(strcmp(m, "PTP_SYS_OFFSET_PRECISE") == 0 ? s.delay_ns == 0 : s.delay_ns > 0);
	phc_close(p);
}

static const struct test_case cases[] = {
	TEST_CASE(test_extended_tai),
	TEST_CASE(test_basic_negative_wrap),
	TEST_CASE(test_precise),
	TEST_CASE(test_malformed),
	TEST_CASE(test_clock_tai),
	TEST_CASE(test_clock_realtime),
	TEST_CASE(test_open_errors),
	TEST_CASE(test_dev_ptp0),
};

CUNIT_MAIN("phc", cases)
