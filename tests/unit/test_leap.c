/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The leap-seconds.list reader (stratad/leap.c): SHA-1 test vectors, the
 * file's hash, TAI - UTC, the leap indicator around 2016-12-31T23:59:60Z,
 * expiry, and the errors a damaged file gives. Then leap_decide() driven
 * tick by tick through whole simulated years, as stratad's leap_second()
 * drives it, with upstreams that announce for a month, on random days, or
 * not at all, and with a current, an expired or no leapfile.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
#define T_20160101 1451606400LL
#define T_20160601 1464739200LL
#define T_20161201 1480550400LL
#define T_20240501 1714521600LL
#define T_20260628 1782604800LL
#define T_20270101 1798761600LL
#define T_20270601 1811808000LL
#define T_20270630 1814313600LL
#define T_20270701 1814400000LL
#define T_20280101 1830297600LL
#define T_20280628 1845763200LL
#define DAY 86400

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

/*
 * A simulated stretch of time through leap_decide(), wired as stratad's
 * leap_second() wires it: a tick 32 times a second (every 60 s away from a
 * UTC midnight, which changes nothing), the snapshot's leap indicator from
 * the decision, and a step of one second when the step is due before the
 * next tick. Time is counted in SI seconds from the start, x; "true" is what
 * a correct clock shows (CLOCK_REALTIME, which repeats 23:59:59 during an
 * inserted second), "ours" what strata's clock shows. Both start equal, and
 * every value here is a multiple of 1/32 s, exact in a double.
 */
#define TICK (1.0 / 32)
#define MAX_STEPS 64
#define MAX_DAYS 400

struct sim {
	const char *name;
	const struct leap_table *file; /* the leapfile, NULL without one */
	int64_t from, to;	       /* true Unix seconds simulated */
	int64_t real_leap;	       /* the midnight a real leap ends, 0 without one */
	int real_kind;		       /* NTP_LEAP_INSERT or _DELETE */
	/* the upstreams' majority at true second @t */
	int (*vote)(const struct sim *s, int64_t t);
	double gap_from, gap_to; /* true seconds without ticks (a late publish), else 0 */
	/* the outcome */
	unsigned int steps;
	double step_ours[MAX_STEPS]; /* our clock when stepped */
	double step_x[MAX_STEPS];    /* the time then */
	int step_by[MAX_STEPS];
	double served_s; /* how long the leap indicator was served in all */
	unsigned int served_days;
	int64_t served_day[MAX_DAYS]; /* true UTC days with the leap indicator served */
	int64_t served_first, served_last;
	double end_error; /* ours - true at the end */
};

/* The true clock at continuous time @x: a real leap moves it against x. */
static double
true_clock(const struct sim *s, double x)
{
	if (s->real_leap == 0)
		return x;
	if (s->real_kind == NTP_LEAP_INSERT)
		return x >= (double)s->real_leap ? x - 1 : x;
	return x >= (double)s->real_leap - 1 ? x + 1 : x;
}

/* @t as UTC; @leap60 shows the second as 60, an inserted one */
static void
fmt_time(char *buf, size_t len, double t, int leap60)
{
	time_t sec = (time_t)floor(t);
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), "%02d", leap60 ? 60 : tm.tm_sec);
	if (t != floor(t))
		snprintf(buf + strlen(buf), len - strlen(buf), ".%03d",
			 (int)((t - floor(t)) * 1000));
	snprintf(buf + strlen(buf), len - strlen(buf), "Z");
}

/* the true clock at @x, as a person reads it */
static void
fmt_true(char *buf, size_t len, const struct sim *s, double x)
{
	int in_leap = s->real_leap != 0 && s->real_kind == NTP_LEAP_INSERT &&
		      x >= (double)s->real_leap && x < (double)s->real_leap + 1;

	fmt_time(buf, len, true_clock(s, x), in_leap);
}

static void
served(struct sim *s, int64_t t)
{
	int64_t day = t / DAY * DAY;

	if (s->served_days == 0)
		s->served_first = t;
	s->served_last = t;
	if (s->served_days > 0 && s->served_day[s->served_days - 1] == day)
		return;
	if (s->served_days < MAX_DAYS)
		s->served_day[s->served_days++] = day;
}

