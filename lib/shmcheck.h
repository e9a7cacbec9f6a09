/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who may have written the shared memory stratad and strata-dpdk share
 * (include/strata/shm.h), and what happens when it shrinks under them.
 * Whoever can write that object decides the time, leap indicator and stratum
 * strata-dpdk serves, so both processes use it only when it is a regular file
 * of exactly the expected size, owned by a user they trust and writable by no
 * one else. Its size can still change while mapped (root can truncate it):
 * a guard then turns the SIGBUS of the next access into zero pages.
 */
#pragma once

#include <signal.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* No second owner for shm_check_stat(). */
#define SHM_NO_UID ((uid_t)-1)

/*
 * Whether @st describes an object of @size bytes that only @owner (or
 * @alt_owner, unless SHM_NO_UID) can write: a regular file owned by one of
 * them, without group or other write permission. A pure function.
 * @return 0, -EPERM (owner or mode) or -EINVAL (type or size), with the
 * reason in @why ("is owned by uid 65534, not 0").
 */
int shm_check_stat(const struct stat *st, uid_t owner, uid_t alt_owner, size_t size, char *why,
		   size_t len);

/* The file behind POSIX shared memory @name ("/strata" -> "/dev/shm/strata"). */
void shm_path(const char *name, char *path, size_t len);

/*
 * Guard the mapping [@addr, @addr + @len) against truncation: a SIGBUS inside
 * it maps anonymous zero pages over the whole range (a snapshot of zeros has
 * no valid map, so readers answer nothing), writes @msg to stderr once and
 * sets *@quit to 1 (@quit may be NULL). A SIGBUS elsewhere kills the process
 * as it would have. One guarded range per process. @return 0 or -errno.
 */
int shm_guard(void *addr, size_t len, const char *msg, volatile sig_atomic_t *quit);

/* Whether the guard has replaced the mapping (the object was truncated). */
int shm_guard_tripped(void);

struct strata_shm;

/*
 * Map stratad's shared memory @name read-write, as every reader must: it is
 * stratad's only when owned by root or by @user (the user stratad may run
 * as), writable by no one else, of this version's size, and initialised
 * (the magic stratad writes last). @return the mapping; or NULL with
 * *@wait set when stratad has not made or initialised it yet (retry
 * later); or NULL with what is wrong in @why ("/dev/shm/strata is owned by
 * ..."), its hint included.
 */
struct strata_shm *shm_attach(const char *name, const char *user, int *wait, char *why,
			      size_t len);
