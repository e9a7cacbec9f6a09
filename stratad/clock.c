/* SPDX-License-Identifier: BSD-3-Clause */
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

#include <strata/ntp.h>

/* RFC 5905 section 11.1: PHI, the dispersion growth of a free clock */
#define PHI_PPM 15.0

static uint64_t
ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

/*
 * CLOCK_REALTIME read between two CLOCK_MONOTONIC readings; of a few tries
 * the tightest pair wins (the pairing chrony and phc2sys use to compare
 * clocks). The monotonic midpoint is the instant of the real-time reading.
 */
static int
sample(uint64_t *mono, struct timespec *real)
{
	uint64_t best = UINT64_MAX;
	int i;

	for (i = 0; i < 5; i++) {
		struct timespec a, r, b;

		if (clock_gettime(CLOCK_MONOTONIC, &a) != 0 || clock_gettime(CLOCK_REALTIME, &r) != 0 ||
		    clock_gettime(CLOCK_MONOTONIC, &b) != 0)
			return -errno;
		if (ts_ns(&b) - ts_ns(&a) < best) {
			best = ts_ns(&b) - ts_ns(&a);
			*mono = ts_ns(&a) + best / 2;
			*real = r;
		}
	}
	return 0;
}

int
clock_fill(const struct cfg *c, struct snap_slot *sl, struct clock_report *r)
{
	struct snap_server *srv = &sl->srv;
	struct snap_map *m = &sl->map[SNAP_SCALE_MONO];
	struct timex tx;
	struct timespec real = {0, 0};
	uint64_t mono = 0;
	__u64 now;
	int state = TIME_ERROR, synced = 0, err;

	memset(sl, 0, sizeof(*sl));
	err = sample(&mono, &real);
	if (err != 0)
		return err;
	now = ntp_from_unix(real.tv_sec, (__u32)real.tv_nsec, NULL);

	/*
	 * CLOCK_MONOTONIC runs at the rate of CLOCK_REALTIME: both follow the
	 * kernel's frequency discipline and differ only by steps. So the map is
	 * 1 ns per tick, re-anchored at every publish to follow steps.
	 */
	err = snap_map_set_rate(m, NSEC_PER_SEC, 0.0);
	if (err != 0)
		return err;
	m->local_base = mono;
	m->ntp_base = now;
	m->flags = SNAP_MAP_VALID;

	r->mono_ns = mono;
	r->est_error_ns = -1;
	r->max_error_ns = -1;
	if (c->refclock_system) {
		memset(&tx, 0, sizeof(tx));
		state = adjtimex(&tx);
		if (state >= 0) {
			r->est_error_ns = (int64_t)tx.esterror * 1000;
			r->max_error_ns = (int64_t)tx.maxerror * 1000;
			synced = state != TIME_ERROR && !(tx.status & STA_UNSYNC);
		}
	}

	srv->precision = -20; /* clock_gettime resolution is ns; reading costs ~1 us */
	srv->ref_time = now;
	srv->disp_base = now;
	srv->disp_rate = snap_disp_rate_from_ppm(PHI_PPM);
	srv->flags = SNAP_SRV_UNSYNC_AFTER;
	srv->unsync_after = now + ((__u64)CLOCK_STALE_SECONDS << 32);

	if (synced) {
		/*
		 * The kernel's maximum error is the bound its discipline keeps
		 * (chrony sets it to root delay / 2 + root dispersion), so it
		 * serves as our root dispersion, with no root delay.
		 */
		srv->leap = state == TIME_INS ? NTP_LEAP_INSERT
			    : state == TIME_DEL ? NTP_LEAP_DELETE
						: NTP_LEAP_NONE;
		srv->stratum = 1;
		memcpy(&srv->refid, "SYS\0", 4);
		srv->root_disp = ntp_short_from_ns((uint64_t)r->max_error_ns);
		snprintf(r->source, sizeof(r->source), "refclock system");
	} else if (c->local_stratum > 0) {
		srv->leap = NTP_LEAP_NONE;
		srv->stratum = (__u8)c->local_stratum;
		srv->refid = strata_htonl(CLOCK_REFID_LOCAL);
		snprintf(r->source, sizeof(r->source), "local stratum %d%s", c->local_stratum % 100,
			 c->refclock_system ? " (system unsynced)" : "");
	} else {
		/* RFC 5905 section 7.3: leap 3 and stratum 16 until synchronized */
		srv->leap = NTP_LEAP_UNSYNC;
		srv->stratum = NTP_STRATUM_UNSYNC;
		srv->refid = 0;
		if (r->max_error_ns >= 0)
			srv->root_disp = ntp_short_from_ns((uint64_t)r->max_error_ns);
		snprintf(r->source, sizeof(r->source), "refclock system (unsynchronised)");
	}
	return 0;
}
