/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bounded text buffer for the reports (control answers, metrics): writes
 * stop at the first one that does not fit, and the caller checks full once.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct out {
	char *buf;
	size_t len;
	size_t pos;
	int full; /* a write did not fit: the text is incomplete */
};

/* Append printf-style text to @o, unless it is already full. */
void out_put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * An error message of the configuration habits, "NAME:LINE: message" (just
 * "NAME: message" for line 0), into @err: at most @errlen bytes, terminated.
 */
void out_verror(char *err, size_t errlen, const char *name, unsigned int line, const char *fmt,
		va_list ap);
