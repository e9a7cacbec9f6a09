/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A C face for Google Benchmark, so that the benchmarks are C like the code
 * they measure and the C++ stays in bench_shim.cc. bench_shim.cc has main():
 * the usual --benchmark_* flags work.
 */
#pragma once

#include <stdint.h>

/* A benchmark::State, opaque to C. */
struct bench_state;

/**
 * Register @fn under @name. Called from bench_register_all(), which the
 * benchmark file defines and main() calls before running anything.
 */
void bench_register(const char *name, void (*fn)(struct bench_state *));

/** The benchmark file's list of bench_register() calls. */
void bench_register_all(void);

/*
 * The timing loop, in batches: while (bench_keep_running(st, BATCH)) run the
 * operation BATCH times. One call into C++ per batch keeps the loop's own
 * cost, a call and a branch, out of the per-operation figures.
 */
int bench_keep_running(struct bench_state *st, uint64_t batch);

/** Report items per second as well, @n items over the whole run. */
void bench_set_items_processed(struct bench_state *st, int64_t n);

/** Iterations run so far (after the loop: all of them). */
int64_t bench_iterations(const struct bench_state *st);

/*
 * benchmark::DoNotOptimize and ClobberMemory, which are inline asm in the
 * C++ header; the same asm here, so that they cost nothing but the compiler
 * must still produce the value or the memory.
 */

/** The compiler must assume @p escapes: whatever it points to is read. */
static inline void
bench_escape(const void *p)
{
	__asm__ __volatile__("" : : "g"(p) : "memory");
}

/** The compiler must compute @v. */
static inline void
bench_use(uint64_t v)
{
	__asm__ __volatile__("" : : "r"(v));
}

/** All memory may have been read and written. */
static inline void
bench_clobber(void)
{
	__asm__ __volatile__("" : : : "memory");
}
