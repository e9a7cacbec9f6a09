/* SPDX-License-Identifier: BSD-3-Clause */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

static const char *log_prog = "strata";
static int log_verbose;

void
log_init(const char *prog, int verbose)
{
	log_prog = prog;
	log_verbose = verbose;
}

static void
vlog(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", log_prog, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}

static void
vcannot_start(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: cannot start: ", log_prog);
	vfprintf(stderr, fmt, ap);
	fputs("; exiting\n", stderr);
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
