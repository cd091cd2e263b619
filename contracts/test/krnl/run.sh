#!/usr/bin/env bash
# Runs only the KRNL contract tests (contracts/test/krnl.test.mjs) on a fresh node, like contracts/test/run.sh
# does for the whole suite. NODE_TARGET=krnld KRNLD=... selects krnld; CONTRACTS_OUT the build directory.
# SKIP_BUILD=1 reuses an existing build. WRITE_VECTORS=1 regenerates contracts/test/vectors/attestation.json instead.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/node.sh"
cd "$ROOT"
export CONTRACTS_OUT="${CONTRACTS_OUT:-build/contracts}"
[ -n "${SKIP_BUILD:-}" ] || node contracts/build.mjs --out "$CONTRACTS_OUT" || exit 1
trap stop_node EXIT
start_node || exit 1
if [ -n "${WRITE_VECTORS:-}" ]; then
  node contracts/test/krnl/write-vectors.mjs
else
  node --test --test-concurrency=1 contracts/test/krnl.test.mjs "$@"
fi
