/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one channel from stratad to the fast paths: the configuration lowered
 * into their structures (include/strata/fastcfg.h) and published, whole and
 * with a generation number, to the XDP maps and to the shared memory that
 * strata-dpdk maps. Neither fast path parses the configuration file.
 */
#pragma once

#include <strata/fastcfg.h>
#include <strata/shm.h>

#include "config.h"
#include "xdp_loader.h"

struct chan {
	struct strata_shm *shm;
	struct strata_fastcfg fc; /* the generation prepared or published last */
	__u64 published;          /* the last generation published, 0 none */
};

/*
 * Start from what @shm holds: a restarted stratad continues its generations
 * and keeps the limiter's key (the per-client state of the running fast
 * paths stays valid). @return 0 or -errno.
 */
int chan_init(struct chan *ch, struct strata_shm *shm);

/* Lower @c into the next generation, ch->fc, without publishing it. */
void chan_prepare(struct chan *ch, const struct cfg *c);

/*
 * Publish ch->fc to the XDP maps of @x (when it has interfaces) and to the
 * shared memory. @return 0, or -errno when the XDP maps refused it (logged);
 * the shared memory is written only after the XDP maps took it.
 */
int chan_publish(struct chan *ch, struct xdp_state *x);
