// SPDX-License-Identifier: BSD-3-Clause
//
// The only C++ in strata: Google Benchmark behind the C API of bench_shim.h.
// A struct bench_state * is the benchmark::State itself, never dereferenced
// on the C side.

#include <benchmark/benchmark.h>

extern "C" {
#include "bench_shim.h"
}

static benchmark::State *
state(struct bench_state *st)
{
	return reinterpret_cast<benchmark::State *>(st);
}

extern "C" void
bench_register(const char *name, void (*fn)(struct bench_state *))
{
	benchmark::RegisterBenchmark(name, [fn](benchmark::State &s) {
		fn(reinterpret_cast<struct bench_state *>(&s));
	});
}

extern "C" int
bench_keep_running(struct bench_state *st, uint64_t batch)
{
	return state(st)->KeepRunningBatch(static_cast<benchmark::IterationCount>(batch));
}

extern "C" void
bench_set_items_processed(struct bench_state *st, int64_t n)
{
	state(st)->SetItemsProcessed(n);
}

extern "C" int64_t
bench_iterations(const struct bench_state *st)
{
	return reinterpret_cast<const benchmark::State *>(st)->iterations();
}

int
main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	bench_register_all();
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
