/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference (chrony's reference.c, ntpd-rs's system): strata's own
 * clock and the server's own fields. Every source kind (server, pool,
 * refclock phc, refclock system) goes through one selection (upstream.c)
 * that steers one discipline (disc.c); this module turns the outcome into
 * what clients are told (RFC 5905 section 7.3): stratum, refid, root delay
 * and dispersion, the leap indicator (announced and inserted here), the
 * holdover after the last update, the local stratum fallback, precision
 * and PHI. It fills the snapshot stratad publishes, and takes over the
 * one a previous stratad left (ref_adopt()). docs/control.md draws it.
 */
#pragma once

#include <poll.h>
#include <stdint.h>

#include <strata/snapshot.h>

#include "config.h"
#include "status.h"

/* RFC 5905 section 7.3: the refid of a local clock, as chrony sends it (127.127.1.1) */
#define REF_REFID_LOCAL 0x7f7f0101u
/* A local clock's fields hold this long past the last publish; then the fast path says leap 3 */
#define REF_STALE_SECONDS 60
/* How often stratad publishes (RFC 5905 leaves the rate to us; at least 16 a second) */
#define REF_PUBLISH_HZ 32

/* What set the last snapshot, for people. */
struct ref_report {
	char source[48];      /* "NTP", "refclock system", "local stratum 10 (no source)", ... */
	int64_t est_error_ns; /* the kernel's estimated error with refclock system, else -1 */
	int64_t max_error_ns; /* the kernel's maximum error with refclock system, else -1 */
	uint64_t mono_ns;     /* CLOCK_MONOTONIC of the slot */
};

struct ref;

/*
 * Start strata's clock at the system clock's time and the driftfile's
 * frequency, load the leapfile, start every source of @c (a copy is
 * kept). @return NULL (logged) when a file or a reference clock is unusable.
 */
struct ref *ref_new(const struct cfg *c);

/* Stop every source; NULL is fine. The driftfile is written by ref_save_drift(). */
void ref_free(struct ref *r);

/*
 * Reload: the sources of @c replace the running ones (upstream_update():
 * kept lines keep their filters and reach), and holdover, minsources,
 * local stratum, leapfile and driftfile take effect. @return 0, or -errno
 * (logged) for what could not be applied (an unreadable leapfile keeps the
 * old table; a new reference clock that cannot be opened is left out).
 */
int ref_update(struct ref *r, const struct cfg *c);

/*
 * Take over the snapshot slot @sl a previous stratad published, at
 * monotonic @mono: when it is synchronised and still within its holdover,
 * strata's clock continues its CLOCK_MONOTONIC map (time and rate) instead
 * of starting from the system clock, and its server fields are served
 * (dispersion growing) until selection finds a system peer. Call before
 * the first ref_tick(). @return 0 when adopted, -ESTALE when ignored.
 */
int ref_adopt(struct ref *r, const struct snap_slot *sl, uint64_t mono);

/* The sources' sockets with a reply outstanding, for poll(). @return the count. */
int ref_pollfds(const struct ref *r, struct pollfd *pfd, int max);

/* Read the replies poll() found on @pfd, at monotonic @mono. */
void ref_receive(struct ref *r, const struct pollfd *pfd, int n, uint64_t mono);

/*
 * One tick at monotonic @mono: the discipline's slew, the sources' polls
 * and readings, a leap second due before the next tick (this may sleep
 * until its exact instant), the hourly driftfile.
 */
void ref_tick(struct ref *r, uint64_t mono);

/* The snapshot slot for monotonic @mono: the maps and the server's fields. */
void ref_fill(const struct ref *r, uint64_t mono, struct snap_slot *sl, struct ref_report *rep);

/* The sources and the discipline, for stratactl and the metrics, into @st. */
void ref_status(const struct ref *r, uint64_t mono, struct status *st);

/* Write the frequency to the driftfile: hourly, or now when @force (at exit). */
void ref_save_drift(struct ref *r, uint64_t mono, int force);
