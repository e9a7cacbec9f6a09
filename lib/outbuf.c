/* SPDX-License-Identifier: BSD-3-Clause */
#include "outbuf.h"

#include <stdarg.h>
#include <stdio.h>

void
out_put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos)
		o->full = 1;
	else
		o->pos += (size_t)n;
}

void
out_verror(char *err, size_t errlen, const char *name, unsigned int line, const char *fmt,
	   va_list ap)
{
	int n;

	if (line > 0)
		n = snprintf(err, errlen, "%s:%u: ", name, line);
	else
		n = snprintf(err, errlen, "%s: ", name);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}
