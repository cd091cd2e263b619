#!/usr/bin/env bash
# Builds the contracts, starts a Hardhat node (prague) on a free local port, runs bench/account_gas.mjs
# against it and stops the node. CONTRACTS_OUT overrides the build directory (default build/contracts).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../contracts/test/lib/node.sh"
cd "$ROOT"
export CONTRACTS_OUT="${CONTRACTS_OUT:-build/contracts}"
node contracts/build.mjs --out "$CONTRACTS_OUT" >/dev/null || exit 1
trap stop_node EXIT
start_node || exit 1
node bench/account_gas.mjs
