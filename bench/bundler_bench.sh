#!/usr/bin/env bash
# The built-in ERC-4337 bundler against Alto over anvil, in one run (bench/bundler_bench.mjs says
# what is measured and how): accepted ops/s with ERC-7562 validation, and op -> receipt latency.
#   bench/bundler_bench.sh [KRNLD] [--ops N] [--rounds R] [--latency-ops M] [--concurrency C] [--only krnld|alto]
# Builds nothing: KRNLD defaults to build/src/node/krnld. Needs node and `npm ci` (viem, @pimlico/alto,
# @foundry-rs/anvil-linux-amd64) and the compiled contracts (build/contracts/predeploys.json).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -gt 0 && "$1" != --* ]]; then
  KRNLD="$(realpath "$1")"
  shift
fi
export KRNLD="${KRNLD:-$ROOT/build/src/node/krnld}"
if [[ ! -x "$KRNLD" ]]; then
  echo "bundler_bench: krnld not found at $KRNLD (build it, or pass its path)" >&2
  exit 2
fi
exec node "$ROOT/bench/bundler_bench.mjs" "$@"
