/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-gen's latency histogram (perf/stats.c) as perf/latency.gp reads it:
 * one line per non-empty bucket with its edges in microseconds, its count
 * and the cumulative share, the last edge capped at the maximum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#include "cunit_main.h"

/* gen_hist_write's output for @h in @buf. */
static void
written(const struct gen_hist *h, char *buf, size_t room)
{
	FILE *f = fmemopen(buf, room, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	gen_hist_write(h, f);
	CU_ASSERT_FATAL(fclose(f) == 0);
}

static void
test_write(void)
{
	static struct gen_hist h; /* 30 kB: not on the stack */
	char buf[1024];

	memset(&h, 0, sizeof(h));
	written(&h, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, ""); /* no samples, no lines */

	gen_hist_add(&h, 500);	   /* [0, 1) us */
	gen_hist_add(&h, 41200);   /* [41, 42) us */
	gen_hist_add(&h, 41900);   /* the same bucket */
	gen_hist_add(&h, 2345000); /* [2340, 2350) us: the 10 us decade */
	written(&h, buf, sizeof(buf));
	/* the last bucket's upper edge is the maximum, as for the quantiles */
	CU_ASSERT_STRING_EQUAL(buf, "0.000 1.000 1 0.250000\n"
				    "41.000 42.000 2 0.750000\n"
				    "2340.000 2345.000 1 1.000000\n");
	CU_ASSERT_EQUAL(gen_hist_quantile(&h, 0.5), 42000);
	CU_ASSERT_EQUAL(gen_hist_quantile(&h, 1.0), 2345000);

	/* beyond 1 s: the overflow bucket, from 1 s to the maximum */
	gen_hist_add(&h, 1500000000);
	written(&h, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\n1000000.000 1500000.000 1 1.000000\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\n2340.000 2350.000 1 0.800000\n"));
}

static const struct test_case cases[] = {
	TEST_CASE(test_write),
};

CUNIT_MAIN("gen_stats", cases)
