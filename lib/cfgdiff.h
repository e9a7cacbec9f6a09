/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a reload changes (docs/config.md, "What reloads"): two configurations
 * compared by the part of stratad that applies each line, and the lines that
 * only a restart applies, kept at their running values so that the
 * configuration stratad runs after a reload is always one it can serve.
 */
#pragma once

#include <stddef.h>

#include "config.h"

/* The parts of a configuration, by who applies them on a reload. */
enum cfg_part {
	CFG_PART_FASTPATH = 1u << 0, /* listen addresses, allow, deny, ratelimit: the channel */
	CFG_PART_TIME = 1u << 1,     /* server, pool, refclock, local stratum, minsources,
					holdover, leapfile: the reference pipeline */
	CFG_PART_METRICS = 1u << 2,  /* the metrics listener */
	CFG_PART_REGISTER = 1u << 3, /* register lines */
	CFG_PART_RESTART = 1u << 4,  /* listen interfaces and ports, xdpmode, control, user,
					driftfile, bpffs, ntsdumpdir: set up before the
					privilege drop */
	CFG_PART_NTS = 1u << 5,      /* NTS on or off, ntsrotate: stratad's master keys */
	CFG_PART_NTS_PROC = 1u << 6, /* ntsservercert, ntsserverkey, ntsport, ntsprocesses,
					maxntsconnections, ntsntpserver: strata-nts's */
};

#define CFG_RESTART_MAX 32

/* The lines a reload could not apply, each with the reason. */
struct cfg_restart {
	struct {
		unsigned int line; /* in the new file; 0: the setting is gone from it */
		char what[200];
	} l[CFG_RESTART_MAX];
	unsigned int n;
	unsigned int more; /* lines beyond CFG_RESTART_MAX, counted only */
};

/*
 * Whether two source lines are the same line, options and all (line numbers
 * aside): a reload keeps such a source's peers, filter and reach.
 */
int cfg_same_source(const struct cfg_source *a, const struct cfg_source *b);

/* Which parts (enum cfg_part bits) differ between @run and @next; line numbers aside. */
unsigned int cfg_diff(const struct cfg *run, const struct cfg *next);

/* Add "@line: what" to @r. */
void cfg_restart_add(struct cfg_restart *r, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Give @next the running values of @run for every line that needs a restart
 * (CFG_PART_RESTART), each listed in @r: the interface or port of a listen
 * line that is new is not served (its line is dropped), one that is gone
 * stays with the addresses no other line took.
 */
void cfg_keep_restart(const struct cfg *run, struct cfg *next, struct cfg_restart *r);

/*
 * List in @r the lines of strata-nts's that changed from @run to @next
 * (CFG_PART_NTS_PROC), each with what applies it (a reload of strata-nts,
 * or its restart for ntsport): stratad only checks them, strata-nts reads
 * the same file (docs/nts.md).
 */
void cfg_note_nts(const struct cfg *run, const struct cfg *next, struct cfg_restart *r);

/* Give @next the running metrics line of @run, listing it in @r with @why. */
void cfg_keep_metrics(const struct cfg *run, struct cfg *next, const char *why,
		      struct cfg_restart *r);

/* @r as text, one "  line N: what" per line (or "  (removed): what"); @return @buf. */
const char *cfg_restart_text(const struct cfg_restart *r, char *buf, size_t len);