static void
run_sim(struct sim *s)
{
	struct leap_decision prev = {.leap = NTP_LEAP_NONE}, dec;
	double x = (double)s->from, off = 0, ours, wait, next;
	int64_t done = 0, mid;
	char a[40], b[40];
	unsigned int i;

	s->steps = 0;
	s->served_s = 0;
	s->served_days = 0;
	while (x < (double)s->to) {
		int64_t now_true = (int64_t)floor(true_clock(s, x));

		ours = x + off;
		dec = leap_decide(s->file, (int64_t)floor(ours), s->vote(s, now_true), &prev, done);
		prev = dec;
		wait = (double)dec.step_at - ours;
		if (dec.leap != NTP_LEAP_NONE && wait <= TICK) {
			if (wait > 0) { /* stratad sleeps until the instant */
				x += wait;
				ours = (double)dec.step_at;
			}
			if (s->steps < MAX_STEPS) {
				s->step_ours[s->steps] = ours;
				s->step_x[s->steps] = x;
				s->step_by[s->steps] = dec.leap == NTP_LEAP_INSERT ? -1 : 1;
			}
			s->steps++;
			off += dec.leap == NTP_LEAP_INSERT ? -1 : 1;
			done = dec.midnight;
			prev.leap = NTP_LEAP_NONE;
		}
		/* what publish() then puts in the snapshot, until the next tick */
		if (prev.leap != NTP_LEAP_NONE)
			served(s, now_true);
		/* the next tick: 32 a second within 3 s of a midnight of our clock */
		ours = x + off;
		mid = (int64_t)floor(ours / DAY + 0.5) * DAY;
		if (fabs(ours - (double)mid) <= 3)
			next = x + TICK;
		else if (ours < (double)mid)
			next = x + fmin(60, (double)mid - 3 - ours);
		else
			next = x + fmin(60, (double)(mid + DAY) - 3 - ours);
		if (s->gap_to > s->gap_from && next > s->gap_from && next < s->gap_to)
			next = s->gap_to;
		if (prev.leap != NTP_LEAP_NONE)
			s->served_s += next - x;
		x = next;
	}
	s->end_error = x + off - true_clock(s, x);

	/* what a failing run shows */
	printf("\n    %s: %u step(s)", s->name, s->steps);
	for (i = 0; i < s->steps && i < 4; i++) {
		fmt_time(a, sizeof(a), s->step_ours[i], 0);
		fmt_true(b, sizeof(b), s, s->step_x[i]);
		printf("%s %+d s at %s (true %s)", i == 0 ? ":" : ",", s->step_by[i], a, b);
	}
	printf("%s; leap bits served for %.2f days in all, on %u UTC day(s)",
	       s->steps > 4 ? ", ..." : "", s->served_s / DAY, s->served_days);
	if (s->served_days > 0) {
		fmt_time(a, sizeof(a), (double)s->served_first, 0);
		fmt_time(b, sizeof(b), (double)s->served_last, 0);
		printf(" from %s to %s", a, b);
	}
	printf("; clock off by %+.3f s at the end\n    ", s->end_error);
}

/* Exactly the real leap: one step at its instant, bits on its last day only. */
static void
assert_one_leap(const struct sim *s)
{
	double at = (double)s->real_leap - (s->real_kind == NTP_LEAP_DELETE ? 1 : 0);

	CU_ASSERT_EQUAL(s->steps, 1);
	if (s->steps >= 1) {
		CU_ASSERT_EQUAL(s->step_by[0], s->real_kind == NTP_LEAP_INSERT ? -1 : 1);
		/* at the instant, unless the publish was late: then at the next tick */
		if (s->gap_to <= s->gap_from) {
			CU_ASSERT_DOUBLE_EQUAL(s->step_ours[0], at, 1e-9);
			CU_ASSERT_DOUBLE_EQUAL(s->step_x[0], at, 1e-9);
		}
	}
	CU_ASSERT_EQUAL(s->served_days, 1);
	CU_ASSERT_EQUAL(s->served_day[0], s->real_leap - DAY);
	CU_ASSERT(s->served_last < s->real_leap);
	CU_ASSERT_DOUBLE_EQUAL(s->end_error, 0, 1e-9);
}

static void
assert_no_leap(const struct sim *s)
{
	CU_ASSERT_EQUAL(s->steps, 0);
	CU_ASSERT_EQUAL(s->served_days, 0);
	CU_ASSERT_DOUBLE_EQUAL(s->end_error, 0, 1e-9);
}

/* No step; the bits only from @from to before @to. */
static void
assert_no_leap_but_served(const struct sim *s, int64_t from, int64_t to)
{
	CU_ASSERT_EQUAL(s->steps, 0);
	CU_ASSERT_EQUAL(s->served_days, 1);
	CU_ASSERT_EQUAL(s->served_first, from);
	CU_ASSERT(s->served_last < to);
	CU_ASSERT(s->served_last >= to - 60);
	CU_ASSERT_DOUBLE_EQUAL(s->end_error, 0, 1e-9);
}

