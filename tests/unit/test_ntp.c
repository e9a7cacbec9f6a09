/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NTP wire format and time conversions (include/strata/ntp.h): epochs, the
 * era boundary of 2036-02-07, fractions, the short format, and the 64-bit
 * high multiply the snapshot maps rely on.
 */
#include <string.h>

#include <strata/ntp.h>

#include "cunit_main.h"

/* 2036-02-07T06:28:16Z, the first second of NTP era 1 (RFC 5905 section 6) */
#define ERA1_UNIX 2085978496LL

static __u64
xorshift64(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
test_epochs(void)
{
	__s32 era = 99;
	__u32 ns = 1;

	/* the Unix epoch is 2208988800 s after the NTP prime epoch */
	CU_ASSERT_EQUAL(ntp_from_unix(0, 0, &era), (__u64)2208988800u << 32);
	CU_ASSERT_EQUAL(era, 0);
	/* the prime epoch itself */
	CU_ASSERT_EQUAL(ntp_from_unix(-NTP_UNIX_OFFSET, 0, &era), 0);
	CU_ASSERT_EQUAL(era, 0);
	/* a second before: era -1 (RFC 5905 figure 4 allows negative eras) */
	CU_ASSERT_EQUAL(ntp_from_unix(-NTP_UNIX_OFFSET - 1, 0, &era), 0xffffffffULL << 32);
	CU_ASSERT_EQUAL(era, -1);
	CU_ASSERT_EQUAL(ntp_to_unix((__u64)2208988800u << 32, 0, &ns), 0);
	CU_ASSERT_EQUAL(ns, 0);
}

static void
test_era_boundary(void)
{
	__s32 era;
	__u32 ns;
	__u64 t;

	/* the last instant of era 0 */
	t = ntp_from_unix(ERA1_UNIX - 1, 999999999, &era);
	CU_ASSERT_EQUAL(era, 0);
	CU_ASSERT_EQUAL(t >> 32, 0xffffffffu);
	CU_ASSERT_EQUAL((__u32)t, 0xfffffffcu); /* 4294967291.7 rounded to nearest */

	/* the first of era 1: the wire timestamp restarts at zero */
	t = ntp_from_unix(ERA1_UNIX, 0, &era);
	CU_ASSERT_EQUAL(era, 1);
	CU_ASSERT_EQUAL(t, 0);

	/* timestamps carry no era: the pivot decides, on both sides of 2036 */
	CU_ASSERT_EQUAL(ntp_to_unix(0, ERA1_UNIX, &ns), ERA1_UNIX);
	CU_ASSERT_EQUAL(ntp_to_unix(0, ERA1_UNIX - 100, &ns), ERA1_UNIX);
	CU_ASSERT_EQUAL(ntp_to_unix(0xffffffffULL << 32, ERA1_UNIX + 100, &ns), ERA1_UNIX - 1);
	/* a 1970 pivot maps timestamp 0 to 2036, not 1900: 1900 is 70 years back */
	CU_ASSERT_EQUAL(ntp_to_unix(0, 0, &ns), ERA1_UNIX);
	/* a 1900-era pivot keeps it in 1900 */
	CU_ASSERT_EQUAL(ntp_to_unix(0, -NTP_UNIX_OFFSET, &ns), -NTP_UNIX_OFFSET);

	/* the difference of two timestamps across the boundary is small and signed */
	CU_ASSERT_EQUAL(ntp_ts_diff(ntp_from_unix(ERA1_UNIX + 1, 0, NULL),
				    ntp_from_unix(ERA1_UNIX - 1, 0, NULL)),
			(__s64)2 << 32);
	CU_ASSERT_EQUAL(ntp_ts_diff(ntp_from_unix(ERA1_UNIX - 1, 0, NULL),
				    ntp_from_unix(ERA1_UNIX + 1, 0, NULL)),
			-((__s64)2 << 32));
}

static void
test_roundtrip_sweep(void)
{
	__u64 seed = 0x5eed;
	int i;

	/* Unix times from 1901 to 2104, each within 68 years of its pivot */
	for (i = 0; i < 200000; i++) {
		__s64 sec = (__s64)(xorshift64(&seed) % 6400000000ULL) - 2200000000LL;
		__u32 nsec = (__u32)(xorshift64(&seed) % NSEC_PER_SEC);
		__s64 pivot = sec + (__s64)(xorshift64(&seed) % 4000000000ULL) - 2000000000LL;
		__u64 t = ntp_from_unix(sec, nsec, NULL);
		__u32 back_ns;
		__s64 back = ntp_to_unix(t, pivot, &back_ns);
		__s64 err = (back - sec) * (__s64)NSEC_PER_SEC + (__s64)back_ns - (__s64)nsec;

		/* 2^-32 s is 0.23 ns: one rounding each way stays within 1 ns */
		if (err < -1 || err > 1) {
			CU_FAIL("round trip through NTP time lost more than 1 ns");
			return;
		}
	}
}

static void
test_fraction(void)
{
	__u32 ns;

	CU_ASSERT_EQUAL(ntp_frac_from_ns(0), 0);
	CU_ASSERT_EQUAL(ntp_frac_from_ns(500000000), 0x80000000u);
	CU_ASSERT_EQUAL(ntp_frac_from_ns(250000000), 0x40000000u);
	CU_ASSERT_EQUAL(ntp_frac_to_ns(0x80000000u), 500000000);
	/* the largest fraction rounds to a whole second: ntp_to_unix carries it */
	CU_ASSERT_EQUAL(ntp_frac_to_ns(0xffffffffu), 1000000000);
	CU_ASSERT_EQUAL(ntp_to_unix(0x00000001ffffffffULL, -NTP_UNIX_OFFSET, &ns),
			-NTP_UNIX_OFFSET + 2);
	CU_ASSERT_EQUAL(ns, 0);
	for (ns = 0; ns < NSEC_PER_SEC; ns += 999983) {
		__u32 back = ntp_frac_to_ns(ntp_frac_from_ns(ns));

		CU_ASSERT(back == ns);
	}
}

static void
test_short_format(void)
{
	CU_ASSERT_EQUAL(ntp_short_from_ns(0), 0);
	CU_ASSERT_EQUAL(ntp_short_from_ns(NSEC_PER_SEC), 0x10000u);
	CU_ASSERT_EQUAL(ntp_short_from_ns(1500000000ULL), 0x18000u);
	/* bounds round up: 1 ns is one unit of 15.26 us, not zero */
	CU_ASSERT_EQUAL(ntp_short_from_ns(1), 1);
	CU_ASSERT_EQUAL(ntp_short_from_ns(15258), 1); /* just under 2^-16 s */
	CU_ASSERT_EQUAL(ntp_short_from_ns(15259), 2);
	CU_ASSERT_EQUAL(ntp_short_from_ns(65535ULL * NSEC_PER_SEC), 0xffff0000u);
	CU_ASSERT_EQUAL(ntp_short_from_ns(65536ULL * NSEC_PER_SEC - 1), 0xffffffffu);
	CU_ASSERT_EQUAL(ntp_short_from_ns(70000ULL * NSEC_PER_SEC), 0xffffffffu);
	CU_ASSERT_EQUAL(ntp_short_from_ns(~0ULL), 0xffffffffu);
	CU_ASSERT_EQUAL(ntp_short_to_ns(0x10000u), NSEC_PER_SEC);
	CU_ASSERT_EQUAL(ntp_short_to_ns(0x8000u), NSEC_PER_SEC / 2);
	CU_ASSERT_EQUAL(ntp_short_to_ns(1), 15259); /* 15258.789 ns rounded */
}

static void
test_wire_order(void)
{
	static const __u8 want[8] = {0x83, 0xaa, 0x7e, 0x80, 0x80, 0x00, 0x00, 0x01};
	struct ntp_ts ts;

	/* RFC 5905 figure 3: seconds then fraction, both big-endian */
	ntp_ts_put(&ts, 0x83aa7e8080000001ULL);
	CU_ASSERT_EQUAL(memcmp(&ts, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(ntp_ts_get(&ts), 0x83aa7e8080000001ULL);
	CU_ASSERT_EQUAL(NTP_LVM(3, 4, 4), 0xe4);
	CU_ASSERT_EQUAL(NTP_LVM_LEAP(0xe4), 3);
	CU_ASSERT_EQUAL(NTP_LVM_VERSION(0xe4), 4);
	CU_ASSERT_EQUAL(NTP_LVM_MODE(0xe4), 4);
}

static void
test_mulhi64(void)
{
	__u64 seed = 42;
	int i;

	CU_ASSERT_EQUAL(ntp_mulhi64_portable(~0ULL, ~0ULL), ~0ULL - 1);
	CU_ASSERT_EQUAL(ntp_mulhi64_portable(1ULL << 63, 4), 2);
	CU_ASSERT_EQUAL(ntp_mulhi64_portable(0xffffffffULL, 0xffffffffULL), 0);
	/* the BPF-safe version against the compiler's 128-bit multiply */
	for (i = 0; i < 1000000; i++) {
		__u64 a = xorshift64(&seed), b = xorshift64(&seed);

		if (i & 1)
			a >>= a & 63;
		if (ntp_mulhi64_portable(a, b) != (__u64)(((strata_u128)a * b) >> 64)) {
			CU_FAIL("portable 64x64 high multiply differs from the 128-bit product");
			return;
		}
	}
}

static const struct test_case cases[] = {
	TEST_CASE(test_epochs),
	TEST_CASE(test_era_boundary),
	TEST_CASE(test_roundtrip_sweep),
	TEST_CASE(test_fraction),
	TEST_CASE(test_short_format),
	TEST_CASE(test_wire_order),
	TEST_CASE(test_mulhi64),
};

CUNIT_MAIN("ntp", cases)
