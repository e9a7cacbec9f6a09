/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad's metrics in the Prometheus text exposition format 0.0.4, served
 * over HTTP by the reporting thread (server.h).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/*
 * Render every metric of @st, with ages taken at CLOCK_MONOTONIC
 * @now_mono_ns, into @buf. @return the length written (NUL-terminated),
 * or -2 when @len is too small.
 */
int metrics_render(const struct status *st, uint64_t now_mono_ns, char *buf, size_t len);
