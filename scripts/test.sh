#!/usr/bin/env bash
# Every test: the Release build (unit tests, fixture suites, state and block tests), the end-to-end
# JSON-RPC suite against krnld and against Hardhat and anvil (the judges), the contract suite, then the C++ tests
# again under AddressSanitizer + UndefinedBehaviorSanitizer. Ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
jobs=$(nproc)

total_passed=0
total_failed=0
# What failed, one line per test, repeated at the end: CI keeps only the tail of the output.
failures=()
# Adds ctest's summary line in LOG to the totals; a log without one (ctest did not run) is a failure.
count_ctest() {  # count_ctest LOG NAME
    local line total failed
    line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -1)
    if [ -z "$line" ]; then
        total_failed=$((total_failed + 1))
        failures+=("$2: ctest printed no summary")
        return
    fi
    local test_line
    while IFS= read -r test_line; do
        failures+=("$2: $test_line")
    done < <(sed -n '/The following tests FAILED:/,$p' "$1" | grep -E '^\s+[0-9]+ - ' | sed -E 's/^\s+//')
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    failed=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
    total_passed=$((total_passed + total - failed))
    total_failed=$((total_failed + failed))
}

# Minutes and seconds since the run started, for the stage lines (CI's time is a budget).
elapsed() { printf '%dm%02ds' $((SECONDS / 60)) $((SECONDS % 60)); }

build_tree() {  # build_tree NAME BUILD_DIR CMAKE_OPTIONS...: 0 when built
    local name=$1 dir=$2
    shift 2
    echo "=== $name: build (at $(elapsed))"
    if ! scripts/build.sh "$dir" "$@"; then
        echo "=== $name: build failed"
        total_failed=$((total_failed + 1))
        failures+=("$name: build failed")
        return 1
    fi
}
run_ctest() {  # run_ctest NAME BUILD_DIR CTEST_ARGUMENTS...
    local name=$1 dir=$2
    shift 2
    echo "=== $name: ctest (at $(elapsed))"
    local log="$dir/ctest.log"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@" 2>&1 | tee "$log"
    count_ctest "$log" "$name"
}

# Adds the "# pass N" and "# fail N" lines of a node test runner's TAP log to the totals; a log
# without them (the runner did not run) or a failed exit with no failing test counts as a failure.
count_tap() {  # count_tap NAME LOG STATUS
    local name=$1 log=$2 status=$3 passed failed
    passed=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
    failed=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
    if [ -z "$passed" ] || [ -z "$failed" ]; then
        echo "=== $name: no test summary (exit $status)"
        total_failed=$((total_failed + 1))
        failures+=("$name: no test summary (exit $status)")
        return
    fi
    # TAP's "not ok" lines, or the spec reporter's "✖" lines (each failure is listed twice there).
    local test_line named=0
    while IFS= read -r test_line; do
        failures+=("$name: $test_line")
        named=$((named + 1))
    done < <(grep -E '^\s*(not ok |✖ )' "$log" | grep -v '✖ failing tests:' | sed -E 's/^\s+//' |
        awk '!seen[$0]++' | head -20)
    if [ "$failed" -gt 0 ] && [ "$named" -eq 0 ]; then
        failures+=("$name: $failed failed (no test name found in its output)")
    fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "=== $name: exit $status"
        total_failed=$((total_failed + 1))
        failures+=("$name: exit $status with no failing test")
    fi
}

# A suite run by node's test runner (TAP), in the foreground.
run_node_suite() {  # run_node_suite NAME COMMAND...
    local name=$1
    shift
    echo "=== $name (at $(elapsed))"
    local log
    log=$(mktemp)
    "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    count_tap "$name" "$log" "$status"
    rm -f "$log"
}

