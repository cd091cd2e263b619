#!/usr/bin/env bash
# Builds the contracts, starts a node on a free local port (a Hardhat node with prague, or krnld
# --dev with NODE_TARGET=krnld), runs the contract tests against it with node's test runner, stops
# the node and exits with the runner's status.
# CONTRACTS_OUT overrides where the build writes (default build/contracts).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/node.sh"
cd "$ROOT"
export CONTRACTS_OUT="${CONTRACTS_OUT:-build/contracts}"
node contracts/build.mjs --out "$CONTRACTS_OUT" || exit 1
trap stop_node EXIT
start_node || exit 1
# Test files only: helpers under contracts/test/lib would otherwise be run as tests too.
node --test --test-concurrency=1 contracts/test/*.test.mjs
