/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Source selection, clustering and combining (RFC 5905 sections 11.2.1 to
 * 11.2.3): which upstream measurements to believe, which one is the system
 * peer, and the combined offset the discipline steers by. Pure functions of
 * the candidates: no I/O, no clock reads.
 */
#pragma once

#include <stdint.h>

/* What selection needs to know of one source, all times in seconds. */
struct sel_candidate {
	double offset;     /* theta: the source's time minus ours */
	double delay;      /* delta: round-trip delay of the selected sample */
	double disp;       /* epsilon: dispersion of the source, grown to now */
	double jitter;     /* psi: RMS of the offset differences in the filter */
	double root_delay; /* the source's root delay (from its packets) */
	double root_disp;  /* the source's root dispersion */
	int stratum;       /* the source's stratum (0 for a reference clock) */
	int prefer;        /* "prefer" */
	int id;            /* the caller's index, carried through */
};

enum sel_mark {
	SEL_REJECT = 0,     /* not usable (distance beyond MAXDIST, or not offered) */
	SEL_FALSETICKER,    /* outside the intersection interval */
	SEL_OUTLIER,        /* a truechimer dropped by clustering */
	SEL_SURVIVOR,       /* combined into the system offset */
	SEL_SYSPEER,        /* the survivor whose stratum and refid the server takes */
};

struct sel_result {
	int sys_peer;         /* index into the candidate array, or -1 */
	int n_truechimers;    /* candidates inside the intersection */
	int n_survivors;
	double offset;        /* combined offset (RFC 5905 section 11.2.3) */
	double jitter;        /* system jitter: combined selection and peer jitter */
	double root_distance; /* lambda of the system peer */
};

/* Selection limits (RFC 5905 appendix A.1.1, with ntpd's MAXDIST) */
#define SEL_MAXDIST 1.5  /* s: beyond this root distance a source is unusable (ntpd; RFC 5905 says 1) */
#define SEL_MINCLOCK 3   /* clustering keeps at least this many survivors */
#define SEL_NMAX 64      /* most candidates considered */

/*
 * Root distance lambda of a candidate (RFC 5905 section 11.2.1, appendix
 * A.5.5.2 root_dist()): half the total delay plus the total dispersion plus
 * the jitter.
 */
double sel_root_distance(const struct sel_candidate *c);

/*
 * Select among @n candidates (at most SEL_NMAX); @marks gets one mark per
 * candidate. With fewer than @minsources truechimers there is no system
 * peer (r->sys_peer == -1): the server must not claim synchronization.
 * @return the number of survivors (0 when none).
 */
int sel_select(const struct sel_candidate *c, int n, int minsources, enum sel_mark *marks,
	       struct sel_result *r);
