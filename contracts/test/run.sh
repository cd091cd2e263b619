#!/usr/bin/env bash
# Builds the contracts, starts a Hardhat node (prague) on a free local port, runs the contract tests
# against it with node's test runner, stops the node and exits with the runner's status.
# CONTRACTS_OUT overrides where the build writes (default build/contracts).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/node.sh"
cd "$ROOT"
export CONTRACTS_OUT="${CONTRACTS_OUT:-build/contracts}"
node contracts/build.mjs --out "$CONTRACTS_OUT" || exit 1
trap stop_hardhat EXIT
start_hardhat || exit 1
# Test files only: helpers under contracts/test/lib would otherwise be run as tests too.
node --test --test-concurrency=1 contracts/test/*.test.mjs
