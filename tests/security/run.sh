#!/usr/bin/env bash
# The security suite: each finding of the hostile-caller review (docs/security.md) as a test over RPC.
# Every test file starts the krnld processes it needs on free ports, so files run in parallel.
#   tests/security/run.sh [node --test options]     KRNLD=path/to/krnld (default build/src/node/krnld)
set -euo pipefail
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SUITE_DIR/../.." && pwd)"
cd "$ROOT"
export KRNLD="${KRNLD:-$ROOT/build/src/node/krnld}"
if [[ ! -x "$KRNLD" ]]; then
  echo "security suite: krnld not found at $KRNLD (build it, or set KRNLD)" >&2
  exit 2
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-security.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
node --test --test-concurrency="${SECURITY_CONCURRENCY:-2}" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$WORK/tap.txt" \
  "$@" "$SUITE_DIR"/suite/*.test.mjs &
TEST_PID=$!
trap 'kill "$TEST_PID" 2>/dev/null; exit 130' INT TERM
status=0
wait "$TEST_PID" || status=$?
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$WORK/tap.txt" || true
exit $status
