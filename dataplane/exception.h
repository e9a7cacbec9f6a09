/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path, run by one lcore: frames the workers hand to the
 * kernel arrive on per-worker rings and are written to the TAP here, so the
 * workers never make the TAP's write syscall; what the kernel sends through
 * the TAP goes out of the NIC.
 */
#pragma once

#include <stdint.h>

#include <rte_ring.h>

#define DP_MAX_WORKERS 128

struct dp_exc {
	uint16_t tap; /* the TAP, polled on all its rx queues, written on queue 0 */
	uint16_t n_tapq;
	struct rte_ring *to_kernel[DP_MAX_WORKERS]; /* one per worker: single producer, consumer */
	unsigned int n_rings;
	uint64_t to_tap;      /* frames written to the TAP */
	uint64_t to_tap_drop; /* of those, the ones the TAP had no room for */
	uint16_t port; /* the NIC, and the tx queue no other lcore uses */
	uint16_t queue;
	uint64_t fwd;  /* frames the kernel sent */
	uint64_t drop; /* of those, the ones the NIC had no room for */
};

/*
 * Write one burst from each worker's ring to the TAP, and forward one burst
 * from each TAP rx queue to the NIC. @return the frames moved.
 */
unsigned int dp_exc_poll(struct dp_exc *x);

/* The loop of an lcore that only polls the TAP (rte_lcore_function_t, @arg a struct dp_exc). */
int dp_exc_loop(void *arg);
