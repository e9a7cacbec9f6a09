/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stratad as a pool element: the "register" lines of the configuration. It
 * announces its service addresses to each strata-pool registrar under a pool
 * name, refreshes the registration before it lapses, checks the registrar's
 * authenticated answers (docs/pool.md) and leaves at a clean exit. Runs in
 * stratad's main loop.
 */
#pragma once

#include <poll.h>
#include <stdint.h>

#include "cfgdiff.h"
#include "config.h"

#define REG_REFRESH_S 30		   /* between refreshes once acknowledged */
#define REG_LIFETIME_S (3 * REG_REFRESH_S) /* two refreshes may be lost */

/* One register line, for stratactl and the metrics. */
struct reg_report {
	char pool[CFG_HOST_MAX + 1];
	char registrar[CFG_HOST_MAX + 8]; /* as configured, with the port */
	const char *state;		  /* "resolving", "registering", "registered", "refused" */
	const char *refusal;		  /* the last refusal's reason, NULL if none */
	uint64_t sent;			  /* REGISTER messages sent, retransmissions included */
	uint64_t acked;			  /* authenticated ACKs accepting them */
	uint64_t refused;		  /* authenticated ACKs refusing them */
	uint64_t bad;			  /* answers that failed authentication or did not parse */
};

struct reg;

/*
 * Read the key files and start resolving the registrars of @c, whose listen
 * lines give the addresses to announce. @return NULL with errno set (the
 * reason logged) on failure.
 */
struct reg *reg_new(const struct cfg *c);
void reg_free(struct reg *r);

/*
 * A reload to @c: the registrations whose line is unchanged go on (and
 * announce @c's service addresses at once if they changed), the ones gone
 * from @c leave their pool (one DEREGISTER each, not waited for), the new
 * ones start. A new line whose key file cannot be read (after the
 * privilege drop it may be root's alone) is not started: it is taken out
 * of @c and listed in @rs. @r NULL: none ran. @return the registrations,
 * NULL when none are left (@r is consumed either way).
 */
struct reg *reg_update(struct reg *r, struct cfg *c, struct cfg_restart *rs, uint64_t mono);

/* Sockets for poll(): fills at most @max, @return the count. */
int reg_pollfds(const struct reg *r, struct pollfd *pfd, int max);

/* Read the answers on the sockets poll() marked readable, at monotonic @mono. */
void reg_receive(struct reg *r, const struct pollfd *pfd, int n, uint64_t mono);

/* Housekeeping at monotonic @mono: lookups finish, due registrations go out. */
void reg_tick(struct reg *r, uint64_t mono);

/* Clean exit: deregister from every registrar, waiting at most about a second for the answers. */
void reg_leave(struct reg *r);

/* @return the number of register lines reported into @out (at most @max). */
int reg_report(const struct reg *r, uint64_t mono, struct reg_report *out, int max);
