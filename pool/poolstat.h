/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What strata-pool reports: the status table of "strata-pool status" and
 * the Prometheus text exposition format 0.0.4 on the metrics address.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "pooldb.h"

/* The status table (one line per member address) into @buf. @return the length, -1 if cut. */
int poolstat_status(const struct pooldb *db, uint64_t now_mono_ns, char *buf, size_t len);

/* Every metric into @buf. @return the length, -1 if cut. */
int poolstat_metrics(const struct pooldb *db, char *buf, size_t len);
