#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The long fuzzing run of docs/security.md: each libFuzzer target in turn,
# one process on one core (the other cores stay free), bounded in time, from
# the committed seeds plus the corpus an earlier run left in OUT. Prints one
# line per target: seconds, executions, executions per second, corpus size,
# crashes (the reproducers are OUT/crash-TARGET-*).
#
# usage: tests/fuzz/long_run.sh BUILDDIR [SECONDS [TARGET...]]
#   SECONDS per target (default 900); TARGETs from reply, config, ntpc (all),
#   poolreg, pooldns (built with strata-pool).
#   OUT=/tmp/strata-fuzz-long by default; SEED=1 by default.
set -eu

build=${1:?usage: $0 BUILDDIR [SECONDS [TARGET...]]}
secs=${2:-900}
if [ $# -ge 2 ]; then shift 2; else shift $#; fi
targets=${*:-reply config ntpc}
src=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/strata-fuzz-long}
seed=${SEED:-1}

mkdir -p "$out"
printf '%-7s %8s %12s %9s %7s %7s\n' target seconds executions exec/s corpus crashes
for t in $targets; do
	bin=$build/tests/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "$bin: not built (meson -Dfuzz=enabled)" >&2; exit 1; }
	case $t in
	reply) opts=-max_len=2048 ;;
	ntpc) opts=-max_len=512 ;;
	config) opts="-max_len=4096 -dict=$src/config.dict" ;;
	poolreg | pooldns) opts=-max_len=1024 ;;
	*) echo "unknown target $t" >&2; exit 1 ;;
	esac
	mkdir -p "$out/corpus-$t"
	start=$(date +%s)
	# shellcheck disable=SC2086 # $opts holds several options
	nice -n 10 "$bin" $opts -seed="$seed" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$out/crash-$t-" "$out/corpus-$t" "$src/corpus/$t" \
		>"$out/$t.log" 2>&1 || true
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log")
	crashes=$(find "$out" -maxdepth 1 -name "crash-$t-*" | wc -l)
	printf '%-7s %8d %12s %9s %7d %7d\n' "$t" $((end - start)) "${execs:-?}" "${rate:-?}" \
		"$(find "$out/corpus-$t" -type f | wc -l)" "$crashes"
done
