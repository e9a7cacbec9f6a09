/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path back: what the host kernel sends through the TAP goes
 * out of the NIC. The other direction is each worker's own TAP tx queue.
 */
#pragma once

#include <stdint.h>

struct dp_exc {
	uint16_t tap; /* the TAP, polled on all its rx queues */
	uint16_t n_tapq;
	uint16_t port; /* the NIC, and the tx queue no other lcore uses */
	uint16_t queue;
	uint64_t fwd;  /* frames the kernel sent */
	uint64_t drop; /* of those, the ones the NIC had no room for */
};

/* Forward one burst from each TAP rx queue to the NIC. @return the frames read. */
unsigned int dp_exc_poll(struct dp_exc *x);

/* The loop of an lcore that only polls the TAP (rte_lcore_function_t, @arg a struct dp_exc). */
int dp_exc_loop(void *arg);
