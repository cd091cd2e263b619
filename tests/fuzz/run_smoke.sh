#!/usr/bin/env bash
# One fuzz target for a short while, from a corpus seeded out of the fixtures (the ctest of each
# target, label "fuzz"). A crash, leak, timeout or broken invariant fails the test and the input is
# printed (hex and base64) with the command that reproduces it.
#   run_smoke.sh TARGET_BINARY SEEDS_TOOL FIXTURES_DIR WORK_DIR SECONDS
set -uo pipefail
target=$1 seeds_tool=$2 fixtures=$3 work=$4 seconds=$5
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$target")
seeds="$work/seeds/$name" corpus="$work/corpus/$name" crashes="$work/crashes/$name"
rm -rf "$seeds" "$corpus" "$crashes"
mkdir -p "$seeds" "$corpus" "$crashes"
"$seeds_tool" "$name" "$fixtures" "$here/seeds" "$seeds" || exit 1

# Symbolised stacks: clang-19's own symbolizer when llvm-19 is installed, else any.
ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-19 || command -v llvm-symbolizer)}
export ASAN_SYMBOLIZER_PATH
# A fixed seed by default, so that CI explores the same inputs on every run and a red run is a real
# regression to reproduce, not a new find by chance; KRNL_FUZZ_SEED=0 lets libFuzzer pick one.
options=(-seed="${KRNL_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
         -artifact_prefix="$crashes/")
[ -f "$here/${name#fuzz_}.dict" ] && options+=(-dict="$here/${name#fuzz_}.dict")
log="$work/$name.log"
"$target" "${options[@]}" "$corpus" "$seeds" >"$log" 2>&1
status=$?
grep -E '^(INFO: Seed:|INFO: seed corpus|#[0-9]+\s+DONE|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log"
if [ "$status" -eq 0 ] && [ -z "$(ls -A "$crashes")" ]; then
    echo "$name: no crash in ${seconds}s"
    exit 0
fi
echo "$name: FAILED (exit $status); the end of its log:"
tail -n 60 "$log"
for input in "$crashes"/*; do
    [ -f "$input" ] || continue
    echo "--- $input ($(stat -c %s "$input") bytes); reproduce with: $target $input"
    od -A x -t x1z -v "$input" | head -n 64
    echo "base64: $(base64 -w0 "$input" | head -c 8192)"
done
exit 1
