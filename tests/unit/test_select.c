/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Source selection (lib/select.c): intersection, clustering, the system
 * peer and the combined offset of RFC 5905 sections 11.2.1 to 11.2.3, on
 * made-up candidates whose root distances are exact.
 */
#include <math.h>
#include <string.h>

#include "select.h"

#include "cunit_main.h"

#define EPS 1e-12

/*
 * A candidate with root distance @lambda (at least 0.01): the delay carries
 * all of it but the jitter, 0.005 s unless changed.
 */
static struct sel_candidate
cand(double offset, double lambda, int stratum)
{
	return (struct sel_candidate){
		.offset = offset,
		.delay = 2 * (lambda - 0.005),
		.jitter = 0.005,
		.stratum = stratum,
	};
}

static void
test_root_distance(void)
{
	struct sel_candidate c = {
		.delay = 0.01,
		.disp = 0.001,
		.jitter = 0.002,
		.root_delay = 0.02,
		.root_disp = 0.005,
	};

	/* RFC 5905 appendix A.5.5.2: (0.02 + 0.01) / 2 + 0.005 + 0.001 + 0.002 */
	CU_ASSERT_DOUBLE_EQUAL(sel_root_distance(&c), 0.023, EPS);
	/* a total delay under MINDISP (0.01 s) counts as MINDISP */
	c = (struct sel_candidate){.delay = 0.002, .root_delay = 0.001, .jitter = 0.001};
	CU_ASSERT_DOUBLE_EQUAL(sel_root_distance(&c), 0.006, EPS);
	c = cand(0, 0.04, 1);
	CU_ASSERT_DOUBLE_EQUAL(sel_root_distance(&c), 0.04, EPS);
}

static void
test_three_agree(void)
{
	/* weights 1 / lambda: 50, 25, 12.5 */
	struct sel_candidate c[3] = {cand(0.001, 0.02, 2), cand(0.002, 0.04, 2),
				     cand(0.004, 0.08, 2)};
	enum sel_mark m[3];
	struct sel_result r;
	double sj2;

	CU_ASSERT_EQUAL(sel_select(c, 3, 1, m, &r), 3);
	CU_ASSERT_EQUAL(r.n_truechimers, 3);
	CU_ASSERT_EQUAL(r.n_survivors, 3);
	CU_ASSERT_EQUAL(r.sys_peer, 0);
	CU_ASSERT_EQUAL(m[0], SEL_SYSPEER);
	CU_ASSERT_EQUAL(m[1], SEL_SURVIVOR);
	CU_ASSERT_EQUAL(m[2], SEL_SURVIVOR);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, (0.001 * 50 + 0.002 * 25 + 0.004 * 12.5) / 87.5, EPS);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, 0.15 / 87.5, EPS);
	/* selection jitter relative to the system peer, then its own jitter */
	sj2 = (0.001 * 0.001 * 25 + 0.003 * 0.003 * 12.5) / 87.5;
	CU_ASSERT_DOUBLE_EQUAL(r.jitter, sqrt(sj2 + 0.005 * 0.005), EPS);
	CU_ASSERT_DOUBLE_EQUAL(r.root_distance, 0.02, EPS);
}

static void
test_falseticker(void)
{
	struct sel_candidate c[4] = {
		cand(0.001, 0.02, 2),
		cand(5.0, 0.02, 1),
		cand(0.002, 0.04, 2),
		cand(0.004, 0.08, 2),
	};
	enum sel_mark m[4];
	struct sel_result r;

	CU_ASSERT_EQUAL(sel_select(c, 4, 1, m, &r), 3);
	CU_ASSERT_EQUAL(m[1], SEL_FALSETICKER);
	CU_ASSERT_EQUAL(m[0], SEL_SYSPEER);
	CU_ASSERT_EQUAL(m[2], SEL_SURVIVOR);
	CU_ASSERT_EQUAL(m[3], SEL_SURVIVOR);
	CU_ASSERT_EQUAL(r.n_truechimers, 3);
	CU_ASSERT_EQUAL(r.sys_peer, 0);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, 0.15 / 87.5, EPS);
}

