/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bounded text buffer for the reports (control answers, metrics): writes
 * stop at the first one that does not fit, and the caller checks full once.
 */
#pragma once

#include <stddef.h>

struct out {
	char *buf;
	size_t len;
	size_t pos;
	int full; /* a write did not fit: the text is incomplete */
};

/* Append printf-style text to @o, unless it is already full. */
void out_put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
