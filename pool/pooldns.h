/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The authoritative answers for the pool zone (docs/pool.md "DNS"): A and
 * AAAA of each pool name from its served addresses, rotated; SOA at the
 * apex; NODATA with the SOA (RFC 2308) for an empty pool or family;
 * NXDOMAIN inside the zone, REFUSED outside, FORMERR for what does not
 * parse. The wire format is ldns's; no I/O here.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "pooldb.h"

#define POOLDNS_UDP_MIN 512	 /* RFC 1035 section 4.2.1 */
#define POOLDNS_UDP_MAX 1232	 /* the EDNS size of DNS flag day 2020: no fragments */
#define POOLDNS_RCODE_BADVERS 16 /* RFC 6891 section 6.1.3, counted at this index */

/*
 * Answer the query of @qlen octets @q into @out (@size octets, 65535 for
 * TCP). @udp: trim the answer to the client's UDP size. @return the length
 * of the answer, 0 when nothing is to be sent (a response, a runt), or
 * -errno. Counts the rcode in db->dns_rcode and rotates the pool's answers.
 */
int pooldns_answer(struct pooldb *db, const uint8_t *q, size_t qlen, int udp, uint8_t *out,
		   size_t size);

/* The TTL of the zone's SOA and of negative answers: the smallest pool TTL (RFC 2308 section 5). */
unsigned int pooldns_soa_ttl(const struct pooldb *db);
