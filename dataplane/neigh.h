/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour answers of the DPDK dataplane: a NIC owned by DPDK hides ARP,
 * neighbour discovery and ping for the service addresses from the kernel, so
 * the dataplane answers them itself, in place, on the hot path.
 */
#pragma once

#include <stdint.h>

#include <strata/service.h>

/*
 * Octets the buffer at @frame must hold, whatever *len says: a neighbour
 * advertisement (86 octets, 90 with a tag) is longer than a solicitation
 * without options (78, or 82). An mbuf's data room always has them.
 */
#define NEIGH_ROOM 90

enum neigh_verdict {
	NEIGH_REPLY, /* the frame now holds the answer, *len octets long */
	NEIGH_PASS,  /* not ours to answer: the exception path to the kernel */
	NEIGH_DROP,  /* malformed ARP, NS or echo request: discard */
};

/*
 * Answer in place an ARP request (RFC 826), a neighbour solicitation (RFC 4861
 * section 7.2.3) or an ICMP or ICMPv6 echo request (RFC 792, RFC 4443 section
 * 4.1) for one of @svc's addresses, optionally behind one 802.1Q tag (kept),
 * from @mac, to the requester's MAC (all nodes' for duplicate address
 * detection). Only requests the link layer addressed to us are answered: to
 * @mac, or ARP to broadcast, or a solicitation to its solicited-node group's
 * MAC; any other is passed. *len is the frame length in and the reply length out; Ethernet
 * padding is not part of the reply (the NIC pads short frames on transmit).
 * The frame is left untouched unless the verdict is NEIGH_REPLY.
 */
enum neigh_verdict neigh_reply(uint8_t *frame, uint16_t *len, const struct strata_service *svc,
			       const uint8_t mac[6]);
