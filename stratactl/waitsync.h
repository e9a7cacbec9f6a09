/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratactl waitsync: its arguments, in chronyc's order, and its judgement
 * of one answer of stratad's "tracking json". The tries themselves (connect,
 * ask, sleep) are stratactl.c's.
 */
#pragma once

#include <stddef.h>

/* chronyc's default and floor between tries */
#define WAITSYNC_INTERVAL_DEFAULT 10.0
#define WAITSYNC_INTERVAL_MIN 0.1

struct waitsync {
	unsigned long tries; /* MAX-TRIES: 0 tries until synchronised */
	double max_error;    /* MAX-CORRECTION, seconds: 0 is not checked */
	double interval;     /* INTERVAL, seconds between tries */
};

/*
 * Parse waitsync's @argc arguments @argv: [MAX-TRIES [MAX-CORRECTION
 * [INTERVAL]]]. @return 0, or -1 with the reason in @err (@len bytes).
 */
int waitsync_parse(int argc, char *const *argv, struct waitsync *w, char *err, size_t len);

/*
 * Judge stratad's "tracking json" answer @json for try @try: its line for
 * people ("try: 1, synchronised: yes, ...") in @line (@len bytes). @return 1
 * synchronised (and within max_error, when set), 0 not yet, -1 an answer
 * without the fields (a stratad older than this stratactl).
 */
int waitsync_judge(const struct waitsync *w, const char *json, unsigned long try, char *line,
		   size_t len);
