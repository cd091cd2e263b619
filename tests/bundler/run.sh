#!/usr/bin/env bash
# The bundler suite: krnld's built-in ERC-4337 bundler judged by real clients (viem's bundler client,
# permissionless) and by scenarios re-expressing eth-infinitism's bundler-spec-tests (tests/bundler/README.md).
# Every test file starts its own krnld (the dev setup, on free ports), so files run in parallel.
#   tests/bundler/run.sh [node --test options] [suite files]   KRNLD=path/to/krnld (default build/src/node/krnld)
set -euo pipefail
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SUITE_DIR/../.." && pwd)"
cd "$ROOT"
export KRNLD="${KRNLD:-$ROOT/build/src/node/krnld}"
if [[ ! -x "$KRNLD" ]]; then
  echo "bundler suite: krnld not found at $KRNLD (build it, or set KRNLD)" >&2
  exit 2
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-bundler.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# The scenario contracts are compiled once per run; every rules file reads the result.
export KRNL_BUNDLER_ARTIFACTS="$WORK/artifacts.json"
node "$SUITE_DIR/lib/compile.mjs" "$KRNL_BUNDLER_ARTIFACTS"
files=()
options=()
for arg in "$@"; do
  if [[ "$arg" == *.test.mjs ]]; then files+=("$arg"); else options+=("$arg"); fi
done
if [[ ${#files[@]} -eq 0 ]]; then files=("$SUITE_DIR"/suite/*.test.mjs); fi
node --test --test-concurrency="${BUNDLER_CONCURRENCY:-2}" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$WORK/tap.txt" \
  "${options[@]}" "${files[@]}" &
TEST_PID=$!
trap 'kill "$TEST_PID" 2>/dev/null; exit 130' INT TERM
status=0
wait "$TEST_PID" || status=$?
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$WORK/tap.txt" || true
exit $status
