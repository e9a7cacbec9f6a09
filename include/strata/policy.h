/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Who gets an answer: the access list verdict and the per-client rate
 * limiter that the reply builder consults for every well-formed request,
 * shared by the XDP program, the DPDK workers, the tests and the fuzzer.
 *
 * The rate limiter is a per-core table of fixed size (no state that grows
 * with the number of clients): STRATA_RL_SETS sets of STRATA_RL_WAYS entries,
 * one 64-octet cache line per set. An entry holds a tag of the client's
 * keyed hash and its "theoretical arrival time" (the generic cell rate
 * algorithm, a token bucket kept as one timestamp): each answered request
 * moves it one interval on; a request is over the limit when it would move
 * it more than burst intervals ahead of now. A client not in its set takes
 * the entry that expires first, so when more clients are active than the
 * table holds, the newcomers are not limited (it fails open for the honest
 * many) while the flooders, whose entries lie furthest ahead, stay.
 *
 * Over the limit, 1 in 2^leak requests is still answered (the leak, as
 * chrony's ratelimit): a spoofed flood that claims a victim's address then
 * cannot cut the victim off. The rest are dropped or, with kod, answered by
 * a RATE kiss-o'-death (RFC 5905 section 7.4), itself limited to one per
 * client until the client is under the limit again.
 */
#pragma once

#include "compat.h"
#include "counters.h"

/** Access list actions: the values of the XDP LPM maps and of the DPDK LPM next hops. */
enum strata_acl_action {
	STRATA_ACL_ALLOW = 0,
	STRATA_ACL_DENY = 1,     /* dropped silently */
	STRATA_ACL_DENY_KOD = 2, /* answered by a DENY kiss-o'-death */
};

/** Rules per address family in one generation; the XDP LPM maps hold two generations. */
#define STRATA_ACL_MAX 1024

/**
 * Keys of the XDP LPM tries: the prefix length, the configuration set (0 or
 * 1, the parity of the generation: docs/xdp.md) as the first octet, then the
 * address in network order. A rule's prefix length is its own plus the 8 bits
 * of the set, so each set is a separate subtree of one trie.
 */
struct strata_acl4_key {
	__u32 prefixlen;
	__u8 set;
	__u8 addr[4];
	__u8 pad[3];
};
_Static_assert(sizeof(struct strata_acl4_key) == 12, "acl4 key layout");
struct strata_acl6_key {
	__u32 prefixlen;
	__u8 set;
	__u8 addr[16];
	__u8 pad[3];
};
_Static_assert(sizeof(struct strata_acl6_key) == 24, "acl6 key layout");

#define STRATA_RL_WAYS 8
#ifndef STRATA_RL_SETS_LOG2 /* a build may change it to time the table's size (perf/xdp-cost) */
#define STRATA_RL_SETS_LOG2 14
#endif
#define STRATA_RL_SETS (1u << STRATA_RL_SETS_LOG2)

/*
 * Limiter time: ticks of about a millisecond, each consumer's own (the
 * XDP program uses 2^20 ns, DPDK a power-of-two fraction of the TSC), so a
 * 32-bit timestamp wraps only after some 50 days.
 */
struct strata_rl_entry {
	__u32 tag; /* the hash's top 32 bits, bit 1 set (0 is empty); bit 0: a KoD was sent */
	__u32 tat; /* theoretical arrival time, limiter ticks */
};

struct strata_rl_set {
	struct strata_rl_entry way[STRATA_RL_WAYS];
};
_Static_assert(sizeof(struct strata_rl_set) == 64, "a set is one cache line");

/** One core's limiter: 1 MiB and a cache line. */
struct strata_rl_table {
	__u64 rng; /* xorshift64 state for the leak; never 0 */
	__u64 pad[7];
	struct strata_rl_set set[STRATA_RL_SETS];
};

/** The policy settings, written by stratad (XDP: a map; DPDK: from the config). */
struct strata_policy_conf {
	__u32 rl_on;       /* a ratelimit line is configured */
	__u32 interval;    /* ticks between answers, on average */
	__u32 window;      /* burst * interval ticks: how far ahead an entry may run */
	__u32 leak;        /* log2: 1 in 2^leak requests over the limit is answered */
	__u32 kod;         /* over the limit: RATE KoD (else drop) */
	__u32 acl_on;      /* allow/deny lines are configured */
	__u32 acl_default; /* enum strata_acl_action for sources no rule covers */
	__s32 kod_poll;    /* log2 s: the least poll a RATE KoD asks for (the interval) */
	__u64 seed;        /* hash key: keeps a flood from aiming at a victim's set */
};
_Static_assert(sizeof(struct strata_policy_conf) == 40, "policy conf layout");

/** What the reply builder is handed: the settings and this core's state. */
struct strata_policy {
	const struct strata_policy_conf *conf;
	struct strata_rl_table *rl; /* this core's table, with conf->rl_on */
	__u32 now;                  /* limiter ticks */
	__u32 pad;
	const void *acl;            /* the consumer's ACL tables, for STRATA_ACL4/6 */
};

/** The key of an IPv4 client: its address, beside any IPv6 /64 (ffff:ffff::/32 is multicast). */
STRATA_INLINE __u64
strata_rl_key4(__be32 a)
{
	return 0xffffffff00000000ull | strata_ntohl(a);
}

/*
 * The key of an IPv6 client: its /64. One host or one customer subnet holds
 * a whole /64 (RFC 7421) and can pick any address in it: limiting single
 * addresses would let it pass the limit by cycling through them.
 */
STRATA_INLINE __u64
strata_rl_key6(const __be32 *a)
{
	return (__u64)strata_ntohl(a[0]) << 32 | strata_ntohl(a[1]);
}

/* splitmix64's finaliser over the key and the secret seed. */
STRATA_INLINE __u64
strata_rl_hash(__u64 key, __u64 seed)
{
	__u64 h = key ^ seed;

	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/*
 * What an entry of the client says of one more request at @now (the
 * generic cell rate algorithm).
 */
STRATA_INLINE __u32
strata_rl_entry(struct strata_rl_table *t, const struct strata_policy_conf *c,
		struct strata_rl_entry *e, __u32 now)
{
	__s32 ahead = (__s32)(e->tat - now);
	__u64 x;

	/*
	 * An entry behind now has idled: its bucket is full. One further ahead
	 * than the window cannot be (each answer moves it one interval past
	 * at most window - interval): it wrapped after some 25 days of silence.
	 */
	if (ahead < 0 || ahead > (__s32)c->window) {
		e->tat = now;
		ahead = 0;
	}
	if (ahead <= (__s32)(c->window - c->interval)) {
		e->tat += c->interval;
		e->tag &= ~1u;
		return STRATA_R_REPLY;
	}

	/* xorshift64 (Marsaglia 2003): the leak must not be predictable from outside */
	x = t->rng;
	if (x == 0) /* a table nobody seeded: 0 is xorshift's fixed point */
		x = strata_rl_hash(c->seed, 0x9e3779b97f4a7c15ull) | 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t->rng = x;
	/* leak is 1..16 (the config checks); 0 would mean no leak at all */
	if (c->leak != 0 && (x >> ((64 - c->leak) & 63)) == 0)
		return STRATA_R_REPLY_LEAK;
	if (c->kod && !(e->tag & 1)) {
		e->tag |= 1;
		return STRATA_R_REPLY_KOD_RATE;
	}
	return STRATA_R_DROP_RATE;
}

/*
 * How far ahead of @now an entry runs; empty ones, and ones whose time
 * wrapped (further ahead than any answer can put them), furthest behind.
 */
STRATA_INLINE __s32
strata_rl_ahead(const struct strata_rl_entry *e, const struct strata_policy_conf *c, __u32 now)
{
	__s32 ahead = (__s32)(e->tat - now);

	return e->tag == 0 || ahead > (__s32)c->window ? -0x7fffffff : ahead;
}

/**
 * One request from the client with key @key at @now: returns
 * STRATA_R_REPLY (under the limit), STRATA_R_REPLY_LEAK (over it, answered
 * anyway), STRATA_R_REPLY_KOD_RATE or STRATA_R_DROP_RATE.
 */
STRATA_INLINE __u32
strata_rl_check(struct strata_rl_table *t, const struct strata_policy_conf *c, __u64 key,
		__u32 now)
{
	struct strata_rl_set *s;
	__s32 oldest, ahead;
	__u64 h;
	__u32 tag, i, victim;

	h = strata_rl_hash(key, c->seed);
	s = &t->set[h & (STRATA_RL_SETS - 1)];
	tag = (__u32)(h >> 32) | 2;
	/* constant indices where clang unrolls the loops: less for the verifier to track */
	for (i = 0; i < STRATA_RL_WAYS; i++)
		if ((s->way[i].tag | 1) == (tag | 1))
			return strata_rl_entry(t, c, &s->way[i], now);

	/*
	 * A newcomer takes the entry that expires first, the lowest such way.
	 * One pass: clang left the two loops this was (the minimum, then its
	 * way) as a loop that a fall-through closes, which Linux 6.1's verifier
	 * rejects ("back-edge from insn", check_cfg), whatever the bound.
	 */
	victim = 0;
	oldest = strata_rl_ahead(&s->way[0], c, now);
	for (i = 1; i < STRATA_RL_WAYS; i++) {
		ahead = strata_rl_ahead(&s->way[i], c, now);
		if (ahead < oldest) {
			oldest = ahead;
			victim = i;
		}
	}
	s->way[victim & (STRATA_RL_WAYS - 1)].tag = tag;
	s->way[victim & (STRATA_RL_WAYS - 1)].tat = now;
	return strata_rl_entry(t, c, &s->way[victim & (STRATA_RL_WAYS - 1)], now);
}

/**
 * The policy's verdict for a well-formed request from the client with key
 * @key whose access list action is @acl: STRATA_R_REPLY, _LEAK, _KOD_RATE,
 * _KOD_DENY, STRATA_R_DROP_RATE or _DENY. A DENY KoD goes through the
 * limiter as well, so that denied spoofed floods reflect no more than the
 * limit allows; without a limiter it is sent for each request (never larger
 * than the request).
 */
STRATA_INLINE __u32
strata_policy_check(const struct strata_policy *p, __u32 acl, __u64 key)
{
	const struct strata_policy_conf *c = p->conf;
	__u32 r;

	if (acl == STRATA_ACL_DENY)
		return STRATA_R_DROP_DENY;
	if (!c->rl_on || p->rl == 0)
		return acl == STRATA_ACL_DENY_KOD ? STRATA_R_REPLY_KOD_DENY : STRATA_R_REPLY;
	r = strata_rl_check(p->rl, c, key, p->now);
	if (acl != STRATA_ACL_DENY_KOD)
		return r;
	return r == STRATA_R_REPLY ? STRATA_R_REPLY_KOD_DENY : STRATA_R_DROP_DENY;
}
