/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The answers of stratad's control socket: what stratactl prints. One line
 * in ("counters", "serverstats", "tracking", each also with " json"), text out.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <strata/snapshot.h>

#include "ctlproto.h"
#include "status.h"

/*
 * Render the answer to @cmd (one line; a trailing newline is ignored) from
 * @st, with ages taken at CLOCK_MONOTONIC @now_mono_ns, into @buf.
 * @return the length written (NUL-terminated), -1 for an unknown command
 * (@buf then holds the error line, without CTL_ERROR_PREFIX), or -2 when
 * @len is too small for the answer.
 */
int ctl_render(const char *cmd, const struct status *st, uint64_t now_mono_ns, char *buf,
	       size_t len);

/*
 * The server fields clients are getting at @now_mono_ns: read through the
 * fast path's own snapshot reader, so the root dispersion has grown and the
 * holdover limit applies. As published when there is no monotonic map.
 */
void ctl_server_view(const struct status *st, uint64_t now_mono_ns, struct snap_reply_view *v);
