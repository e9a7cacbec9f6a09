/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "pool NAME": the rules that keep a pool's members good (RFC 8633
 * section 3.2, as ntpd and chrony apply them): a member that stops
 * answering, lies or is refused is dropped, and its address avoided for a
 * while so that the next lookup brings a different one.
 */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#include "peer.h"

/* A pool member lost for this many polls in a row, or falseticker this often, is replaced */
#define POOL_LOST_POLLS 4
#define POOL_FALSETICKS 4
/* A replaced pool member is not taken back from the pool's answers for this long */
#define POOL_AVOID_NS (600 * 1000000000ULL)
#define POOL_AVOID_MAX 16

/* Addresses a pool replaced: lookups skip them until their time is up. */
struct pools_avoid {
	struct {
		struct sockaddr_storage addr;
		socklen_t addrlen;
		uint64_t until; /* monotonic ns, 0 free */
	} a[POOL_AVOID_MAX];
};

/* Why pool member @p must go, or NULL while it is good. */
const char *pools_drop_reason(const struct peer *p);

/* Avoid @sa from @mono on for POOL_AVOID_NS; the entry that ends first makes room. */
void pools_avoid_add(struct pools_avoid *v, const struct sockaddr *sa, socklen_t len,
		     uint64_t mono);

/* @return 1 while @sa is avoided at @mono, else 0. */
int pools_avoided(const struct pools_avoid *v, const struct sockaddr *sa, socklen_t len,
		  uint64_t mono);
