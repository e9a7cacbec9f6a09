/* SPDX-License-Identifier: BSD-3-Clause */
#include "leap.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outbuf.h"

#define DAY 86400

/* Beyond year 33000: a bigger number is a typo, and it keeps the arithmetic far from overflow. */
#define TIME_MAX 999999999999ULL
#define TAI_UTC_MAX 1000

/*
 * The '#h' hash covers the digits of the '#$' and '#@' values and of the
 * first two fields of each data line, in file order, nothing else (the
 * file's own header and ntpd's ntp_leapsec.c). Each number is capped at
 * NUM_DIGITS digits, leading zeros included, so the digit string fits.
 */
#define NUM_DIGITS 20
#define HASH_INPUT ((2 + 2 * LEAP_MAX_ENTRIES) * NUM_DIGITS)

#define HINT_FRESH                                                                                 \
	"use tzdata's /usr/share/zoneinfo/leap-seconds.list or a fresh copy from "                 \
	"https://hpiers.obspm.fr/iers/bul/bulc/ntp/leap-seconds.list"

struct parser {
	const char *path;
	unsigned int line; /* 0 for the whole-file checks */
	char *err;
	size_t errlen;
	char digits[HASH_INPUT];
	size_t ndigits;
};

static uint32_t
rol(uint32_t x, unsigned int n)
{
	return x << n | x >> (32 - n);
}

/* FIPS 180-4 section 6.1.2: one 512-bit block into the state @h */
static void
sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
	unsigned int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void
leap_sha1(const void *data, size_t len, uint8_t digest[20])
{
	uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
	uint64_t bits = (uint64_t)len * 8;
	const uint8_t *p = data;
	uint8_t tail[128];
	size_t n, i;

	for (; len >= 64; p += 64, len -= 64)
		sha1_block(h, p);
	/* FIPS 180-4 section 5.1.1: a one bit, zeros, the length in bits, to a 512-bit boundary */
	memset(tail, 0, sizeof(tail));
	if (len > 0)
		memcpy(tail, p, len);
	tail[len] = 0x80;
	n = len < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	for (i = 0; i < n; i += 64)
		sha1_block(h, tail + i);
	for (i = 0; i < 20; i++)
		digest[i] = (uint8_t)(h[i / 4] >> (24 - 8 * (i % 4)));
}

