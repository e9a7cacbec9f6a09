/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The leap-seconds.list reader (control/leap.c): SHA-1 test vectors, the
 * file's hash, TAI - UTC, the leap indicator around 2016-12-31T23:59:60Z,
 * expiry, and the errors a damaged file gives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leap.h"

#include "cunit_main.h"

/* Unix times, UTC */
#define T_19720101 63072000LL
#define T_19720630 78710400LL
#define T_20161230 1483056000LL
#define T_20161231 1483142400LL
#define T_20170101 1483228800LL
#define T_20240601 1717200000LL

/*
 * An excerpt of the IERS file as tzdata ships it (comments shortened): the
 * 28 entries from 1972 to 2017 and the headers of the July 2025 edition,
 * which expires 2026-06-28. The '#h' line is the published one: leap_sha1()
 * of the digit string (see test_hash_input) gives it, and so does
 * `printf %s 39608352003991593600227206080010...369221760037 | sha1sum`.
 */
static const char leap_file[] =
	"#\tATOMIC TIME\n"
	"#\tCoordinated Universal Time (UTC) is the reference time scale derived\n"
	"#\n"
	"#\tThe following line shows the last update of this file in NTP timestamp:\n"
	"#\n"
	"#$\t3960835200\n"
	"#\n"
	"#\tFile expires on 28 June 2026\n"
	"#\n"
	"#@\t3991593600\n"
	"#\n"
	"#NTP Time      DTAI    Day Month Year\n"
	"#\n"
	"2272060800      10      # 1 Jan 1972\n"
	"2287785600      11      # 1 Jul 1972\n"
	"2303683200      12      # 1 Jan 1973\n"
	"2335219200      13      # 1 Jan 1974\n"
	"2366755200      14      # 1 Jan 1975\n"
	"2398291200      15      # 1 Jan 1976\n"
	"2429913600      16      # 1 Jan 1977\n"
	"2461449600      17      # 1 Jan 1978\n"
	"2492985600      18      # 1 Jan 1979\n"
	"2524521600      19      # 1 Jan 1980\n"
	"2571782400      20      # 1 Jul 1981\n"
	"2603318400      21      # 1 Jul 1982\n"
	"2634854400      22      # 1 Jul 1983\n"
	"2698012800      23      # 1 Jul 1985\n"
	"2776982400      24      # 1 Jan 1988\n"
	"2840140800      25      # 1 Jan 1990\n"
	"2871676800      26      # 1 Jan 1991\n"
	"2918937600      27      # 1 Jul 1992\n"
	"2950473600      28      # 1 Jul 1993\n"
	"2982009600      29      # 1 Jul 1994\n"
	"3029443200      30      # 1 Jan 1996\n"
	"3076704000      31      # 1 Jul 1997\n"
	"3124137600      32      # 1 Jan 1999\n"
	"3345062400      33      # 1 Jan 2006\n"
	"3439756800      34      # 1 Jan 2009\n"
	"3550089600      35      # 1 Jul 2012\n"
	"3644697600      36      # 1 Jul 2015\n"
	"3692217600      37      # 1 Jan 2017\n"
	"#\n"
	"#\tA hash code has been generated to be able to verify the integrity\n"
	"#\tof this file.\n"
	"#\n"
	"#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49e\n";

static char path[64];
static char err[512];

