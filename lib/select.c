/* SPDX-License-Identifier: BSD-3-Clause */
#include "select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * RFC 5905 appendix A.1.1: MINDISP, the floor of the total delay in
 * root_dist() (appendix A.5.5.2). ntpd uses .001 (MINDISPERSE); we keep the
 * RFC's value.
 */
#define MINDISP 0.01

/* One end of a correctness interval (RFC 5905 appendix A.5.5.1 chime list). */
struct edge {
	double val;
	int type; /* -1 lower end, +1 upper end, as in the RFC */
	int idx;
};

static double
square(double x)
{
	return x * x;
}

double
sel_root_distance(const struct sel_candidate *c)
{
	/*
	 * RFC 5905 appendix A.5.5.2. The PHI * (now - t) term is already in
	 * c->disp, which the caller grows to now.
	 */
	return fmax(MINDISP, c->root_delay + c->delay) / 2 + c->root_disp + c->disp + c->jitter;
}

/* A total order (value, lower before upper, input order): no reliance on qsort() stability. */
static int
edge_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->val != y->val)
		return x->val < y->val ? -1 : 1;
	if (x->type != y->type)
		return x->type - y->type;
	return x->idx - y->idx;
}

/*
 * RFC 5905 section 11.2.1, appendix A.5.5.1: the intersection [low, high] of
 * the correctness intervals [offset - lambda, offset + lambda] of the @m
 * candidates listed in @idx. Assume f = 0 falsetickers; sweep the edges up
 * for the first point inside m - f intervals and down for the last; with no
 * such interval try f + 1, while the truechimers are a majority (2f < m).
 * The RFC's test "chime >= n - found" is an erratum for "n - allow" (ntpd
 * has the latter); midpoints are left out of the list as in ntpd 4.2.8,
 * since a truechimer is any interval that overlaps [low, high].
 * @return 1 when found, 0 when no majority agrees.
 */
static int
intersect(const struct sel_candidate *c, const double *lam, const int *idx, int m, double *low,
	  double *high)
{
	struct edge e[2 * SEL_NMAX];
	int allow, chime, i;

	for (i = 0; i < m; i++) {
		e[2 * i] = (struct edge){c[idx[i]].offset - lam[idx[i]], -1, idx[i]};
		e[2 * i + 1] = (struct edge){c[idx[i]].offset + lam[idx[i]], +1, idx[i]};
	}
	qsort(e, 2 * (size_t)m, sizeof(e[0]), edge_cmp);

	for (allow = 0; 2 * allow < m; allow++) {
		*low = HUGE_VAL;
		*high = -HUGE_VAL;
		for (chime = 0, i = 0; i < 2 * m; i++) {
			chime -= e[i].type;
			if (chime >= m - allow) {
				*low = e[i].val;
				break;
			}
		}
		for (chime = 0, i = 2 * m - 1; i >= 0; i--) {
			chime += e[i].type;
			if (chime >= m - allow) {
				*high = e[i].val;
				break;
			}
		}
		if (*high > *low)
			return 1;
	}
	return 0;
}

/*
 * RFC 5905 section 11.2.2: drop the survivor farthest from the others (the
 * largest selection jitter, the RMS of its offset differences) until
 * SEL_MINCLOCK remain or the largest selection jitter is no more than the
 * smallest peer jitter: then pruning cannot beat the sources' own noise.
 * "No more than" (ntpd's test) rather than the RFC's "less than", so that
 * sources agreeing exactly with zero jitter are not pruned for nothing.
 * Ties go to the first in @s, which is in input order.
 * @return the number of survivors left in @s.
 */
static int
cluster(const struct sel_candidate *c, int *s, int ns, enum sel_mark *marks)
{
	while (ns > SEL_MINCLOCK) {
		double max = -1, min = HUGE_VAL;
		int i, j, k = 0;

		for (i = 0; i < ns; i++) {
			double sum = 0, phi;

			for (j = 0; j < ns; j++)
				sum += square(c[s[j]].offset - c[s[i]].offset);
			phi = sqrt(sum / (ns - 1));
			if (phi > max) {
				max = phi;
				k = i;
			}
			min = fmin(min, c[s[i]].jitter);
		}
		if (max <= min)
			break;
		marks[s[k]] = SEL_OUTLIER;
		memmove(&s[k], &s[k + 1], (size_t)(ns - k - 1) * sizeof(s[0]));
		ns--;
	}
	return ns;
}

/*
 * RFC 5905 section 11.2.3: the system peer is the first survivor by
 * stratum * MAXDIST + lambda, a "prefer" survivor before all others.
 */
static int
better(const struct sel_candidate *c, const double *lam, int a, int b)
{
	if ((c[a].prefer != 0) != (c[b].prefer != 0))
		return c[a].prefer != 0;
	return c[a].stratum * SEL_MAXDIST + lam[a] < c[b].stratum * SEL_MAXDIST + lam[b];
}

int
sel_select(const struct sel_candidate *c, int n, int minsources, enum sel_mark *marks,
	   struct sel_result *r)
{
	double lam[SEL_NMAX], low, high, y = 0, z = 0, w = 0;
	int s[SEL_NMAX], m = 0, ns = 0, sys, i;

	memset(r, 0, sizeof(*r));
	r->sys_peer = -1;
	for (i = 0; i < n; i++)
		marks[i] = SEL_REJECT;
	if (n > SEL_NMAX)
		n = SEL_NMAX;

	/*
	 * RFC 5905 section 11.2.1: a source farther than MAXDIST is unusable.
	 * Written so that NaN distances and offsets are rejected too: they
	 * would break the edge sort.
	 */
	for (i = 0; i < n; i++) {
		lam[i] = sel_root_distance(&c[i]);
		if (lam[i] > 0 && lam[i] <= SEL_MAXDIST && isfinite(c[i].offset))
			s[m++] = i;
	}
	if (m == 0)
		return 0;

	if (intersect(c, lam, s, m, &low, &high) == 0) {
		for (i = 0; i < m; i++)
			marks[s[i]] = SEL_FALSETICKER;
		return 0;
	}
	for (i = 0; i < m; i++) {
		const struct sel_candidate *p = &c[s[i]];

		if (p->offset + lam[s[i]] < low || p->offset - lam[s[i]] > high) {
			marks[s[i]] = SEL_FALSETICKER;
		} else {
			marks[s[i]] = SEL_SURVIVOR;
			s[ns++] = s[i];
		}
	}
	r->n_truechimers = ns;

	/*
	 * Too few truechimers to claim synchronization (RFC 5905 NSANE,
	 * "minsources"). They keep SEL_SURVIVOR: they passed the intersection
	 * and were never clustered, but nothing is combined.
	 */
	if (ns < minsources)
		return 0;

	ns = cluster(c, s, ns, marks);

	sys = s[0];
	for (i = 1; i < ns; i++)
		if (better(c, lam, s[i], sys))
			sys = s[i];
	marks[sys] = SEL_SYSPEER;

	/*
	 * RFC 5905 section 11.2.3 and appendix A.5.5.5: offsets weighted by
	 * 1 / lambda; the selection jitter is their weighted RMS distance from
	 * the system peer's offset, combined with the system peer's own jitter.
	 */
	for (i = 0; i < ns; i++) {
		y += 1 / lam[s[i]];
		z += c[s[i]].offset / lam[s[i]];
		w += square(c[s[i]].offset - c[sys].offset) / lam[s[i]];
	}
	r->sys_peer = sys;
	r->n_survivors = ns;
	r->offset = z / y;
	r->jitter = sqrt(w / y + square(c[sys].jitter));
	r->root_distance = lam[sys];
	return ns;
}
