/* SPDX-License-Identifier: BSD-3-Clause */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *log_prog = "strata";
static int log_verbose;
static int log_journal;

/*
 * stderr is the journal's stream when JOURNAL_STREAM ("DEV:INO", decimal)
 * names the file fd 2 is (sd-daemon(3), systemd.exec(5) "$JOURNAL_STREAM"):
 * only then does a "<N>" prefix give journald the line's syslog priority.
 * Redirected elsewhere by the unit or a shell, the variable is stale.
 */
static int
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char c;

	if (e == NULL || sscanf(e, "%llu:%llu%c", &dev, &ino, &c) != 2 ||
	    fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *prog, int verbose)
{
	log_prog = prog;
	log_verbose = verbose;
	log_journal = stderr_is_journal();
}

/* The syslog priority, <3> err ... <7> debug (RFC 5424 section 6.2.1), for the journal. */
static void
prefix(int pri)
{
	if (log_journal)
		fprintf(stderr, "<%d>", pri);
}

static void
vlog(int pri, const char *level, const char *fmt, va_list ap)
{
	/* one line, whole, from whichever thread logs */
	flockfile(stderr);
	prefix(pri);
	fprintf(stderr, "%s: %s", log_prog, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(3, "", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(4, "warning: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(6, "", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(7, "debug: ", fmt, ap);
	va_end(ap);
}

static void
vcannot_start(const char *fmt, va_list ap)
{
	flockfile(stderr);
	prefix(3);
	fprintf(stderr, "%s: cannot start: ", log_prog);
	vfprintf(stderr, fmt, ap);
	fputs("; exiting\n", stderr);
	funlockfile(stderr);
}

void
log_cannot_start(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcannot_start(fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcannot_start(fmt, ap);
	va_end(ap);
	exit(1);
}

int
log_config_error(int check, const char *err)
{
	if (check)
		log_err("%s", err);
	else
		log_cannot_start("%s", err);
	return EX_CONFIG;
}
