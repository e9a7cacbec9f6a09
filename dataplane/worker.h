/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers: one per lcore, each with its own queue pair on the NIC and its
 * own ring to the exception path, so that no two lcores ever share a queue.
 */
#pragma once

#include <signal.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include <strata/counters.h>
#include <strata/policy.h>
#include <strata/service.h>
#include <strata/snapshot.h>

#include "exception.h"

#define DP_BURST 32

/* Outcomes outside the NTP counters (the neighbour responder's, and lost frames). */
struct dp_worker_stats {
	uint64_t neigh_reply; /* ARP, neighbour advertisements, echo replies sent */
	uint64_t neigh_drop;  /* refused by the neighbour responder */
	uint64_t tx_drop;     /* replies the NIC's tx queue had no room for */
	uint64_t exc_drop;    /* frames for the kernel their ring had no room for */
};

struct dp_worker {
	uint16_t port;	/* the NIC */
	uint16_t queue; /* its rx and tx queue on the NIC, and its tx queue on the TAP */
	uint16_t tap;
	int hw_stamp; /* use the NIC's receive stamps (see struct dp_port) */
	int stamp_off;
	uint64_t stamp_flag;
	uint8_t mac[6];
	const struct strata_service *svc;
	const struct snap *snap;
	struct strata_counters *cnt; /* this worker's row in the shared memory */
	struct strata_policy pol;    /* access list, and this worker's rate limiter */
	unsigned int tick_shift;     /* limiter ticks: TSC >> tick_shift */
	struct rte_ring *to_kernel;  /* frames for the exception path's lcore */
	struct dp_exc *exc;	     /* the exception path, when this worker polls it */
	struct dp_worker_stats st;
} __rte_cache_aligned;

/* Set by SIGINT and SIGTERM: the workers and the exception poller return. */
extern volatile sig_atomic_t dp_quit;

/* An lcore's loop (rte_lcore_function_t): @arg is its struct dp_worker. */
int dp_worker_loop(void *arg);

/* Send @n frames on @port's tx queue @queue, free what did not go and add it to @lost. */
void dp_send(uint16_t port, uint16_t queue, struct rte_mbuf **m, uint16_t n, uint64_t *lost);
