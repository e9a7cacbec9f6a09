/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/log.c's syslog priority prefixes: "<N>" before each line when stderr
 * is the journal's stream (JOURNAL_STREAM is the "DEV:INO" of fd 2,
 * sd-daemon(3)), the plain lines otherwise, a stale JOURNAL_STREAM (stderr
 * redirected) included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#include "cunit_main.h"

static char path[] = "/tmp/test_log.XXXXXX";

/* The lines logged with stderr on a fresh file and JOURNAL_STREAM from @js ("self": that file's). */
static const char *
logged(const char *js)
{
	static char buf[1024];
	struct stat st;
	char env[64];
	int saved, fd;
	ssize_t n;

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	CU_ASSERT_FATAL(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	fstat(fd, &st);
	if (js == NULL)
		unsetenv("JOURNAL_STREAM");
	else if (strcmp(js, "self") == 0) {
		snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", env, 1);
	} else {
		setenv("JOURNAL_STREAM", js, 1);
	}
	log_init("prog", 1);
	log_info("ready: %d", 1);
	log_warn("careful");
	log_debug("detail");
	log_err("%s:%d: bad", "f", 3);
	log_cannot_start("no %s", "file");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	strcpy(path, "/tmp/test_log.XXXXXX");
	unsetenv("JOURNAL_STREAM");
	return buf;
}

static void
test_journal(void)
{
	CU_ASSERT_STRING_EQUAL(logged("self"), "<6>prog: ready: 1\n"
					       "<4>prog: warning: careful\n"
					       "<7>prog: debug: detail\n"
					       "<3>prog: f:3: bad\n"
					       "<3>prog: cannot start: no file; exiting\n");
}

static void
test_terminal(void)
{
	static const char plain[] = "prog: ready: 1\n"
				    "prog: warning: careful\n"
				    "prog: debug: detail\n"
				    "prog: f:3: bad\n"
				    "prog: cannot start: no file; exiting\n";

	CU_ASSERT_STRING_EQUAL(logged(NULL), plain);
	/* inherited from a unit, but stderr went elsewhere */
	CU_ASSERT_STRING_EQUAL(logged("1:2"), plain);
	CU_ASSERT_STRING_EQUAL(logged("garbage"), plain);
	CU_ASSERT_STRING_EQUAL(logged(""), plain);
}

static const struct test_case cases[] = {
	TEST_CASE(test_journal),
	TEST_CASE(test_terminal),
};

CUNIT_MAIN("log", cases)