static void
test_no_majority(void)
{
	struct sel_candidate c[4] = {
		cand(0, 0.02, 1),
		cand(0.001, 0.02, 1),
		cand(1.0, 0.02, 1),
		cand(1.001, 0.02, 1),
	};
	enum sel_mark m[4];
	struct sel_result r;
	int i;

	CU_ASSERT_EQUAL(sel_select(c, 4, 1, m, &r), 0);
	CU_ASSERT_EQUAL(r.sys_peer, -1);
	CU_ASSERT_EQUAL(r.n_truechimers, 0);
	CU_ASSERT_EQUAL(r.n_survivors, 0);
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(m[i], SEL_FALSETICKER);

	/* two that disagree: neither is a majority */
	CU_ASSERT_EQUAL(sel_select(&c[1], 2, 1, m, &r), 0);
	CU_ASSERT_EQUAL(r.sys_peer, -1);
	CU_ASSERT_EQUAL(m[0], SEL_FALSETICKER);
	CU_ASSERT_EQUAL(m[1], SEL_FALSETICKER);
}

static void
test_minsources(void)
{
	struct sel_candidate c[3] = {cand(0, 0.02, 1), cand(3.0, 0.02, 1), cand(0.001, 0.02, 1)};
	enum sel_mark m[3];
	struct sel_result r;

	CU_ASSERT_EQUAL(sel_select(c, 3, 3, m, &r), 0);
	CU_ASSERT_EQUAL(r.sys_peer, -1);
	CU_ASSERT_EQUAL(r.n_truechimers, 2);
	CU_ASSERT_EQUAL(r.n_survivors, 0);
	CU_ASSERT_EQUAL(m[0], SEL_SURVIVOR);
	CU_ASSERT_EQUAL(m[1], SEL_FALSETICKER);
	CU_ASSERT_EQUAL(m[2], SEL_SURVIVOR);

	/* the same sources are enough for minsources 2 */
	CU_ASSERT_EQUAL(sel_select(c, 3, 2, m, &r), 2);
	CU_ASSERT_EQUAL(r.sys_peer, 0);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, 0.0005, EPS);
}

static void
test_cluster(void)
{
	/* all five intervals (lambda 0.05) hold [-0.03, 0.02]: five truechimers */
	struct sel_candidate c[5] = {
		cand(0, 0.05, 1),     cand(0.02, 0.05, 1),   cand(0.001, 0.05, 1),
		cand(-0.03, 0.05, 1), cand(-0.001, 0.05, 1),
	};
	struct sel_candidate t[4] = {
		cand(0, 0.1, 1),
		cand(0.0625, 0.1, 1),
		cand(-0.0625, 0.1, 1),
		cand(0, 0.1, 1),
	};
	enum sel_mark m[5];
	struct sel_result r;
	int i;

	/* -0.03 goes first, then 0.02; SEL_MINCLOCK remain */
	CU_ASSERT_EQUAL(sel_select(c, 5, 1, m, &r), SEL_MINCLOCK);
	CU_ASSERT_EQUAL(r.n_truechimers, 5);
	CU_ASSERT_EQUAL(r.n_survivors, 3);
	CU_ASSERT_EQUAL(m[1], SEL_OUTLIER);
	CU_ASSERT_EQUAL(m[3], SEL_OUTLIER);
	CU_ASSERT_EQUAL(m[0], SEL_SYSPEER);
	CU_ASSERT_EQUAL(m[2], SEL_SURVIVOR);
	CU_ASSERT_EQUAL(m[4], SEL_SURVIVOR);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, 0, EPS);

	/* never below SEL_MINCLOCK: the outlier 0.02 stays among three */
	CU_ASSERT_EQUAL(sel_select(c, 3, 1, m, &r), 3);
	CU_ASSERT_EQUAL(m[1], SEL_SURVIVOR);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, 0.021 / 3, EPS);

	/* equal selection jitters (exact in binary): the first given goes */
	CU_ASSERT_EQUAL(sel_select(t, 4, 1, m, &r), 3);
	CU_ASSERT_EQUAL(m[1], SEL_OUTLIER);
	CU_ASSERT_EQUAL(m[2], SEL_SURVIVOR);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, -0.0625 / 3, EPS);

	/* peer jitter above the selection jitter: pruning would not help */
	for (i = 0; i < 5; i++) {
		c[i].jitter = 0.05;
		c[i].delay = 0.02;
	}
	CU_ASSERT_EQUAL(sel_select(c, 5, 1, m, &r), 5);
	for (i = 0; i < 5; i++)
		CU_ASSERT_NOT_EQUAL(m[i], SEL_OUTLIER);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, -0.01 / 5, EPS);
}

