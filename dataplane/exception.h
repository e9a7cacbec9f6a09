/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path, run by one lcore: frames the workers hand to the
 * kernel arrive on per-worker rings and are written here to the TAP of the
 * port they came in on (one TAP per port, so that the kernel sees each NIC as
 * an interface of its own), so the workers never make the TAP's write
 * syscall; what the kernel sends through a TAP goes out of its NIC.
 */
#pragma once

#include <stdint.h>

#include <rte_ring.h>

#include <strata/shm.h>

#define DP_MAX_WORKERS 128
#define DP_EXC_PORTS 8 /* DP_MAX_PORTS */

struct dp_gens;

struct dp_exc {
	struct {
		uint16_t nic; /* the NIC, written on tx queue @queue, which no worker uses */
		uint16_t tap; /* its TAP, polled on all its rx queues, written on queue 0 */
		uint16_t n_tapq;
	} port[DP_EXC_PORTS];
	unsigned int n_ports;
	uint16_t queue;
	struct rte_ring *to_kernel[DP_MAX_WORKERS]; /* one per worker: single producer, consumer */
	unsigned int n_rings;
	struct strata_dp_counters *cnt; /* the exception path's row in the shared memory */
	struct dp_gens *gens;		/* the main lcore polling this also adopts generations */
};

/*
 * Write one burst from each worker's ring to the TAPs, and forward one burst
 * from each TAP rx queue to its NIC. @return the frames moved.
 */
unsigned int dp_exc_poll(struct dp_exc *x);

/*
 * The loop of the main lcore when it polls the TAPs (rte_lcore_function_t,
 * @arg a struct dp_exc): it also adopts configuration generations.
 */
int dp_exc_loop(void *arg);
