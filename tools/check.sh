#!/bin/sh
# `make check`: everything CI runs (.ci/run), in order, stopping at the first failure:
#   1. `make test`  - the build and the whole suite (unit, integration, fuzz corpora replayed);
#   2. `make asan`  - the same suite built with ASan+LSan+UBSan (build-asan/), where any
#                     sanitizer report from any process fails the run;
#   3. a brief fuzz pass (FUZZ_SECONDS, default 5, per target) of every libFuzzer target,
#      from the sanitizer build's own instrumented targets, with its summary.
# Each phase prints how long it took.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)

phase() {
	name=$1
	shift
	start=$(date +%s)
	"$@"
	echo "check: $name passed in $(($(date +%s) - start)) s"
}

phase "make test" make -C "$here" --no-print-directory test
phase "make asan" sh "$here/tools/asan.sh"
phase "fuzz" env FUZZ_BUILD="$here/build-asan" FUZZ_REUSE=1 FUZZ_SECONDS="${FUZZ_SECONDS:-5}" \
	sh "$here/tools/fuzz.sh"
echo "check: everything passed in $(($(date +%s) - t0)) s"
