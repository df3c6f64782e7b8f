#!/bin/sh
# `make asan`: builds everything with AddressSanitizer + LeakSanitizer + UBSan in its own
# folder and runs the whole test suite there, daemons included.  Every sanitizer report
# (written to files by src/lib/sanitizer_opts.c, whichever process hit it) fails the run.
# The build also carries libFuzzer's coverage instrumentation (CAIRN_FUZZ), so its fuzz
# targets are real libFuzzer binaries: `make check` fuzzes them briefly from this same
# build (tools/fuzz.sh with FUZZ_REUSE=1) instead of building everything a third time.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build="${ASAN_BUILD:-$here/build-asan}"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
reports="$build/sanitizer-reports"

CC="${CC:-clang}" cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON \
	-DCAIRN_FUZZ=ON >/dev/null
cmake --build "$build" -j "$jobs"
rm -rf "$reports"
mkdir -p "$reports"
status=0
# CTEST_ARGS is read as shell words, quotes included: CTEST_ARGS="-R 'agent|sdk'".
eval "set -- ${CTEST_ARGS:-}"
(cd "$build" && ctest --output-on-failure -j "$jobs" "$@") || status=$?
found=$(find "$reports" -type f | sort)
if [ -n "$found" ]; then
	echo "asan: sanitizer reports:" >&2
	for f in $found; do
		echo "==== $f" >&2
		cat "$f" >&2
	done
	status=1
fi
what="whole suite"
[ -n "${CTEST_ARGS:-}" ] && what="tests selected by CTEST_ARGS ($CTEST_ARGS)"
[ "$status" -eq 0 ] && echo "asan: $what passed with no sanitizer report"
exit "$status"
