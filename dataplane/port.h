/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port: a NIC served (a PCI device or a vdev) and its exception path, a
 * TAP interface through which the host kernel sees every frame strata does
 * not answer and sends its own traffic out of the NIC.
 */
#pragma once

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "placement.h"

/*
 * The host side of the exception path, one TAP per port: strata0 for the
 * first "listen dpdk" line, strata1 for the second, ...; the operator gives
 * each the host's addresses on that link.
 */
#define DP_TAP_PREFIX "strata"

struct dp_port {
	uint16_t nic;	     /* ethdev port of the NIC */
	uint16_t tap;	     /* ethdev port of the TAP */
	uint16_t max_q;	     /* queue pairs both ports can give */
	uint16_t max_txq;    /* NIC tx queues */
	int started;	     /* both ports started: stop them on close */
	int hw_stamp;	     /* the NIC stamps receive times (RTE_ETH_RX_OFFLOAD_TIMESTAMP) */
	int stamp_off;	     /* mbuf dynamic field of that stamp */
	uint64_t stamp_flag; /* mbuf dynamic flag: this mbuf has one */
	struct rte_ether_addr mac;
	struct rte_mempool *pool;
	char name[64];	    /* EAL's device name */
	char pci[64];	    /* the PCI address, empty for a vdev */
	char tap_name[16];  /* the TAP's interface name */
	unsigned int index; /* its "listen dpdk" line among the others, from 0 */
};

/*
 * Find the NIC @spec (a PCI address or a vdev spec, with optional devargs)
 * among EAL's ports, probing it when EAL does not have it yet, and create its
 * TAP, DP_TAP_PREFIX @index, with the NIC's MAC address. @return 0 or
 * -errno, with a message.
 */
int dp_port_open(struct dp_port *p, const char *spec, unsigned int index);

/*
 * Configure and start both ports for layout @l: one rx/tx queue pair per
 * worker on each, RSS over IP addresses alone where the NIC offers it, a NIC tx
 * queue for the exception poller, hardware rx stamps when the NIC has them.
 * @return 0 or -errno, with a message.
 */
int dp_port_start(struct dp_port *p, const struct dp_layout *l);

/* Print the ports' counters. */
void dp_port_stats(const struct dp_port *p);

/* Stop and close what dp_port_open() and dp_port_start() set up. */
void dp_port_close(struct dp_port *p);
