/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Internet checksum as RFC 1071 section 4.1 writes it, octet by octet in
 * 16-bit big-endian words: the tests' and the fuzzer's reference, written
 * independently of include/strata/inet.h so that a bug there cannot hide.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Add the @n octets at @p to @sum; an odd last octet is padded with zero. */
static inline uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

/* Fold the carries back in (RFC 1071 section 4.1). */
static inline uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}
