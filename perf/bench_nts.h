/* SPDX-License-Identifier: BSD-3-Clause */
/* The NTS reply's microbenchmarks (bench_nts.c), registered by bench_register_all(). */
#pragma once

/* Register the NTS benchmarks. */
void bench_nts_register(void);
