/* SPDX-License-Identifier: BSD-3-Clause */
/* The NTS reply's microbenchmarks (bench_nts.c), registered by bench_register_all(). */
#pragma once

#include <stdint.h>

struct nts_server;

/* Register the NTS benchmarks (and make the request and keys below). */
void bench_nts_register(void);

/* The steady-state NTS request (one cookie, AEAD 15): its NTP octets, *@len of them. */
const uint8_t *bench_nts_request(uint32_t *len);

/* The server state whose master key opens that request's cookie. */
struct nts_server *bench_nts_server(void);