# A suite started in the background (its own ports and files); finish_background_suite waits for it,
# prints its log and counts it.
start_background_suite() {  # start_background_suite LOG COMMAND...
    local log=$1
    shift
    ("$@" >"$log" 2>&1; echo $? >"$log.status") &
}
finish_background_suite() {  # finish_background_suite NAME LOG PID
    local name=$1 log=$2
    wait "$3"
    echo "=== $name (finished at $(elapsed))"
    cat "$log"
    count_tap "$name" "$log" "$(cat "$log.status" 2>/dev/null || echo 1)"
    rm -f "$log" "$log.status"
}

build_tree release build -DCMAKE_BUILD_TYPE=Release && run_ctest release build

# The sanitizer and fuzz trees compile while the node suites run: niced, so the suites keep the CPU
# when they want it, and the compilers take what the suites leave idle (they wait on blocks and
# timers much of the time). Their tests run after the node suites.
# Sanitizers add value to the unit tests, the crash test and a sample of the fixtures (calls, memory,
# precompiles, creation, storage, Cancun: tests/statetest and tests/blocktest); the Release stage
# has run every fixture already. -O1 keeps the samples fast enough; -g1 (line tables) is all the
# sanitizers' reports need, and compiles much faster than full debug information.
# The fuzz tree: each libFuzzer target of tests/fuzz runs 15 s (ASan + UBSan) from a corpus seeded
# out of the fixtures, one test per target (ctest label "fuzz"). clang++-19, because clang 14 leaves
# libstdc++ 12's <expected> empty; only the targets and the libraries they link are built.
build_checked_trees() {  # build_checked_trees STATUS_DIR
    local status=0
    scripts/build.sh build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DKRNL_SANITIZE=ON -DKRNL_BENCH=OFF ||
        status=1
    echo $status >"$1/sanitize"
    status=0
    cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
        -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
        -DKRNL_SANITIZE=ON -DKRNL_FUZZ=ON >/dev/null && ninja -C build-fuzz fuzz_targets || status=1
    echo $status >"$1/fuzz"
}
echo "=== sanitizer and fuzz trees: build in the background (from $(elapsed))"
checked_build_dir=$(mktemp -d)
nice -n 19 bash -c "$(declare -f build_checked_trees); build_checked_trees $checked_build_dir" \
    >"$checked_build_dir/log" 2>&1 &
checked_build_pid=$!

# The contract suite on Hardhat is the slowest node suite (a JavaScript EVM, about 5 minutes) and
# shares nothing with the others (its own port, its own contract build), so it runs beside them.
hardhat_contracts_log=$(mktemp)
start_background_suite "$hardhat_contracts_log" env CONTRACTS_OUT="$PWD/build/contracts-hardhat" \
    contracts/test/run.sh
hardhat_contracts_pid=$!
KRNLD="$PWD/build/src/node/krnld" run_node_suite "e2e: krnld" tests/e2e/run.sh krnld
run_node_suite "e2e: hardhat" tests/e2e/run.sh hardhat
run_node_suite "e2e: anvil" tests/e2e/run.sh anvil
CONTRACTS_OUT="$PWD/build/contracts" NODE_TARGET=krnld KRNLD="$PWD/build/src/node/krnld" \
    run_node_suite "contracts: krnld" contracts/test/run.sh
# The seed's use case through the kernel engine: one test, passed when the story runs to its end.
KRNLD="$PWD/build/src/node/krnld" run_node_suite "krnl_* engine over RPC" tests/krnl/run.sh
KRNLD="$PWD/build/src/node/krnld" run_node_suite "quorum: 2 of 3 krnld engines" tests/quorum/run.sh
# The dashboard (web/, GET /) in chromium: the three dev chains, then the use case's executions.
KRNLD="$PWD/build/src/node/krnld" run_node_suite "dashboard: the page in chromium" tests/dashboard/run.sh
# Fork mode: krnld forked from another krnld and from an anvil, through a counting proxy (its own
# ports); anvil_reset / hardhat_reset / anvil_setRpcUrl, history below the fork block, the disk cache.
KRNLD="$PWD/build/src/node/krnld" run_node_suite "fork: krnld forked from krnld and anvil" tests/fork/run.sh
# Each finding of the hostile-caller review over RPC (docs/security.md); every file starts its own nodes.
KRNLD="$PWD/build/src/node/krnld" run_node_suite "security: hostile callers" tests/security/run.sh
# The ERC-4337 bundler over RPC, judged by viem and permissionless; every file starts its own node.
KRNLD="$PWD/build/src/node/krnld" run_node_suite "bundler: ERC-4337 with real clients" tests/bundler/run.sh
# The SDK (sdk/js, built by npm ci): its suite against krnld, and the type check of the package, its
# tests and the examples written on it (one test, passed when tsc reports nothing).
KRNLD="$PWD/build/src/node/krnld" run_node_suite "sdk: @krnl/sdk against krnld" \
    npm test --silent --workspace @krnl/sdk