/* Upstreams that announce an insertion for the whole of June, and for 10 min after the leap. */
static int
vote_june(const struct sim *s, int64_t t)
{
	(void)s;
	return t >= T_20270601 && t < T_20270701 + 600 ? NTP_LEAP_INSERT : NTP_LEAP_NONE;
}

/* The same for December 2016, before the leap that ended it. */
static int
vote_dec2016(const struct sim *s, int64_t t)
{
	(void)s;
	return t >= T_20161201 && t < T_20170101 + 600 ? NTP_LEAP_INSERT : NTP_LEAP_NONE;
}

static int
vote_none(const struct sim *s, int64_t t)
{
	(void)s;
	(void)t;
	return NTP_LEAP_NONE;
}

/*
 * Spurious announcements: 40 stretches of 1 to 40 hours starting on random
 * days of the simulated year, fixed seed, as a broken or malicious majority
 * might send them. None covers 30 June or 31 December.
 */
#define N_SPURIOUS 40
static int64_t spur_from[N_SPURIOUS], spur_to[N_SPURIOUS];
static int spur_kind[N_SPURIOUS];

static void
make_spurious(int64_t year_start, uint32_t seed)
{
	unsigned int i = 0;

	while (i < N_SPURIOUS) {
		int64_t from, to;
		time_t d;
		struct tm tm;

		seed = seed * 1664525u + 1013904223u; /* Numerical Recipes' LCG */
		from = year_start + (int64_t)(seed >> 8) % (365 * DAY);
		seed = seed * 1664525u + 1013904223u;
		to = from + 3600 * (1 + (int64_t)(seed >> 8) % 40);
		/* keep clear of the two days on which a leap may end */
		for (d = (time_t)from; d < (time_t)to + DAY; d += DAY) {
			gmtime_r(&d, &tm);
			if ((tm.tm_mon == 5 && tm.tm_mday == 30) ||
			    (tm.tm_mon == 11 && tm.tm_mday == 31))
				break;
		}
		if (d < (time_t)to + DAY)
			continue;
		spur_from[i] = from;
		spur_to[i] = to;
		spur_kind[i] = seed & 0x100 ? NTP_LEAP_INSERT : NTP_LEAP_DELETE;
		i++;
	}
}

static int
vote_spurious(const struct sim *s, int64_t t)
{
	unsigned int i;

	(void)s;
	for (i = 0; i < N_SPURIOUS; i++)
		if (t >= spur_from[i] && t < spur_to[i])
			return spur_kind[i];
	return NTP_LEAP_NONE;
}

static int
vote_spurious_june(const struct sim *s, int64_t t)
{
	int v = vote_spurious(s, t);

	return v != NTP_LEAP_NONE ? v : vote_june(s, t);
}

/* Announced in June; on the leap day the upstreams are lost from 20:00 (holdover). */
static int
vote_june_then_lost(const struct sim *s, int64_t t)
{
	if (t >= T_20270630 + 20 * 3600 && t < T_20270701 + 3600)
		return LEAP_NO_VOTE;
	return vote_june(s, t);
}

/* Announced in June; the upstreams stop 5 s before the leap (their clocks are ahead). */
static int
vote_june_early_end(const struct sim *s, int64_t t)
{
	return t >= T_20270701 - 5 ? NTP_LEAP_NONE : vote_june(s, t);
}

/* Announced on 30 June until noon, then withdrawn by upstreams still synchronised. */
static int
vote_withdrawn(const struct sim *s, int64_t t)
{
	(void)s;
	return t >= T_20270630 && t < T_20270630 + 12 * 3600 ? NTP_LEAP_INSERT : NTP_LEAP_NONE;
}

/* A leapfile loaded from the test excerpt: current until 2026-06-28. */
static struct leap_table file_2026;
/* The same entries, as an edition current until 2028-06-28 would have them. */
static struct leap_table file_2028;

static void
load_files(void)
{
	CU_ASSERT_EQUAL_FATAL(load_text(leap_file, &file_2026), 0);
	CU_ASSERT_EQUAL_FATAL(file_2026.expires, T_20260628);
	file_2028 = file_2026;
	file_2028.expires = T_20280628;
}