static void
test_sys_peer(void)
{
	struct sel_candidate c[4] = {
		cand(0, 0.02, 2),
		cand(0, 0.08, 1),
		cand(0, 0.04, 1),
		cand(0, 0.04, 1),
	};
	enum sel_mark m[4];
	struct sel_result r;

	/* stratum first, then lambda; of two equal ones, the first given */
	CU_ASSERT_EQUAL(sel_select(c, 4, 1, m, &r), 4);
	CU_ASSERT_EQUAL(r.sys_peer, 2);
	CU_ASSERT_EQUAL(m[2], SEL_SYSPEER);
	CU_ASSERT_EQUAL(m[3], SEL_SURVIVOR);
	CU_ASSERT_DOUBLE_EQUAL(r.root_distance, 0.04, EPS);

	/* same stratum: the lowest lambda */
	c[0].stratum = 1;
	CU_ASSERT_EQUAL(sel_select(c, 4, 1, m, &r), 4);
	CU_ASSERT_EQUAL(r.sys_peer, 0);
	CU_ASSERT_EQUAL(m[0], SEL_SYSPEER);
	CU_ASSERT_EQUAL(m[2], SEL_SURVIVOR);
}

static void
test_prefer(void)
{
	struct sel_candidate c[5] = {
		cand(0, 0.02, 1),      cand(0.001, 0.02, 1), cand(2.0, 0.02, 1),
		cand(-0.001, 0.02, 1), cand(0, 0.08, 3),
	};
	enum sel_mark m[5];
	struct sel_result r;

	/* a preferred survivor wins over lower strata and distances */
	c[4].prefer = 1;
	CU_ASSERT_EQUAL(sel_select(c, 5, 1, m, &r), 4);
	CU_ASSERT_EQUAL(r.sys_peer, 4);
	CU_ASSERT_EQUAL(m[4], SEL_SYSPEER);
	CU_ASSERT_EQUAL(m[0], SEL_SURVIVOR);
	CU_ASSERT_EQUAL(m[2], SEL_FALSETICKER);
	CU_ASSERT_DOUBLE_EQUAL(r.root_distance, 0.08, EPS);

	/* a preferred falseticker does not */
	c[4].prefer = 0;
	c[2].prefer = 1;
	CU_ASSERT_EQUAL(sel_select(c, 5, 1, m, &r), 4);
	CU_ASSERT_EQUAL(m[2], SEL_FALSETICKER);
	CU_ASSERT_EQUAL(r.sys_peer, 0);
	CU_ASSERT_EQUAL(m[0], SEL_SYSPEER);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, 0, EPS);
}

static void
test_maxdist(void)
{
	struct sel_candidate c[4] = {
		cand(0.5, 0.02, 0),
		cand(0, 0.02, 1),
		cand(0.001, 0.02, 1),
		cand(-0.001, 0.02, 1),
	};
	enum sel_mark m[4];
	struct sel_result r;

	/* stratum 0 and preferred, but too far: never considered */
	c[0].prefer = 1;
	c[0].root_disp = SEL_MAXDIST;
	CU_ASSERT(sel_root_distance(&c[0]) > SEL_MAXDIST);
	CU_ASSERT_EQUAL(sel_select(c, 4, 1, m, &r), 3);
	CU_ASSERT_EQUAL(m[0], SEL_REJECT);
	CU_ASSERT_EQUAL(r.n_truechimers, 3);
	CU_ASSERT_EQUAL(r.sys_peer, 1);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, 0, EPS);

	/* nothing usable, nothing selected */
	CU_ASSERT_EQUAL(sel_select(c, 1, 1, m, &r), 0);
	CU_ASSERT_EQUAL(m[0], SEL_REJECT);
	CU_ASSERT_EQUAL(r.sys_peer, -1);
	CU_ASSERT_EQUAL(r.n_truechimers, 0);

	/* a NaN distance is not usable either */
	c[1].jitter = NAN;
	CU_ASSERT_EQUAL(sel_select(&c[1], 1, 1, m, &r), 0);
	CU_ASSERT_EQUAL(m[0], SEL_REJECT);
}