echo "=== sdk: type check (at $(elapsed))"
if npm run --silent typecheck --workspace @krnl/sdk &&
    node_modules/.bin/tsc -p examples/rwa-did/tsconfig.json; then
    total_passed=$((total_passed + 1))
else
    echo "=== sdk: type check failed"
    total_failed=$((total_failed + 1))
    failures+=("sdk: type check")
fi
finish_background_suite "contracts: hardhat" "$hardhat_contracts_log" "$hardhat_contracts_pid"
run_example() {  # run_example MODE: the seed's use case end to end, one test
    echo "=== example: rwa-did on $1"
    if KRNLD="$PWD/build/src/node/krnld" examples/rwa-did/test.sh "$1"; then
        total_passed=$((total_passed + 1))
    else
        echo "=== example: rwa-did on $1 failed"
        total_failed=$((total_failed + 1))
        failures+=("example: rwa-did on $1")
    fi
}
run_example krnld
run_example hardhat
# docs/getting-started.md's ten commands, run as written (the clone replaced by this checkout's
# build, which is up to date by now); it serves scripts/run.sh's fixed ports 8545-8547.
run_node_suite "getting started: the walk of docs/getting-started.md" tests/getting-started/run.sh
echo "=== bench: account gas on krnld"
if ! CONTRACTS_OUT="$PWD/build/contracts" NODE_TARGET=krnld KRNLD="$PWD/build/src/node/krnld" \
    bash bench/account_gas.sh; then
    echo "=== bench: account gas did not run"
    total_failed=$((total_failed + 1))
    failures+=("bench: account gas did not run")
fi
echo "=== bench: kernel engine on krnld"
if ! bash bench/krnl_bench.sh build/src/node/krnld build/bench/krnl-bench-engine --seconds 2; then
    echo "=== bench: kernel engine did not run cleanly"
    total_failed=$((total_failed + 1))
    failures+=("bench: kernel engine did not run cleanly")
fi
wait "$checked_build_pid"
echo "=== sanitizer and fuzz trees: built (at $(elapsed)); the build's output:"
cat "$checked_build_dir/log"
if [ "$(cat "$checked_build_dir/sanitize" 2>/dev/null)" = 0 ]; then
    run_ctest sanitize build-sanitize \
        -E "^(statetest.GeneralStateTests|blocktest.ValidBlocks|blocktest.InvalidBlocks)$"
else
    echo "=== sanitize: build failed"
    total_failed=$((total_failed + 1))
    failures+=("sanitize: build failed")
fi
if [ "$(cat "$checked_build_dir/fuzz" 2>/dev/null)" = 0 ]; then
    run_ctest fuzz build-fuzz -L fuzz
else
    echo "=== fuzz: build failed"
    total_failed=$((total_failed + 1))
    failures+=("fuzz: build failed")
fi
rm -rf "$checked_build_dir"

echo "=== done (at $(elapsed))"
if [ ${#failures[@]} -gt 0 ]; then
    echo "=== what failed:"
    printf '  %s\n' "${failures[@]}"
fi
echo "${total_passed} passed, ${total_failed} failed"
[ "$total_failed" -eq 0 ]
