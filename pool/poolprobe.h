/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Monitoring of pool members (docs/pool.md "Scoring"): each address gets a
 * real NTP client request (lib/ntpc.c) every probe interval from a
 * fresh unprivileged socket with a random source port (RFC 9109), and each
 * outcome moves its score as the NTP Pool's monitor does.
 */
#pragma once

#include <stdint.h>

#include "pooldb.h"

#define POOLPROBE_SCORE_MAX 20.0
#define POOLPROBE_SCORE_MIN (-100.0)
#define POOLPROBE_SCORE_START 10.0  /* a new address, just at the threshold */
#define POOLPROBE_THRESHOLD 10.0    /* served while the score is above it */
#define POOLPROBE_DECAY 0.95	    /* score = score * DECAY + step */
#define POOLPROBE_JOIN_GOOD 2	    /* good probes in a row before an address is served */
#define POOLPROBE_OUT_FAILS 2	    /* probes in a row without reply that take it out */
#define POOLPROBE_OFFSET_GOOD 0.050 /* s: a full +1 up to here */
#define POOLPROBE_OFFSET_MAX 0.100  /* s: beyond, out at once */
#define POOLPROBE_TIMEOUT_MAX_NS 2000000000ULL

/* The outcome of a probe that got an answer: ntpc_reply()'s @ev and the measured @offset (s). */
enum pool_outcome poolprobe_classify(int ev, double offset);

/* The score change of one probe outcome. */
double poolprobe_step(enum pool_outcome o, double offset);

/*
 * Count @o (with @offset for a reply) into @a: score, streaks, served
 * state. @return 1 if the served state changed.
 */
int poolprobe_score(struct pool_addr *a, enum pool_outcome o, double offset);

/* Send a probe to @a now (monotonic @now_ns) from a new socket. 0 or -errno. */
int poolprobe_send(struct pool_addr *a, uint64_t now_ns);

/* @a's socket is readable: take the reply. @return 1 if the served state changed. */
int poolprobe_recv(struct pool_addr *a, uint64_t now_ns);

/* @a's probe is past its deadline: no reply. @return 1 if the served state changed. */
int poolprobe_timeout(struct pool_addr *a, uint64_t now_ns);

/* The probe timeout for an interval of @interval s: half of it, 2 s at most. */
uint64_t poolprobe_timeout_ns(unsigned int interval);
