#!/usr/bin/env bash
# Every test: the Release build (unit tests, fixture suites, state tests), then the same under
# AddressSanitizer + UndefinedBehaviorSanitizer. Ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
jobs=$(nproc)

total_passed=0
total_failed=0
run_suite() {  # run_suite NAME BUILD_DIR CMAKE_OPTIONS...
    local name=$1 dir=$2
    shift 2
    echo "=== $name: build"
    if ! scripts/build.sh "$dir" "$@"; then
        echo "=== $name: build failed"
        total_failed=$((total_failed + 1))
        return
    fi
    echo "=== $name: ctest"
    local log="$dir/ctest.log"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" 2>&1 | tee "$log"
    local line passed total
    line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
    if [ -z "$line" ]; then
        total_failed=$((total_failed + 1))
        return
    fi
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    failed=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
    total_passed=$((total_passed + total - failed))
    total_failed=$((total_failed + failed))
}

run_suite release build -DCMAKE_BUILD_TYPE=Release
# The sanitizer build keeps optimisation so the state tests finish in reasonable time.
run_suite sanitize build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKRNL_SANITIZE=ON

echo "${total_passed} passed, ${total_failed} failed"
[ "$total_failed" -eq 0 ]