/* Put "PATH:LINE: message" into the caller's buffer; @return -EINVAL. */
static int fail(const struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(const struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_verror(p->err, p->errlen, p->path, p->line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A decimal number at *@s, at most @max; its digits go to the hash input. */
static int
number(struct parser *p, const char **s, uint64_t max, uint64_t *v, const char *what)
{
	const char *c = *s;
	unsigned int n;

	if (*c < '0' || *c > '9')
		return fail(p,
			    "expected %s, a decimal number (hint: a line is "
			    "'<NTP seconds> <TAI-UTC> # comment')",
			    what);
	*v = 0;
	for (n = 0; *c >= '0' && *c <= '9'; c++, n++) {
		if (n >= NUM_DIGITS || *v > max / 10 || *v * 10 + (uint64_t)(*c - '0') > max)
			return fail(p, "%s out of range (hint: at most %llu)", what,
				    (unsigned long long)max);
		*v = *v * 10 + (uint64_t)(*c - '0');
		/* bounded: two header numbers and two per entry, NUM_DIGITS each */
		assert(p->ndigits < sizeof(p->digits));
		p->digits[p->ndigits++] = *c;
	}
	*s = c;
	return 0;
}

/* Only blanks, or blanks and a comment, may follow the fields of a line. */
static int
line_end(struct parser *p, const char *s, int comment_ok)
{
	size_t n;

	s = skip_space(s);
	if (*s == '\0' || *s == '\r' || *s == '\n' || (comment_ok && *s == '#'))
		return 0;
	n = strcspn(s, " \t\r\n#");
	return fail(p, "unexpected '%.*s' (hint: a comment starts with '#')", n < 20 ? (int)n : 20,
		    s);
}

/* '#$' or '#@': one number of seconds since 1900, the NTP prime epoch */
static int
header_time(struct parser *p, const char *s, int64_t *t, const char *what)
{
	uint64_t v;
	int err;

	if (*t != INT64_MIN)
		return fail(p, "a second '%.2s' line (hint: a file has one %s)", s, what);
	s = skip_space(s + 2);
	err = number(p, &s, TIME_MAX, &v, what);
	if (err == 0)
		err = line_end(p, s, 0);
	if (err == 0)
		*t = (int64_t)v - NTP_UNIX_OFFSET;
	return err;
}

/* '#h': five 32-bit words in hex, as the IERS and NIST print them (leading zeros may be gone) */
static int
header_hash(struct parser *p, const char *s, uint32_t h[5])
{
	unsigned int i, n;

	s += 2;
	for (i = 0; i < 5; i++) {
		s = skip_space(s);
		h[i] = 0;
		for (n = 0; n < 9; n++, s++) {
			if (*s >= '0' && *s <= '9')
				h[i] = h[i] << 4 | (uint32_t)(*s - '0');
			else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
				h[i] = h[i] << 4 | (uint32_t)((*s | 0x20) - 'a' + 10);
			else
				break;
		}
		if (n == 0 || n > 8)
			return fail(p,
				    "expected five 32-bit hex words after '#h' (hint: " HINT_FRESH
				    ")");
	}
	return line_end(p, s, 0);
}

/* "<NTP seconds> <TAI-UTC> # comment": one change of TAI - UTC, at a UTC midnight */
static int
data_line(struct parser *p, const char *s, struct leap_table *t)
{
	struct leap_entry *prev = t->n > 0 ? &t->e[t->n - 1] : NULL;
	uint64_t when, tai;
	int64_t step;
	int err;

	if (t->n >= LEAP_MAX_ENTRIES)
		return fail(p, "more than %d entries (hint: is this a leap-seconds.list file?)",
			    LEAP_MAX_ENTRIES);
	err = number(p, &s, TIME_MAX, &when, "NTP seconds");
	if (err != 0)
		return err;
	if (*s != ' ' && *s != '\t')
		return fail(p, "expected blanks after the NTP seconds (hint: a line is "
			       "'<NTP seconds> <TAI-UTC> # comment')");
	s = skip_space(s);
	err = number(p, &s, TAI_UTC_MAX, &tai, "TAI-UTC");
	if (err == 0)
		err = line_end(p, s, 1);
	if (err != 0)
		return err;
	/* the IERS schedules leap seconds only at the end of a UTC day (ITU-R TF.460-6) */
	if (when % DAY != 0)
		return fail(p,
			    "%llu is not a UTC midnight (hint: NTP seconds since 1900, a "
			    "multiple of 86400)",
			    (unsigned long long)when);
	if (prev != NULL && (int64_t)when - NTP_UNIX_OFFSET <= prev->when)
		return fail(p,
			    "%llu is not after the previous entry (hint: entries are in time "
			    "order)",
			    (unsigned long long)when);
	step = prev != NULL ? (int64_t)tai - prev->tai_utc : 1;
	if (step != 1 && step != -1)
		return fail(p,
			    "TAI-UTC changes by %lld s (hint: each entry is one leap second, "
			    "+1 or -1)",
			    (long long)step);
	t->e[t->n].when = (int64_t)when - NTP_UNIX_OFFSET;
	t->e[t->n].tai_utc = (int32_t)tai;
	t->n++;
	return 0;
}

static int
parse(struct parser *p, FILE *f, struct leap_table *t)
{
	uint32_t want[5] = {0}, got[5];
	unsigned int hash_line = 0, i;
	uint8_t digest[20];
	char *line = NULL;
	size_t cap = 0;
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->updated = INT64_MIN;
	t->expires = INT64_MIN;
	while (err == 0 && getline(&line, &cap, f) >= 0) {
		const char *s = skip_space(line);

		p->line++;
		if (*s == '\0' || *s == '\n' || *s == '\r')
			continue;
		if (strncmp(s, "#$", 2) == 0) {
			err = header_time(p, s, &t->updated, "last update");
		} else if (strncmp(s, "#@", 2) == 0) {
			err = header_time(p, s, &t->expires, "expiry");
		} else if (strncmp(s, "#h", 2) == 0) {
			if (hash_line != 0)
				err = fail(p, "a second '#h' line (hint: a file has one hash)");
			else
				err = header_hash(p, s, want);
			hash_line = p->line;
		} else if (*s != '#') {
			err = data_line(p, s, t);
		}
	}
	free(line);
	if (err != 0)
		return err;
	if (ferror(f)) {
		err = -errno;
		fail(p, "cannot read: %s (hint: a regular file is expected)", strerror(-err));
		return err;
	}

	p->line = 0;
	if (t->updated == INT64_MIN)
		return fail(p, "no '#$' last-update line (hint: " HINT_FRESH ")");
	if (t->expires == INT64_MIN)
		return fail(p, "no '#@' expiry line (hint: " HINT_FRESH ")");
	if (t->expires <= t->updated)
		return fail(p, "expires before its last update (hint: " HINT_FRESH ")");
	if (t->n == 0)
		return fail(p, "no leap second entries (hint: " HINT_FRESH ")");
	if (hash_line == 0)
		return fail(p,
			    "no '#h' hash line: the data cannot be checked (hint: " HINT_FRESH ")");

	leap_sha1(p->digits, p->ndigits, digest);
	for (i = 0; i < 5; i++)
		got[i] = (uint32_t)digest[4 * i] << 24 | (uint32_t)digest[4 * i + 1] << 16 |
			 (uint32_t)digest[4 * i + 2] << 8 | digest[4 * i + 3];
	if (memcmp(got, want, sizeof(got)) != 0) {
		p->line = hash_line;
		return fail(p,
			    "SHA-1 of the data is %08x %08x %08x %08x %08x, not the hash given "
			    "(hint: the file is damaged or was edited; " HINT_FRESH ")",
			    got[0], got[1], got[2], got[3], got[4]);
	}
	return 0;
}

int
leap_load(const char *path, struct leap_table *t, char *err, size_t errlen)
{
	struct parser p = {.path = path, .err = err, .errlen = errlen};
	FILE *f;
	int ret;

	/* "e": O_CLOEXEC, so the file does not leak into stratad's children */
	f = fopen(path, "re");
	if (f == NULL) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	ret = parse(&p, f, t);
	if (ret != 0)
		memset(t, 0, sizeof(*t));
	fclose(f);
	return ret;
}

/*
 * The leap indicator is set from 00:00:00 UTC of the day that ends with the
 * leap until the leap itself. RFC 5905 section 7.3 says "in the last minute
 * of the current month", figure 9 "last minute of the day"; clients differ:
 * the Linux kernel (adjtimex STA_INS, kernel/time/ntp.c) and chrony apply
 * it at the end of the current UTC day, so announcing a whole month early
 * would make them leap a month early. Announcing on the last day only is
 * correct under both readings; chrony (reference.c is_leap_second_day())
 * and ntpd 4.2.8 (ntp_leapsec.c, LSPROX_ANNOUNCE in the last day) do the
 * same. During an inserted second CLOCK_REALTIME repeats
 * the day's last second, which still counts as before the leap.
 */
int
leap_at(const struct leap_table *t, int64_t unix_sec, struct leap_info *out)
{
	unsigned int i;

	out->tai_utc = 0;
	out->leap = NTP_LEAP_NONE;
	if (t->n == 0 || unix_sec < t->e[0].when)
		return -ERANGE;
	for (i = 0; i + 1 < t->n && t->e[i + 1].when <= unix_sec; i++)
		;
	out->tai_utc = t->e[i].tai_utc;
	if (i + 1 < t->n && unix_sec >= t->e[i + 1].when - DAY)
		out->leap =
			t->e[i + 1].tai_utc > t->e[i].tai_utc ? NTP_LEAP_INSERT : NTP_LEAP_DELETE;
	return 0;
}

int
leap_expired(const struct leap_table *t, int64_t unix_sec)
{
	return unix_sec >= t->expires;
}

/*
 * The last day of June or December. ITU-R TF.460-6 (annex 1, D.2.1) puts a
 * leap second at the end of a month, first choice December and June; the
 * IERS has used no other, and chrony takes its sources' leap bits on these
 * two days only (reference.c is_leap_second_day()).
 */
static int
june_december_end(int64_t unix_sec)
{
	time_t t = (time_t)unix_sec;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	return (tm.tm_mon == 5 && tm.tm_mday == 30) || (tm.tm_mon == 11 && tm.tm_mday == 31);
}

/* Insert at the midnight (23:59:59 repeats); delete at 23:59:59, which never shows. */
static int64_t
step_time(int leap, int64_t midnight)
{
	return leap == NTP_LEAP_DELETE ? midnight - 1 : midnight;
}

/*
 * Who announces a leap second, on which day, and when strata steps:
 * - a current leapfile alone: it names the day, any day, and says "none"
 *   as surely as it says "insert" (upstream bits against it are ignored);
 * - otherwise the upstreams' majority, believed only on 30 June and
 *   31 December: bits on any other day (a broken or hostile majority, or a
 *   server that announces a whole month ahead) never move the clock;
 * - once the leap day's announcement is heard it stands while the
 *   upstreams fall silent (holdover) and during the last LEAP_CLOSE
 *   seconds, where an upstream that applied the leap a moment before us
 *   already votes "none" (chrony keeps its leap status near the leap too);
 * - a step missed by a late tick is made at the next one, up to LEAP_LATE
 *   seconds after the instant;
 * - never twice: a leap whose midnight is @done is not announced again,
 *   though the upstreams' bits linger after it and strata's clock, stepped
 *   back, reads 23:59:59 of the leap day once more.
 * The result is served only during the leap day, as leap_at() explains.
 */
#define LEAP_CLOSE 10
#define LEAP_LATE 2

struct leap_decision
leap_decide(const struct leap_table *t, int64_t now, int vote, const struct leap_decision *prev,
	    int64_t done)
{
	struct leap_decision d = {.leap = NTP_LEAP_NONE};
	int64_t prev_at = step_time(prev->leap, prev->midnight);
	struct leap_info li;

	/* floor division: a clock before 1970 is nonsense, but not undefined */
	d.midnight = (now >= 0 ? now / DAY : (now - DAY + 1) / DAY) * DAY + DAY;
	if (prev->leap != NTP_LEAP_NONE && prev->midnight > done && now >= prev_at &&
	    now < prev_at + LEAP_LATE)
		return (struct leap_decision){prev->leap, prev->midnight, prev_at};
	if (t != NULL && !leap_expired(t, now)) {
		if (leap_at(t, now, &li) == 0)
			d.leap = li.leap;
	} else if (prev->leap != NTP_LEAP_NONE && prev->midnight == d.midnight &&
		   (vote == LEAP_NO_VOTE || now >= d.midnight - LEAP_CLOSE)) {
		d.leap = prev->leap;
	} else if ((vote == NTP_LEAP_INSERT || vote == NTP_LEAP_DELETE) && june_december_end(now)) {
		d.leap = vote;
	}
	if (d.midnight <= done)
		d.leap = NTP_LEAP_NONE;
	d.step_at = step_time(d.leap, d.midnight);
	return d;
}
