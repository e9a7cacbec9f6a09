/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratactl waitsync, as chronyc's: up to MAX-TRIES tries, INTERVAL seconds
 * apart (10 by default, 0.1 at least), until stratad says it is
 * synchronised and, with MAX-CORRECTION above 0, that its estimated error is
 * no more than that. chronyc's third argument, the maximum skew, has no
 * counterpart in strata (it keeps no skew estimate): INTERVAL comes third.
 * Unlike chronyc, a server on its local clock ("local stratum") counts as
 * synchronised: it serves leap 0, and a script waiting for it would
 * otherwise wait forever.
 *
 * stratad decides what synchronised means (stratad/ctl.c); this reads its
 * "tracking json" answer, whose keys are stable, without a JSON library:
 * each key it reads occurs once, at the top level.
 */
#include "waitsync.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole number of at most ULONG_MAX, digits only. @return 0 or -1. */
static int
parse_count(const char *s, unsigned long *v)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

/* A finite number of seconds, 0 or more. @return 0 or -1. */
static int
parse_seconds(const char *s, double *v)
{
	char *end;

	if ((s[0] < '0' || s[0] > '9') && s[0] != '.')
		return -1;
	errno = 0;
	*v = strtod(s, &end);
	return errno == 0 && *end == '\0' && isfinite(*v) && *v >= 0 ? 0 : -1;
}

int
waitsync_parse(int argc, char *const *argv, struct waitsync *w, char *err, size_t len)
{
	w->tries = 0;
	w->max_error = 0;
	w->interval = WAITSYNC_INTERVAL_DEFAULT;
	if (argc > 3) {
		snprintf(err, len,
			 "waitsync takes at most 3 arguments: [MAX-TRIES "
			 "[MAX-CORRECTION [INTERVAL]]]");
		return -1;
	}
	if (argc > 0 && parse_count(argv[0], &w->tries) < 0) {
		snprintf(err, len, "MAX-TRIES '%s' is not a whole number (0: no limit)", argv[0]);
		return -1;
	}
	if (argc > 1 && parse_seconds(argv[1], &w->max_error) < 0) {
		snprintf(err, len,
			 "MAX-CORRECTION '%s' is not a number of seconds, 0 or more (0: not "
			 "checked)",
			 argv[1]);
		return -1;
	}
	if (argc > 2 && parse_seconds(argv[2], &w->interval) < 0) {
		snprintf(err, len, "INTERVAL '%s' is not a number of seconds (default %.0f)",
			 argv[2], WAITSYNC_INTERVAL_DEFAULT);
		return -1;
	}
	if (w->interval < WAITSYNC_INTERVAL_MIN)
		w->interval = WAITSYNC_INTERVAL_MIN;
	return 0;
}

/* The value after "KEY": in @json, or NULL. */
static const char *
value_of(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p != NULL ? p + strlen(pat) : NULL;
}

/* The JSON string at @p, its escapes kept as they are (it is only printed). */
static void
copy_string(const char *p, char *s, size_t len)
{
	size_t n = 0;

	if (p == NULL || *p != '"') {
		snprintf(s, len, "?");
		return;
	}
	for (p++; *p != '\0' && *p != '"' && n + 1 < len; p++) {
		if (*p == '\\' && p[1] != '\0' && n + 2 < len)
			s[n++] = *p++;
		s[n++] = *p;
	}
	s[n] = '\0';
}

int
waitsync_judge(const struct waitsync *w, const char *json, unsigned long try, char *line,
	       size_t len)
{
	const char *sync = value_of(json, "synchronised"), *err = value_of(json, "error_s");
	const char *leap = value_of(json, "leap"), *stratum = value_of(json, "stratum");
	char source[64];
	double error;
	int yes, ok;

	if (sync == NULL || err == NULL || leap == NULL || stratum == NULL) {
		snprintf(line, len,
			 "try: %lu, stratad's tracking has no 'synchronised' (is it "
			 "older than stratactl?)",
			 try);
		return -1;
	}
	yes = strncmp(sync, "true", 4) == 0;
	error = strtod(err, NULL);
	ok = yes && (w->max_error == 0 || error <= w->max_error);
	copy_string(value_of(json, "source"), source, sizeof(source));
	snprintf(line, len,
		 "try: %lu, synchronised: %s, leap: %ld, stratum: %ld, error: %.9f%s, source: %s",
		 try, yes ? "yes" : "no", strtol(leap, NULL, 10), strtol(stratum, NULL, 10), error,
		 yes && !ok ? " (above MAX-CORRECTION)" : "", source);
	return ok;
}