static void
test_single(void)
{
	struct sel_candidate c = cand(0.25, 0.03, 2);
	enum sel_mark m;
	struct sel_result r;

	CU_ASSERT_EQUAL(sel_select(&c, 1, 1, &m, &r), 1);
	CU_ASSERT_EQUAL(r.sys_peer, 0);
	CU_ASSERT_EQUAL(m, SEL_SYSPEER);
	CU_ASSERT_EQUAL(r.n_truechimers, 1);
	CU_ASSERT_EQUAL(r.n_survivors, 1);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, 0.25, EPS);
	CU_ASSERT_DOUBLE_EQUAL(r.jitter, 0.005, EPS);
	CU_ASSERT_DOUBLE_EQUAL(r.root_distance, 0.03, EPS);

	/* but not enough for minsources 2 */
	CU_ASSERT_EQUAL(sel_select(&c, 1, 2, &m, &r), 0);
	CU_ASSERT_EQUAL(r.sys_peer, -1);
	CU_ASSERT_EQUAL(r.n_truechimers, 1);
}

static void
test_empty(void)
{
	struct sel_result r;

	memset(&r, 0x55, sizeof(r));
	CU_ASSERT_EQUAL(sel_select(NULL, 0, 1, NULL, &r), 0);
	CU_ASSERT_EQUAL(r.sys_peer, -1);
	CU_ASSERT_EQUAL(r.n_truechimers, 0);
	CU_ASSERT_EQUAL(r.n_survivors, 0);
	CU_ASSERT_EQUAL(r.offset, 0);
	CU_ASSERT_EQUAL(r.jitter, 0);
}

static void
test_too_many(void)
{
	struct sel_candidate c[SEL_NMAX + 6];
	enum sel_mark m[SEL_NMAX + 6];
	struct sel_result r;
	int i;

	for (i = 0; i < SEL_NMAX; i++)
		c[i] = cand(i % 2 ? 0.001 : -0.001, 0.02, 2);
	/* past SEL_NMAX: preferred, stratum 0, and far off; none may count */
	for (; i < SEL_NMAX + 6; i++) {
		c[i] = cand(1.0, 0.02, 0);
		c[i].prefer = 1;
	}
	memset(m, 0x55, sizeof(m));
	CU_ASSERT_EQUAL(sel_select(c, SEL_NMAX + 6, 1, m, &r), SEL_NMAX);
	CU_ASSERT_EQUAL(r.n_truechimers, SEL_NMAX);
	CU_ASSERT_EQUAL(r.sys_peer, 0);
	CU_ASSERT_DOUBLE_EQUAL(r.offset, 0, EPS);
	for (i = 1; i < SEL_NMAX; i++)
		CU_ASSERT_EQUAL(m[i], SEL_SURVIVOR);
	for (; i < SEL_NMAX + 6; i++)
		CU_ASSERT_EQUAL(m[i], SEL_REJECT);
}

static const struct test_case cases[] = {
	TEST_CASE(test_root_distance),
	TEST_CASE(test_three_agree),
	TEST_CASE(test_falseticker),
	TEST_CASE(test_no_majority),
	TEST_CASE(test_minsources),
	TEST_CASE(test_cluster),
	TEST_CASE(test_sys_peer),
	TEST_CASE(test_prefer),
	TEST_CASE(test_maxdist),
	TEST_CASE(test_single),
	TEST_CASE(test_empty),
	TEST_CASE(test_too_many),
};

CUNIT_MAIN("select", cases)