/* Write @text to a fresh file and load it. */
static int
load_text(const char *text, struct leap_table *t)
{
	FILE *f;
	int fd, ret;

	snprintf(path, sizeof(path), "/tmp/test_leap.XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	err[0] = '\0';
	ret = leap_load(path, t, err, sizeof(err));
	unlink(path);
	return ret;
}

/* @text with the first @from replaced by @to, in a static buffer */
static const char *
edit(const char *text, const char *from, const char *to)
{
	static char buf[sizeof(leap_file) + 256];
	const char *at = strstr(text, from);

	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return buf;
}

/* "PATH:LINE: " of the line of @text starting with @start */
static int
error_at(const char *text, const char *start)
{
	char want[96];
	const char *at = strstr(text, start), *c;
	unsigned int line = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	for (c = text; c < at; c++)
		line += *c == '\n';
	snprintf(want, sizeof(want), "%s:%u: ", path, line);
	return strncmp(err, want, strlen(want)) == 0;
}

static int
sha1_is(const void *data, size_t len, const char *hex)
{
	uint8_t d[20];
	char got[41];
	int i;

	leap_sha1(data, len, d);
	for (i = 0; i < 20; i++)
		snprintf(got + 2 * i, 3, "%02x", d[i]);
	return strcmp(got, hex) == 0;
}

/* FIPS 180-2 appendix A and RFC 3174 section 7.3, plus the padding edges */
static void
test_sha1_vectors(void)
{
	static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *buf;

	CU_ASSERT(sha1_is("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709"));
	CU_ASSERT(sha1_is("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d"));
	/* 56 bytes: the length no longer fits the last block, padding takes two */
	CU_ASSERT(sha1_is(two_blocks, 56, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"));
	buf = malloc(1000000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memset(buf, 'a', 1000000);
	CU_ASSERT(sha1_is(buf, 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"));
	/* RFC 3174 TEST4: a 64-byte string 10 times, whole blocks only */
	for (int i = 0; i < 640; i++)
		buf[i] = "01234567"[i % 8];
	CU_ASSERT(sha1_is(buf, 640, "dea356a2cddd90c7a7ecedc5ebb563934f460452"));
	free(buf);
}

/* The hash input: the digits of '#$', '#@' and both fields of every entry, in file order. */
static void
test_hash_input(void)
{
	char digits[1024];
	const char *s;
	size_t n = 0;

	n += (size_t)snprintf(digits + n, sizeof(digits) - n, "%s%s", "3960835200", "3991593600");
	for (s = strstr(leap_file, "2272060800"); *s != '#' || s[1] != '\n';) {
		unsigned long long when;
		int tai, used;

		CU_ASSERT_FATAL(sscanf(s, "%llu %d # %*[^\n]\n%n", &when, &tai, &used) == 2);
		n += (size_t)snprintf(digits + n, sizeof(digits) - n, "%llu%d", when, tai);
		s += used;
	}
	CU_ASSERT_EQUAL(n, 20 + 28 * 12);
	CU_ASSERT(sha1_is(digits, n, "49db2447571e5e1b2f002a539c8da8e439b8e49e"));
}

static void
test_load(void)
{
	struct leap_table t;

	CU_ASSERT_EQUAL_FATAL(load_text(leap_file, &t), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(t.n, 28);
	CU_ASSERT_EQUAL(t.updated, 3960835200LL - NTP_UNIX_OFFSET); /* 2025-07-07 */
	CU_ASSERT_EQUAL(t.expires, 1782604800LL);		    /* 2026-06-28 */
	CU_ASSERT_EQUAL(t.e[0].when, T_19720101);
	CU_ASSERT_EQUAL(t.e[0].tai_utc, 10);
	CU_ASSERT_EQUAL(t.e[27].when, T_20170101);
	CU_ASSERT_EQUAL(t.e[27].tai_utc, 37);

	/* CRLF line ends, a missing comment and a hash in upper case change nothing */
	CU_ASSERT_EQUAL(load_text(edit(leap_file, "#h\t49db2447 571e5e1b", "#h 49DB2447 571E5E1B"),
				  &t),
			0);
	CU_ASSERT_EQUAL(load_text(edit(leap_file, "37      # 1 Jan 2017\n", "37\r\n"), &t), 0);
}

static void
test_tai_utc(void)
{
	struct leap_table t;
	struct leap_info li;

	CU_ASSERT_EQUAL_FATAL(load_text(leap_file, &t), 0);
	/* before 1972 UTC was not a whole number of seconds from TAI */
	li.tai_utc = 99;
	CU_ASSERT_EQUAL(leap_at(&t, T_19720101 - 1, &li), -ERANGE);
	CU_ASSERT_EQUAL(li.tai_utc, 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_NONE);
	CU_ASSERT_EQUAL(leap_at(&t, T_19720101, &li), 0);
	CU_ASSERT_EQUAL(li.tai_utc, 10);
	CU_ASSERT_EQUAL(leap_at(&t, 0, &li), -ERANGE);
	CU_ASSERT_EQUAL(leap_at(&t, -NTP_UNIX_OFFSET, &li), -ERANGE);
	CU_ASSERT_EQUAL(leap_at(&t, T_20170101 - 1, &li), 0);
	CU_ASSERT_EQUAL(li.tai_utc, 36);
	CU_ASSERT_EQUAL(leap_at(&t, T_20170101, &li), 0);
	CU_ASSERT_EQUAL(li.tai_utc, 37);
	CU_ASSERT_EQUAL(leap_at(&t, T_20240601, &li), 0);
	CU_ASSERT_EQUAL(li.tai_utc, 37);
	/* 1998: between entries */
	CU_ASSERT_EQUAL(leap_at(&t, 900000000, &li), 0);
	CU_ASSERT_EQUAL(li.tai_utc, 31);
}

/* The leap indicator is set during the UTC day that the leap second ends. */
static void
test_pending(void)
{
	struct leap_table t;
	struct leap_info li;

	CU_ASSERT_EQUAL_FATAL(load_text(leap_file, &t), 0);
	CU_ASSERT_EQUAL(leap_at(&t, T_20161230, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_NONE);
	CU_ASSERT_EQUAL(leap_at(&t, T_20161231 - 1, &li), 0); /* 2016-12-30T23:59:59Z */
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_NONE);
	CU_ASSERT_EQUAL(leap_at(&t, T_20161231, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_INSERT);
	CU_ASSERT_EQUAL(li.tai_utc, 36);
	CU_ASSERT_EQUAL(leap_at(&t, T_20161231 + 43200, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_INSERT);
	/* 23:59:59, and 23:59:60, which CLOCK_REALTIME shows as 23:59:59 again */
	CU_ASSERT_EQUAL(leap_at(&t, T_20170101 - 1, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_INSERT);
	CU_ASSERT_EQUAL(leap_at(&t, T_20170101, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_NONE);
	/* the first leap second; the 1972-01-01 entry itself is the starting offset, not a leap */
	CU_ASSERT_EQUAL(leap_at(&t, T_19720630, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_INSERT);
	CU_ASSERT_EQUAL(leap_at(&t, T_19720101 - 3600, &li), -ERANGE);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_NONE);
	CU_ASSERT_EQUAL(leap_at(&t, T_20240601, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_NONE);
}

/* No second was ever deleted; a table that deletes one after 2017. */
static void
test_delete(void)
{
	struct leap_table t = {
		.updated = T_20170101,
		.expires = T_20240601 + 86400,
		.n = 2,
		.e = {{T_20170101, 37}, {T_20240601, 36}},
	};
	struct leap_info li;

	CU_ASSERT_EQUAL(leap_at(&t, T_20240601 - 86400 - 1, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_NONE);
	CU_ASSERT_EQUAL(leap_at(&t, T_20240601 - 86400, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_DELETE);
	CU_ASSERT_EQUAL(li.tai_utc, 37);
	/* the day ends at 23:59:58: 23:59:59 never shows on a clock */
	CU_ASSERT_EQUAL(leap_at(&t, T_20240601 - 2, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_DELETE);
	CU_ASSERT_EQUAL(leap_at(&t, T_20240601, &li), 0);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_NONE);
	CU_ASSERT_EQUAL(li.tai_utc, 36);
}

static void
test_expired(void)
{
	struct leap_table t;
	struct leap_info li;

	CU_ASSERT_EQUAL_FATAL(load_text(leap_file, &t), 0);
	CU_ASSERT_FALSE(leap_expired(&t, T_20240601));
	CU_ASSERT_FALSE(leap_expired(&t, t.expires - 1));
	CU_ASSERT_TRUE(leap_expired(&t, t.expires));
	CU_ASSERT_TRUE(leap_expired(&t, 4102444800LL)); /* 2100 */
	/* past the expiry the table still gives its last word */
	CU_ASSERT_EQUAL(leap_at(&t, 4102444800LL, &li), 0);
	CU_ASSERT_EQUAL(li.tai_utc, 37);
	CU_ASSERT_EQUAL(li.leap, NTP_LEAP_NONE);
}

static void
test_bad_hash(void)
{
	struct leap_table t;
	const char *bad;

	/* the last leap a day later: valid in form, but not what was hashed */
	bad = edit(leap_file, "3692217600", "3692304000");
	CU_ASSERT_EQUAL(load_text(bad, &t), -EINVAL);
	CU_ASSERT(error_at(bad, "#h"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "SHA-1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "(hint: "));
	CU_ASSERT_EQUAL(t.n, 0); /* nothing of a rejected file is kept */

	/* a changed expiry is hashed too */
	bad = edit(leap_file, "#@\t3991593600", "#@\t4007404800");
	CU_ASSERT_EQUAL(load_text(bad, &t), -EINVAL);
	CU_ASSERT(error_at(bad, "#h"));

	bad = edit(leap_file, "39b8e49e", "39b8e49f");
	CU_ASSERT_EQUAL(load_text(bad, &t), -EINVAL);
	CU_ASSERT(error_at(bad, "#h"));

	bad = edit(leap_file, " 39b8e49e", "");
	CU_ASSERT_EQUAL(load_text(bad, &t), -EINVAL);
	CU_ASSERT(error_at(bad, "#h"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "five 32-bit hex words"));

	bad = edit(leap_file, "#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49e\n", "");
	CU_ASSERT_EQUAL(load_text(bad, &t), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ": no '#h' hash line"));
}

/* Each damaged line is reported at its line, with a hint. */
static void
test_errors(void)
{
	static const struct {
		const char *from, *to, *at, *what;
	} cases[] = {
		{"10      # 1 Jan 1972", "ten", "2272060800", "expected TAI-UTC"},
		{"2287785600      11", "2287785601      11", "2287785601", "not a UTC midnight"},
		{"2303683200      12", "2272060800      12", "2272060800      12",
		 "not after the previous"},
		{"2335219200      13", "2335219200      14", "2335219200", "changes by 2 s"},
		{"2366755200      14", "2366755200\t14 x", "2366755200", "unexpected 'x'"},
		{"2398291200", "-2398291200", "-2398291200", "expected NTP seconds"},
		{"2429913600", "2429913600000000", "2429913600", "out of range"},
		{"#$\t3960835200", "#$\t3960835200 1", "#$", "unexpected '1'"},
		{"#@\t3991593600\n", "#@\t3991593600\n#@ 3991593600\n", "#@ ", "a second '#@'"},
	};
	struct leap_table t;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *bad = edit(leap_file, cases[i].from, cases[i].to);

		CU_ASSERT_EQUAL(load_text(bad, &t), -EINVAL);
		CU_ASSERT(error_at(bad, cases[i].at));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].what));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "(hint: "));
	}

	CU_ASSERT_EQUAL(load_text(edit(leap_file, "#@\t3991593600\n", ""), &t), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ": no '#@' expiry line (hint: "));
	CU_ASSERT_EQUAL(load_text(edit(leap_file, "#@\t3991593600", "#@\t3960835200"), &t),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "expires before its last update"));

	err[0] = '\0';
	CU_ASSERT_EQUAL(leap_load("/nonexistent/leap-seconds.list", &t, err, sizeof(err)),
			-ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/leap-seconds.list: cannot open: No such file "
				    "or directory");
	CU_ASSERT_EQUAL(leap_load("/", &t, err, sizeof(err)), -EISDIR);
	CU_ASSERT_STRING_EQUAL(err, "/: cannot read: Is a directory (hint: a regular file is "
				    "expected)");
}

/* The copy tzdata installs, when there is one, passes the same checks. */
static void
test_system_file(void)
{
	static const char sys[] = "/usr/share/zoneinfo/leap-seconds.list";
	struct leap_table t;
	struct leap_info li;

	if (access(sys, R_OK) != 0)
		return;
	CU_ASSERT_EQUAL_FATAL(leap_load(sys, &t, err, sizeof(err)), 0);
	CU_ASSERT(t.n >= 28);
	CU_ASSERT_EQUAL(leap_at(&t, T_20240601, &li), 0);
	CU_ASSERT_EQUAL(li.tai_utc, 37);
}

static const struct test_case cases[] = {
	TEST_CASE(test_sha1_vectors),
	TEST_CASE(test_hash_input),
	TEST_CASE(test_load),
	TEST_CASE(test_tai_utc),
	TEST_CASE(test_pending),
	TEST_CASE(test_delete),
	TEST_CASE(test_expired),
	TEST_CASE(test_bad_hash),
	TEST_CASE(test_errors),
	TEST_CASE(test_system_file),
};

CUNIT_MAIN("leap", cases)
