/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An NTS-KE worker (RFC 8915 section 4): one process, one poll loop of
 * non-blocking TLS 1.3 sessions on the listeners its supervisor bound. It
 * runs as the configured user and never touches a file: the credentials
 * come from the supervisor through fork().
 */
#pragma once

#include <stdint.h>

#include <gnutls/gnutls.h>

#include <strata/shm.h>

/* RFC 8915 section 4 leaves it open; chrony closes a session after 2 s */
#define KE_TIMEOUT_MS 2000
/* the client's request: anything longer is not an NTS-KE request we answer */
#define KE_REQUEST_MAX 1024
#define KE_MAX_LISTEN 2 /* the IPv4 and IPv6 wildcards */

/*
 * The open sessions of every worker, one slot each, in memory the supervisor
 * shares with its children (mmap MAP_SHARED before fork): a worker writes its
 * own slot, reads all of them against the limit, and the supervisor clears
 * the slot of a worker that died.
 */
#define KE_MAX_SLOTS 256
struct ke_slots {
	uint32_t open[KE_MAX_SLOTS];
};

struct ke_conf {
	gnutls_certificate_credentials_t cred;
	int lfd[KE_MAX_LISTEN];
	unsigned int n_lfd;
	unsigned int maxconns; /* open sessions across the workers */
	const char *ntpserver; /* NTPv4 Server Negotiation, "" for none */
	struct strata_shm *shm;
	struct ke_slots *slots;
	unsigned int slot; /* ours */
};

/*
 * Serve until SIGTERM, then stop accepting and finish the open sessions
 * (at most KE_TIMEOUT_MS more). Call with SIGTERM blocked, privileges
 * already dropped. @return the process's exit status.
 */
int ke_run(const struct ke_conf *c);
