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
#include <strata/shm.h>
#include <strata/snapshot.h>

#include "exception.h"
#include "nts.h"

#define DP_BURST 32
#define DP_MAX_PORTS 8 /* "listen dpdk" lines (CFG_MAX_LISTEN) */

struct dp_gens;

/* One port as a worker sees it: its queue pair there is the worker's number. */
struct dp_wport {
	uint16_t nic;
	uint16_t hw_stamp; /* use the NIC's receive stamps (see struct dp_port) */
	uint8_t mac[6];
};

struct dp_worker {
	uint16_t queue; /* its rx and tx queue on every port */
	uint16_t n_ports;
	unsigned int id; /* its reader id in gens->qsbr, its row in the shared memory */
	int adopts;	 /* the only lcore: it adopts generations itself */
	int stamp_off;	 /* mbuf dynamic field and flag of the NIC's stamps */
	uint64_t stamp_flag;
	struct dp_wport port[DP_MAX_PORTS];
	struct dp_gens *gens; /* the service and policy, one generation per burst */
	const struct snap *snap;
	struct strata_counters *cnt; /* this worker's rows in the shared memory */
	struct strata_dp_counters *dpc;
	struct strata_policy pol;   /* this worker's rate limiter; the rest per burst */
	unsigned int tick_shift;    /* limiter ticks: TSC >> tick_shift */
	struct rte_ring *to_kernel; /* frames for the exception path's lcore */
	struct dp_exc *exc;	    /* the exception path, when this worker polls it */
	/* NTS (RFC 8915): stratad's master keys, this worker's copy and its counters */
	const volatile struct strata_nts_keyring *nts_keys;
	struct strata_nts_counters *ntsc;
	struct nts_server nts;
} __rte_cache_aligned;

/* Set by SIGINT and SIGTERM: the workers and the exception poller return. */
extern volatile sig_atomic_t dp_quit;

/* An lcore's loop (rte_lcore_function_t): @arg is its struct dp_worker. */
int dp_worker_loop(void *arg);

/*
 * Send @n frames on @port's tx queue @queue, free what did not go and add it
 * to @lost. @return the frames sent: m[0] up to it.
 */
uint16_t dp_send(uint16_t port, uint16_t queue, struct rte_mbuf **m, uint16_t n, __u64 *lost);
