/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strata-nts's AF_XDP child: answers the NTS requests (RFC 8915 section 5.7)
 * that the XDP program redirects to it, on every receive queue of every
 * "listen xdp" interface (docs/nts.md, "XDP").
 */
#pragma once

#include <sys/types.h>

#include <strata/shm.h>

#include "config.h"

/*
 * Fork the AF_XDP child for @cfg: as root it opens a socket on each queue
 * and puts it into the interface's pinned XSKMAP, then drops to cfg->user
 * and serves until SIGTERM, counting into @shm's nts_xsk rows.
 * @return its PID, 0 when there is nothing to serve (no listen xdp line,
 * or bpffs none), -1 when it cannot fork (logged).
 */
pid_t xsk_start(const struct cfg *cfg, struct strata_shm *shm);
