#!/usr/bin/env bash
# Fork mode end to end: tests/fork/fork.test.mjs starts an upstream krnld, a counting proxy and a
# forked krnld (KRNLD, default build/src/node/krnld), and prints the upstream requests per forked
# eth_call; fork_reset.test.mjs adds an anvil upstream (npm @foundry-rs/anvil-linux-amd64) and
# checks anvil_reset, hardhat_reset and anvil_setRpcUrl. Extra arguments go to `node --test`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export KRNLD="${KRNLD:-$ROOT/build/src/node/krnld}"
if [[ ! -x "$KRNLD" ]]; then
  echo "fork: krnld not found at $KRNLD (set KRNLD)" >&2
  exit 2
fi
exec node --test --test-reporter=tap "$@" "$ROOT/tests/fork/fork.test.mjs" \
  "$ROOT/tests/fork/fork_reset.test.mjs"
