/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reload (SIGHUP, or "reload" on the control socket): re-read the file and
 * apply what changed without a restart (docs/config.md, "What reloads"). A
 * file with an error is refused whole and the running configuration stays;
 * lines that need a privilege stratad has dropped, or a restart, keep their
 * running values and are named; the rest applies. Runs in the main loop.
 */
#pragma once

#include <stddef.h>

#include "cfgdiff.h"
#include "channel.h"
#include "config.h"
#include "ntskeys.h"
#include "register.h"
#include "server.h"
#include "xdp_loader.h"

/*
 * Give the time lines (CFG_PART_TIME) of @next to the reference pipeline.
 * @return 0, or -errno when it could not apply all of them (it logs what;
 * the reload names the time lines as needing a restart).
 */
typedef int reload_time_fn(void *arg, const struct cfg *next);

/* What a reload changes: stratad's parts, by reference. */
struct reload {
	const char *path;  /* the file stratad started with */
	struct cfg *cfg;   /* the running configuration, replaced on success */
	struct chan *chan; /* the fast paths' configuration */
	struct xdp_state *xdp;
	struct reg **reg;     /* the registrations (NULL: none) */
	struct server *srv;   /* the metrics listener */
	reload_time_fn *time; /* the reference pipeline's reload */
	void *time_arg;
	struct ntskeys *keys; /* the NTS master keys */
};

/*
 * The checks of a file that a start and a reload make before using it, none
 * of which needs privileges: the parse and its semantic checks
 * (cfg_load()), the register lines' key files and the leapfile (a file
 * this user may not read is left to the start, which reads it as root),
 * and, as root, the user to drop to. @return 0, or -1 with the message in
 * @err, as "FILE:LINE: what is wrong (hint)" where there is a line.
 */
int reload_check(const char *path, struct cfg *c, char *err, size_t errlen);

/*
 * Reload from rl->path; log one line with the result and the generation,
 * and put the answer for stratactl into @out (CTL_ERROR_PREFIX first when
 * the file was refused). @return 0 when applied (perhaps with lines that
 * need a restart), -1 when refused.
 */
int reload_run(struct reload *rl, char *out, size_t len);
