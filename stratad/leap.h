/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The leap-seconds.list file of the IERS (and IETF, NIST, tzdata): when
 * TAI - UTC changed, when the file expires, and a SHA-1 hash of its data.
 * It answers what the server announces (RFC 5905 section 7.3, the leap
 * indicator) and the TAI - UTC offset a PHC on PTP's TAI timescale needs.
 *
 * Times in this API are Unix seconds (CLOCK_REALTIME's tv_sec), which carry
 * no era. The file counts seconds since 1900 without wrapping at 2036, so
 * they are read as 64-bit numbers and never need an NTP era pivot.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <strata/ntp.h>

/* 28 entries from 1972 to 2017; room for many decades more */
#define LEAP_MAX_ENTRIES 64

struct leap_entry {
	int64_t when;	 /* Unix time from which tai_utc holds: a UTC midnight */
	int32_t tai_utc; /* TAI - UTC in seconds from then on */
};

struct leap_table {
	int64_t updated; /* Unix time of the last update (the '#$' line) */
	int64_t expires; /* Unix time the file expires (the '#@' line) */
	unsigned int n;	 /* entries, in time order, at least one */
	struct leap_entry e[LEAP_MAX_ENTRIES];
};

/* What the table says about one second. */
struct leap_info {
	int32_t tai_utc; /* TAI - UTC during that second */
	uint8_t leap;	 /* NTP_LEAP_NONE, _INSERT or _DELETE: a leap ends this UTC day */
};

/*
 * Load and check the file at @path into @t: syntax, time order, one second
 * per leap, and the '#h' SHA-1 hash. On error "PATH:LINE: what (hint)" goes
 * to @err. @return 0, -EINVAL for a bad file, or -errno when unreadable.
 */
int leap_load(const char *path, struct leap_table *t, char *err, size_t errlen);

/*
 * TAI - UTC at Unix time @unix_sec and whether a leap second ends its UTC
 * day. Past the expiry the answer is the table's last word: check
 * leap_expired(). @return 0, or -ERANGE before the first entry (UTC before
 * 1972 had no whole-second offset from TAI), with @out zeroed.
 */
int leap_at(const struct leap_table *t, int64_t unix_sec, struct leap_info *out);

/* 1 when @unix_sec is at or past the file's expiry, else 0. */
int leap_expired(const struct leap_table *t, int64_t unix_sec);

/* The upstreams' vote when they give none: not synchronised (holdover, no survivors). */
#define LEAP_NO_VOTE (-1)

/* leap_decide()'s answer: what the server announces and when it steps. */
struct leap_decision {
	int leap;	  /* NTP_LEAP_NONE, _INSERT or _DELETE: the leap indicator to serve */
	int64_t midnight; /* the UTC midnight that ends the current day */
	int64_t step_at;  /* Unix time of the one-second step, when leap is set */
};

/*
 * The leap second at Unix second @now of strata's clock: from the leapfile
 * @t while it is current (NULL without one), else from the upstreams'
 * majority @vote (NTP_LEAP_* or LEAP_NO_VOTE), believed on 30 June and
 * 31 December only. @prev is the previous answer (only its leap and
 * midnight are read) and @done the midnight of the last leap applied, 0
 * before any: a leap is never announced or stepped twice. The leap is set
 * during the leap day only. Pure: no clock is read and nothing logged.
 */
struct leap_decision leap_decide(const struct leap_table *t, int64_t now, int vote,
				 const struct leap_decision *prev, int64_t done);

/* SHA-1 (FIPS 180-4) of @len bytes, as the file's '#h' line uses it; exported for tests. */
void leap_sha1(const void *data, size_t len, uint8_t digest[20]);
