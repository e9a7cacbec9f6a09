/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Least privilege for stratad: once the XDP program is attached and every
 * privileged file is open, stratad becomes the configured user and keeps only
 * the capabilities its main loop still uses (docs/security.md).
 */
#pragma once

#include "config.h"

/* @return 0 when the main loop's BPF map access works, else -errno. */
typedef int priv_probe_fn(void *arg);

/*
 * Started as root: become c->user (setgroups, setresgid, setresuid), clear
 * the bounding set, keep exactly CAP_BPF where this kernel refuses @probe
 * without it and CAP_NET_BIND_SERVICE where the metrics port needs it, and
 * set no_new_privs. Started as another user: drop to the same set and run.
 * The control socket's and the driftfile's directories are created for the
 * user when missing and must be writable by it. Call before any thread
 * starts: capabilities, the bounding set and no_new_privs are per thread.
 * @probe is NULL without XDP. @return 0 or -errno, the reason logged.
 */
int priv_drop(const struct cfg *c, priv_probe_fn *probe, void *arg);
