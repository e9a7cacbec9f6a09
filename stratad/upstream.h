/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sources: every server, pool, refclock phc and refclock system line
 * of the configuration as peers in one table (peer.c, refclock.c, pools.c),
 * selected and combined (lib/select.c) into the offset that steers the
 * discipline (disc.c) and the system peer's fields that the reference
 * (reference.c) serves. Runs in stratad's main loop.
 */
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>

#include "config.h"
#include "disc.h"
#include "select.h"

#include <strata/snapshot.h>

#define UPSTREAM_MAX_PEERS 64

/* What the server tells its clients, from the system peer (RFC 5905 section 11.3). */
struct upstream_sys {
	int synced;          /* a system peer was selected at the last update */
	int stratum;         /* the system peer's stratum + 1 */
	uint32_t refid;      /* network order */
	int leap;            /* what the survivors' majority announces */
	double root_delay;   /* s */
	double root_disp;    /* s, at last_update */
	uint64_t ref_time;   /* our NTP time of the last update */
	uint64_t last_update; /* monotonic ns of the last update, 0 never */
	double offset;       /* the last combined offset, s */
	double jitter;       /* system jitter, s */
	int n_truechimers;
};

/* One line of "stratactl sources". */
struct upstream_peer_report {
	char name[64];    /* the address as text */
	char origin[64];  /* the configured name (server or pool) */
	uint32_t refid;   /* the peer's own refid, network order */
	int stratum;
	int poll;
	uint8_t reach;
	double when;      /* s since the last reply, -1 never */
	double offset, delay, jitter; /* s */
	char mark;        /* '*' system peer, '+' survivor, '-' outlier, 'x' falseticker,
			     '?' unreachable or no sample, ' ' not selected */
};

struct upstream;

/*
 * Start every source of @c (a copy is kept: @c may go after the call):
 * lookups of servers and pools, reference clocks opened.
 * @return NULL with errno set on failure (ENODEV: a reference clock).
 */
struct upstream *upstream_new(const struct cfg *c, struct disc *d);
void upstream_free(struct upstream *u);

/*
 * Reload: the sources of @c replace the running ones. A line kept as it
 * was (same kind, name or address and options) keeps its peers with their
 * clock filters, reach and poll; a removed one's peers are dropped; a new
 * one starts (its lookup, or its clock). minsources takes effect at the
 * next selection. @return 0, or -ENODEV when a new reference clock cannot
 * be opened (logged; the rest applied).
 */
int upstream_update(struct upstream *u, const struct cfg *c);

/* Sockets with a reply outstanding, for poll(): fills at most @max, @return the count. */
int upstream_pollfds(const struct upstream *u, struct pollfd *pfd, int max);

/* Read the replies on the sockets poll() marked readable, at monotonic @mono. */
void upstream_receive(struct upstream *u, const struct pollfd *pfd, int n, uint64_t mono);

/*
 * Housekeeping at monotonic @mono: the discipline moved the clock by
 * @applied seconds since the last call (samples are corrected for it),
 * finished name lookups become peers, requests time out, due polls go out,
 * pools replace lost members.
 */
void upstream_tick(struct upstream *u, uint64_t mono, double applied);

void upstream_sys(const struct upstream *u, struct upstream_sys *s);

/*
 * Whether the server's fields in @s still stand at monotonic @mono, less than
 * @holdover seconds after their last update; past it the server answers
 * unsynchronised (or from its local clock). reference.c asks.
 */
int upstream_sys_current(const struct upstream_sys *s, uint64_t mono, unsigned int holdover);

/*
 * The snapshot map for hardware receive stamps: the first reference clock's
 * timescale mapped to ours through @mono, the monotonic map being published.
 * @return 0, or -1 when there is none (yet).
 */
int upstream_phc_map(const struct upstream *u, const struct snap_map *mono, struct snap_map *m);

/* @return the number of peers reported into @r (at most @max). */
int upstream_report(const struct upstream *u, uint64_t mono, struct upstream_peer_report *r,
		    int max);
