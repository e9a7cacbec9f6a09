/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One source of time as selection sees it: an NTP server at one address
 * (a server line, or a member of a pool) or a reference clock (refclock.c).
 * This file's functions are the NTP server's: one request at a time over
 * UDP from a fresh random port (RFC 9109), its reply read with the kernel's
 * receive stamp into the clock filter (lib/ntpc.c).
 */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "disc.h"
#include "ntpc.h"
#include "select.h"

/* How long to wait for a reply at most; shorter when the next poll comes sooner. */
#define REPLY_WAIT_NS 2000000000ULL

struct refclock;

struct peer {
	int in_use;
	int origin;           /* its source's slot in upstream.c, -1 for "refclock system" */
	struct refclock *ref; /* a reference clock, or NULL for an NTP server */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char name[64];
	struct ntpc_source ntpc; /* poll, reach and the filter; refclocks use them too */
	int fd;                  /* the socket of the outstanding request, -1 */
	uint64_t deadline;       /* monotonic ns */
	enum sel_mark mark;
	int falseticks; /* consecutive selections as falseticker */
	int polls;      /* requests sent */
};

/* Make @p the NTP server at @sa for the source line @src, first poll at @mono. */
void peer_init(struct peer *p, int origin, const struct sockaddr *sa, socklen_t len,
	       const struct cfg_source *src, uint64_t mono);

/* Close the outstanding request, if any. */
void peer_close(struct peer *p);

/* Send the poll now due, stamped with @d's time. */
void peer_send(struct peer *p, const struct disc *d, uint64_t mono);

/*
 * Read the reply (or the ICMP error) on @p's socket at monotonic @mono.
 * @return 1 when the poll ended (answered or lost: select again), 0 when
 * nothing changed (no datagram yet, or one that is not the answer).
 */
int peer_receive(struct peer *p, const struct disc *d, uint64_t mono);

/* @return 1 when the outstanding request timed out at @mono (the poll is lost), else 0. */
int peer_expire(struct peer *p, uint64_t mono);
