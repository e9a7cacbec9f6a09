/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading stratad's fast-path configuration (include/strata/fastcfg.h) out of
 * the shared memory: a whole copy under its sequence count, then a check of
 * every bound the dataplane relies on, since a copy that passes is used to
 * index arrays and build lookup tables. No DPDK in here: the unit tests run
 * it on a struct strata_shm of their own.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <strata/shm.h>

/*
 * Copy the configuration of @m into @fc if no write is under way, and set
 * *seq to the count it was read under. @return 0, or -EAGAIN while stratad
 * is writing it (the caller tries again at its next poll).
 */
int dp_fastcfg_copy(const struct strata_shm *m, struct strata_fastcfg *fc, uint32_t *seq);

/*
 * Check that @fc is within every bound: addresses and rules counts, rule
 * families, prefix lengths and host bits, actions, rate limit settings.
 * @return 0, or -EINVAL with the first fault in @why.
 */
int dp_fastcfg_check(const struct strata_fastcfg *fc, char *why, size_t len);
