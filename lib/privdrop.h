/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Least privilege for the daemons (docs/security.md): once setup is done and
 * every privileged file and socket is open, the process becomes the
 * configured user and keeps only the capabilities its main loop still uses.
 * stratad after attaching XDP, strata-pool after binding its sockets.
 */
#pragma once

#include <stdint.h>

#include "config.h"

#define PRIV_CAP(cap) (1ULL << (cap))

/* A directory the process creates and removes files in after the drop. */
struct priv_dir {
	const char *path;     /* a file in it (/run/strata/stratad.sock); "": none */
	const char *what;     /* the file, in messages: "control socket" */
	const char *unit_dir; /* the systemd setting that provides it: "RuntimeDirectory" */
};

/*
 * As root: make each missing directory of @dirs for @user, so that files
 * created in it before the drop can still be removed after it. Elsewhere, and
 * for directories that exist: nothing. @return 0 or -errno, the reason logged.
 */
int priv_dirs(const char *user, const struct priv_dir *dirs, unsigned int n_dirs);

/*
 * Started as root: priv_dirs(), then become @user (setgroups, setresgid,
 * setresuid), clear the bounding set but @keep (PRIV_CAP() bits), keep
 * exactly @keep and set no_new_privs. Started as another user: cut to the
 * same set and run. Then every directory of @dirs must be writable. Call
 * before any thread starts: capabilities, the bounding set and no_new_privs
 * are per thread. @return 0 or -errno, the reason logged.
 */
int priv_drop_to(const char *user, uint64_t keep, const struct priv_dir *dirs, unsigned int n_dirs);

/* @return 0 when the main loop's BPF map access works, else -errno. */
typedef int priv_probe_fn(void *arg);

/*
 * As root: give the socket at @path to @group, root keeping it, so that the
 * operators in that group read status through a mode 0660 socket (and only
 * root and the daemon's own user change state: server.c checks the peer).
 * Elsewhere: nothing. @return 0 or -errno, the reason logged.
 */
int priv_socket_group(const char *path, const char *group);

/*
 * stratad's drop: priv_drop_to() c->user, keeping CAP_BPF where this kernel
 * refuses @probe without it; the driftfile's directory prepared. The control
 * socket and the metrics listener are bound before it (server_bind()), so
 * neither needs a capability or a writable directory after it. @probe is
 * NULL without XDP. @return 0 or -errno, the reason logged.
 */
int priv_drop(const struct cfg *c, priv_probe_fn *probe, void *arg);
