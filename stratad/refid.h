/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reference ID a stratum-2+ server sends (RFC 5905 section 7.3): the
 * system peer's IPv4 address, or the first four octets of the MD5 hash of
 * its IPv6 address.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The refid for a peer at @sa, in network order as on the wire. */
uint32_t refid_of(const struct sockaddr *sa);

/* MD5 (RFC 1321) of @len octets at @data into @out: only for refids, not for security. */
void refid_md5(const void *data, size_t len, uint8_t out[16]);
