/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The driftfile (stratad/drift.c): round trip, the formats of chrony and
 * ntpd, a missing file, garbage, out-of-range values, and atomic
 * replacement that leaves no temporary file behind, even on failure.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drift.h"

#include "cunit_main.h"

static char dir[64];
static char path[128];

/* A fresh directory with "drift" as the file's path in it */
static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_drift.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/drift", dir);
}

/* Names in the directory, "." and ".." aside; with @only set, that the one name is it */
static int
entries(const char *only)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		n++;
		if (only != NULL)
			CU_ASSERT_STRING_EQUAL(d->d_name, only);
	}
	closedir(dp);
	return n;
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static void
put(const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void
contents(char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void
test_round_trip(void)
{
	static const double values[] = {12.345678, -3.25, 0.0, 500.0, -500.0, 1e-6, -0.000001};
	char buf[64];
	double ppm;
	unsigned int i;

	setup();
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		CU_ASSERT_EQUAL(drift_write(path, values[i]), 0);
		ppm = 1234;
		CU_ASSERT_EQUAL(drift_read(path, &ppm), 0);
		CU_ASSERT_DOUBLE_EQUAL(ppm, values[i], 5e-7);
	}
	/* the layout chrony writes: frequency and skew, both in ppm */
	CU_ASSERT_EQUAL(drift_write(path, -17.03125), 0);
	contents(buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "-17.031250 1.000000\n");
	teardown();
}

static void
test_other_writers(void)
{
	static const struct {
		const char *text;
		double ppm;
	} cases[] = {
		{"            -7.123000             0.034000\n", -7.123}, /* chrony's %20.6f */
		{"-7.123\n", -7.123},				     /* ntpd: one number */
		{"  42.5", 42.5},				     /* no newline */
		{"42.5 0.1\r\n", 42.5},
		{"42.5\t\n", 42.5},
	};
	double ppm;
	unsigned int i;

	setup();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put(cases[i].text, strlen(cases[i].text));
		ppm = 1234;
		CU_ASSERT_EQUAL(drift_read(path, &ppm), 0);
		CU_ASSERT_DOUBLE_EQUAL(ppm, cases[i].ppm, 1e-9);
	}
	teardown();
}

static void
test_missing(void)
{
	double ppm = 1234;

	setup();
	/* a first start: no file, no complaint, the caller starts at 0 */
	CU_ASSERT_EQUAL(drift_read(path, &ppm), -ENOENT);
	CU_ASSERT_EQUAL(ppm, 1234);
	teardown();
}

static void
test_garbage(void)
{
	static const char *const bad[] = {
		"",
		"\n",
		"hello\n",
		"12.5x\n",
		"12.5 x\n",
		"12.5 1 2\n",
		"12.5\n13\n",
		"nan\n",
		"inf 1\n",
		"1e999\n",
		"12.5 -1\n", /* a negative skew */
		"12.5 nan\n",
	};
	char big[300];
	double ppm = 1234;
	unsigned int i;

	setup();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(bad[i], strlen(bad[i]));
		CU_ASSERT_EQUAL(drift_read(path, &ppm), -EINVAL);
	}
	put("12.5\0 1\n", 8);
	CU_ASSERT_EQUAL(drift_read(path, &ppm), -EINVAL);
	/* far longer than a driftfile, though every character is a digit */
	memset(big, '1', sizeof(big));
	put(big, sizeof(big));
	CU_ASSERT_EQUAL(drift_read(path, &ppm), -EINVAL);
	CU_ASSERT_EQUAL(ppm, 1234);
	/* a directory in its place: an error, but not "missing" */
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
	CU_ASSERT(drift_read(path, &ppm) < 0 && drift_read(path, &ppm) != -ENOENT);
	teardown();
}

static void
test_out_of_range(void)
{
	double ppm = 1234;

	setup();
	put("500.5 1\n", 8);
	CU_ASSERT_EQUAL(drift_read(path, &ppm), -ERANGE);
	put("-600\n", 5);
	CU_ASSERT_EQUAL(drift_read(path, &ppm), -ERANGE);
	CU_ASSERT_EQUAL(ppm, 1234);
	put("-500.000000 1\n", 14);
	CU_ASSERT_EQUAL(drift_read(path, &ppm), 0);
	CU_ASSERT_EQUAL(ppm, -500.0);

	/* nothing is written for a value that could not be read back */
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(drift_write(path, 500.001), -ERANGE);
	CU_ASSERT_EQUAL(drift_write(path, -1e9), -ERANGE);
	CU_ASSERT_EQUAL(drift_write(path, NAN), -ERANGE);
	CU_ASSERT_EQUAL(drift_write(path, INFINITY), -ERANGE);
	CU_ASSERT_EQUAL(entries(NULL), 0);
	teardown();
}

static void
test_atomic(void)
{
	char sub[160];
	double ppm;
	int i;

	setup();
	/* replacing, many times over: one file, never a leftover temporary */
	for (i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(drift_write(path, i * 0.5), 0);
	CU_ASSERT_EQUAL(entries("drift"), 1);
	CU_ASSERT_EQUAL(drift_read(path, &ppm), 0);
	CU_ASSERT_EQUAL(ppm, 9.5);

	/* a rename that fails (a non-empty directory in the way): the temporary goes too */
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/x", path);
	CU_ASSERT_EQUAL(mkdir(sub, 0700), 0);
	CU_ASSERT(drift_write(path, 1.0) < 0);
	CU_ASSERT_EQUAL(entries("drift"), 1);

	/* a directory that does not exist */
	snprintf(sub, sizeof(sub), "%s/nonexistent/drift", dir);
	CU_ASSERT_EQUAL(drift_write(sub, 1.0), -ENOENT);
	CU_ASSERT_EQUAL(entries("drift"), 1);
	teardown();
}

/* A relative path: the temporary and the directory sync work from the current directory. */
static void
test_relative(void)
{
	char cwd[256];
	double ppm;

	setup();
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);
	CU_ASSERT_EQUAL(drift_write("drift", -1.5), 0);
	CU_ASSERT_EQUAL(drift_read("drift", &ppm), 0);
	CU_ASSERT_EQUAL(ppm, -1.5);
	CU_ASSERT_EQUAL(entries("drift"), 1);
	CU_ASSERT_EQUAL_FATAL(chdir(cwd), 0);
	teardown();
}

static const struct test_case cases[] = {
	TEST_CASE(test_round_trip),
	TEST_CASE(test_other_writers),
	TEST_CASE(test_missing),
	TEST_CASE(test_garbage),
	TEST_CASE(test_out_of_range),
	TEST_CASE(test_atomic),
	TEST_CASE(test_relative),
};

CUNIT_MAIN("drift", cases)
