/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NTS master keys (RFC 8915 section 6, docs/nts.md "Master keys"): stratad
 * loads them from ntsdumpdir/ntskeys or generates them, rotates them every
 * ntsrotate seconds, writes the file atomically and publishes the ring into
 * the shared memory, under its sequence count, for every process that makes
 * or opens cookies.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <strata/nts.h>

#include "config.h"

#define NTSKEYS_VERSION 1
#define NTSKEYS_RETRY_S 60 /* between attempts to write a file that could not be */

struct ntskeys {
	struct strata_nts_keyring ring; /* oldest first; k[n - 1] is current */
	struct strata_nts_keyring *shm; /* where it is published */
	char path[CFG_FILE_MAX + sizeof(CFG_NTS_KEYFILE) + 1]; /* ntsdumpdir/ntskeys */
	int on;		     /* NTS on: a certificate and key configured */
	unsigned int rotate; /* ntsrotate: 0 reads the file only */
	int dirty;	     /* the file does not hold the ring yet */
	int64_t write_after; /* UNIX s of the next write attempt */
};

/*
 * Parse a key file from @f, named @name in messages, into @ring: keys sorted
 * oldest first, the newest NTS_MAX_MASTER_KEYS kept, current the newest.
 * @return 0, or -1 with "NAME:LINE: what is wrong (hint)" in @err.
 */
int ntskeys_parse(const char *name, FILE *f, struct strata_nts_keyring *ring, char *err,
		  size_t errlen);

/* As ntskeys_parse() for the file at @path; @return -ENOENT when it does not exist. */
int ntskeys_load(const char *path, struct strata_nts_keyring *ring, char *err, size_t errlen);

/* Write @ring to @path: a temporary file, mode 0600, fsync, rename. @return 0 or -errno. */
int ntskeys_write(const char *path, const struct strata_nts_keyring *ring);

/*
 * Add a fresh random key created at @now as the current one (a key ID never
 * 0 and unique in the ring), dropping the oldest beyond NTS_MAX_MASTER_KEYS.
 * @return 0 or -errno (no randomness).
 */
int ntskeys_add(struct strata_nts_keyring *ring, uint64_t now);

/* Copy @ring into @dst under its sequence count, with the generation one more. */
void ntskeys_publish(struct strata_nts_keyring *dst, const struct strata_nts_keyring *ring);

/*
 * At start, as root: load the key file for the configuration @c (or, with
 * ntsrotate > 0 and no file, generate the first key, written by the first
 * ntskeys_tick() after the privilege drop) and publish into @shm. @now in
 * UNIX seconds. @return 0, or -1 with "FILE:LINE: ..." in @err for a file
 * that is not a key file (a configuration error).
 */
int ntskeys_init(struct ntskeys *k, const struct cfg *c, struct strata_nts_keyring *shm,
		 int64_t now, char *err, size_t errlen);

/* From the main loop: rotate when due, write the file when it lags. @now in UNIX s. */
void ntskeys_tick(struct ntskeys *k, int64_t now);

/*
 * A reload to @c: NTS on or off, the rotation interval, and with ntsrotate 0
 * the file read again. @return 0, or -1 with the reason in @err when the
 * file was refused (the running keys stay).
 */
int ntskeys_reload(struct ntskeys *k, const struct cfg *c, int64_t now, char *err, size_t errlen);

/*
 * stratad --check: the key file of @c parses (a missing file, or one this
 * user cannot read, is left to the start). @return 0, or -1 with
 * "FILE:LINE: ..." in @err.
 */
int ntskeys_check(const struct cfg *c, char *err, size_t errlen);

/* When the current key is due for rotation (UNIX s), 0 for never (off, ntsrotate 0, no key). */
int64_t ntskeys_next_rotation(const struct ntskeys *k);