/* No leapfile: the June announcement gives one insertion, at 2027-07-01T00:00:00Z. */
static void
test_year_upstream(void)
{
	struct sim s = {.name = "2027, no leapfile, upstreams announce all June",
			.from = T_20270101,
			.to = T_20280101,
			.real_leap = T_20270701,
			.real_kind = NTP_LEAP_INSERT,
			.vote = vote_june};

	load_files();
	run_sim(&s);
	assert_one_leap(&s);

	/* an expired leapfile is no leapfile */
	s.name = "2027, leapfile expired 2026-06-28, upstreams announce all June";
	s.file = &file_2026;
	run_sim(&s);
	assert_one_leap(&s);

	/* upstreams lost on the leap day: what they said that day stands */
	s.name = "2027, no leapfile, announced in June, upstreams lost at 20:00 on 30 June";
	s.file = NULL;
	s.vote = vote_june_then_lost;
	run_sim(&s);
	assert_one_leap(&s);

	/* an upstream that leapt a moment early does not cancel it */
	s.name = "2027, no leapfile, announced in June, upstreams stop 5 s before the leap";
	s.vote = vote_june_early_end;
	run_sim(&s);
	assert_one_leap(&s);

	/* withdrawn on the day: nothing happens, and the bits stop when withdrawn */
	s.name = "2027, no leapfile, announced on 30 June until noon, then withdrawn";
	s.vote = vote_withdrawn;
	s.real_leap = 0;
	run_sim(&s);
	assert_no_leap_but_served(&s, T_20270630, T_20270630 + 12 * 3600);
}

/* A current leapfile that has no leap in 2027 outvotes the upstreams. */
static void
test_year_file_says_none(void)
{
	struct sim s = {
		.name = "2027, current leapfile without a leap, upstreams announce all June",
		.file = &file_2028,
		.from = T_20270101,
		.to = T_20280101,
		.vote = vote_june};

	load_files();
	run_sim(&s);
	assert_no_leap(&s);

	make_spurious(T_20270101, 12);
	s.name = "2027, current leapfile without a leap, spurious votes on random days";
	s.vote = vote_spurious_june;
	run_sim(&s);
	assert_no_leap(&s);
}

/* Spurious announcements on other days never step the clock. */
static void
test_year_spurious(void)
{
	struct sim s = {.name = "2027, no leapfile, spurious votes on random days",
			.from = T_20270101,
			.to = T_20280101,
			.vote = vote_spurious};

	make_spurious(T_20270101, 12);
	run_sim(&s);
	assert_no_leap(&s);

	s.name = "2027, no leapfile, spurious votes and the June announcement";
	s.real_leap = T_20270701;
	s.real_kind = NTP_LEAP_INSERT;
	s.vote = vote_spurious_june;
	run_sim(&s);
	assert_one_leap(&s);
}

/* 2016 ended with a real leap second: from the leapfile, from the upstreams, or both. */
static void
test_year_2016(void)
{
	struct sim s = {.name = "2016, current leapfile, upstreams silent",
			.file = &file_2026,
			.from = T_20160101,
			.to = T_20170101 + 30 * DAY,
			.real_leap = T_20170101,
			.real_kind = NTP_LEAP_INSERT,
			.vote = vote_none};

	load_files();
	run_sim(&s);
	assert_one_leap(&s);

	make_spurious(T_20160101, 2016);
	s.name = "2016, current leapfile, spurious votes on random days";
	s.vote = vote_spurious;
	run_sim(&s);
	assert_one_leap(&s);

	s.name = "2016, no leapfile, upstreams announce all December";
	s.file = NULL;
	s.vote = vote_dec2016;
	run_sim(&s);
	assert_one_leap(&s);

	/* a publish late by 0.5 s over the instant: the step is made at the next tick */
	s.name = "2016, current leapfile, no tick from 0.25 s before to 0.25 s after the leap";
	s.file = &file_2026;
	s.vote = vote_none;
	s.gap_from = (double)T_20170101 - 0.25;
	s.gap_to = (double)T_20170101 + 0.25;
	run_sim(&s);
	assert_one_leap(&s);
	CU_ASSERT_DOUBLE_EQUAL(s.step_x[0], s.gap_to, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(s.step_ours[0], s.gap_to, 1e-9);
}

/*
 * A deleted second, on a date only the leapfile names (the last day of May
 * 2024): 23:59:59 never shows, so the clock steps forward at 23:59:59.
 */
static void
test_year_delete(void)
{
	struct leap_table t = {
		.updated = T_20170101,
		.expires = T_20240601 + 30 * DAY,
		.n = 2,
		.e = {{T_20170101, 37}, {T_20240601, 36}},
	};
	struct sim s = {.name = "2024, a leapfile deletes a second at the end of May",
			.file = &t,
			.from = T_20240501,
			.to = T_20240601 + 20 * DAY,
			.real_leap = T_20240601,
			.real_kind = NTP_LEAP_DELETE,
			.vote = vote_none};

	run_sim(&s);
	assert_one_leap(&s);
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
	TEST_CASE(test_year_upstream),
	TEST_CASE(test_year_file_says_none),
	TEST_CASE(test_year_spurious),
	TEST_CASE(test_year_2016),
	TEST_CASE(test_year_delete),
};

CUNIT_MAIN("leap", cases)
