/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The push of each pool's served set into an existing primary with RFC 2136
 * dynamic updates signed with TSIG (RFC 8945): one update per changed pool,
 * deleting the name's A and AAAA RRsets and adding the served addresses, so
 * every update replaces the whole set and a repeated one is harmless.
 * Retried with backoff until the primary answers NOERROR with a valid TSIG.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "poolconf.h"
#include "pooldb.h"

#define POOLUPDATE_TIMEOUT_NS 2000000000ULL /* s until an update counts as lost */
#define POOLUPDATE_BACKOFF_MAX 64	    /* s between retries at most */
#define POOLUPDATE_FUDGE 300		    /* s, RFC 8945 section 10 */

struct poolupdate {
	struct pcfg_addr server;
	char zone[POOLREG_NAME_MAX + 2]; /* with the trailing dot */
	char key_name[POOLREG_NAME_MAX + 2];
	char alg[40];	  /* "hmac-sha256." */
	char secret[128]; /* base64, as ldns takes it */
	int fd;		  /* the update socket, -1 before init */
	/* the update in flight */
	struct pool *pool;
	uint16_t id;
	void *mac;	      /* ldns_rdf *: the request's MAC, for the response's TSIG */
	uint64_t deadline_ns; /* monotonic */
};

/*
 * Read the TSIG key file (one line, the base64 secret as tsig-keygen and
 * keymgr print it) and open the socket. 0, or -errno with a message in @err.
 */
int poolupdate_init(struct poolupdate *u, const struct pcfg *c, char *err, size_t errlen);

void poolupdate_fini(struct poolupdate *u);

/*
 * The signed update for @p with ID @id, in wire form: a malloc()ed buffer
 * in @wire of @len octets; the request MAC (ldns_rdf *) in @mac if not NULL.
 * 0 or -errno.
 */
int poolupdate_build(const struct poolupdate *u, const struct pooldb *db, const struct pool *p,
		     uint16_t id, uint8_t **wire, size_t *len, void **mac);

/* Send the next due update, if none is in flight. */
void poolupdate_run(struct poolupdate *u, struct pooldb *db, uint64_t now_ns);

/* The socket is readable: a response to the update in flight, checked. */
void poolupdate_recv(struct poolupdate *u, struct pooldb *db, uint64_t now_ns);

/* The earliest time poolupdate_run() has something to do, UINT64_MAX for never. */
uint64_t poolupdate_next(const struct poolupdate *u, const struct pooldb *db);
