#!/usr/bin/env bash
# The dashboard in a real browser: tests/dashboard/dashboard.test.mjs starts krnld (KRNLD, default
# build/src/node/krnld) on config/dev.toml's three chains at free ports, opens the page served at
# GET / in Debian's chromium (driven by npm playwright-core), plays the seed's use case
# (examples/rwa-did/run.mjs: one approved trade, one wallet refused by the policy) and checks what
# the page shows. Screenshots go to DASHBOARD_OUT (default: <build dir>/dashboard). Needs
# `apt-get install chromium` (CHROMIUM names another binary) and the contract build
# (KRNL_CONTRACTS_OUT, default <build dir>/contracts). Prints TAP, then "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export KRNLD="${KRNLD:-$ROOT/build/src/node/krnld}"
build_dir="$(cd "$(dirname "$KRNLD")/../.." 2>/dev/null && pwd)"
export KRNL_CONTRACTS_OUT="${KRNL_CONTRACTS_OUT:-$build_dir/contracts}"
export DASHBOARD_OUT="${DASHBOARD_OUT:-$build_dir/dashboard}"
export CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
if [[ ! -x "$KRNLD" ]]; then
    echo "dashboard: krnld not found at $KRNLD (set KRNLD)" >&2
    echo "0 passed, 1 failed"
    exit 2
fi
if [[ -z "$CHROMIUM" ]]; then
    echo "dashboard: no chromium (apt-get install chromium, or set CHROMIUM)" >&2
    echo "0 passed, 1 failed"
    exit 2
fi
mkdir -p "$DASHBOARD_OUT"
log=$(mktemp)
node --test --test-reporter=tap "$@" "$ROOT/tests/dashboard/dashboard.test.mjs" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
failed=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
rm -f "$log"
if [[ -z "$passed" || -z "$failed" ]]; then
    passed=${passed:-0}
    failed=$((${failed:-0} + 1))
fi
echo "screenshots: $DASHBOARD_OUT"
echo "${passed} passed, ${failed} failed"
[[ $status -eq 0 && $failed -eq 0 ]]
