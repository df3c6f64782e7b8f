#!/bin/sh
# `make fuzz`: builds the libFuzzer targets of fuzz/ with clang (build-fuzz/, ASan+UBSan)
# and runs each for FUZZ_SECONDS (default 180) from its seed corpus, then prints how many
# inputs each ran and what it found.  A crash leaves its input under
# build-fuzz/crashes/<target>/ and fails the run: copy it to fuzz/regress/<target>/ once
# fixed, so `make test` replays it for ever.  FUZZ_TARGETS limits the run to some targets.
# FUZZ_REUSE=1 fuzzes the targets of an already configured fuzzing build (FUZZ_BUILD, e.g.
# build-asan after `make asan`) as they are, without configuring it again.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build="${FUZZ_BUILD:-$here/build-fuzz}"
secs="${FUZZ_SECONDS:-180}"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

if [ "${FUZZ_REUSE:-0}" != 1 ]; then
	CC="${CC:-clang}" cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_FUZZ=ON >/dev/null
fi
cmake --build "$build" -j "$jobs" --target fuzz-all
# Reports go to the log of the run (a build with CAIRN_SANITIZE would write them to files).
export ASAN_OPTIONS="log_path=stderr${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=stderr:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
targets="${FUZZ_TARGETS:-$(cd "$here/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}"
status=0
summary=""
for t in $targets; do
	work="$build/corpus/$t"
	crashes="$build/crashes/$t"
	log="$build/logs/$t.log"
	mkdir -p "$work" "$crashes" "$(dirname "$log")"
	rm -f "$crashes"/*
	rc=0
	# The work corpus grows across runs; the seeds in the repo stay as they are.
	"$build/fuzz/fuzz-$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
		"$work" "$here/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	found=$(find "$crashes" -type f | wc -l)
	seeds=$(find "$here/fuzz/corpus/$t" -type f | wc -l)
	size=$(($(find "$work" -type f | wc -l) + seeds))
	if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
		status=1
		echo "fuzz: $t FAILED (exit $rc), see $log:" >&2
		grep -E "ERROR|SUMMARY|==[0-9]+==" "$log" | head -20 >&2 || true
	fi
	summary="$summary$(printf '%-12s %12s inputs run  %6s in corpus (%s seeds)  %3s crashes' "$t" "${runs:-?}" "$size" "$seeds" "$found")
"
done
printf 'fuzz: %s s per target\n%s' "$secs" "$summary"
exit "$status"
