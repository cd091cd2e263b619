#!/usr/bin/env bash
# The main job: krnld serving the three dev chains of config/dev.toml (31337, 31338, 31339) with
# the kernel engine, and the seed's use case played once against it (examples/rwa-did: one
# approved trade, one refused wallet). The node keeps serving afterwards; Ctrl-C stops it.
# Extra arguments go to krnld (e.g. --data-dir DIR, --block-time MS).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
log=$(mktemp)
build/src/node/krnld --config config/dev.toml "$@" 2>&1 | tee "$log" &
node_pid=$!
trap 'kill $node_pid 2>/dev/null || true' INT TERM
for _ in $(seq 1 300); do
    grep -q "ready" "$log" && break
    sleep 0.1
done
echo
echo "=== the use case (examples/rwa-did/run.mjs)"
node examples/rwa-did/run.mjs || echo "=== the use case did not complete (see above); the node keeps running"
echo
echo "=== krnld keeps serving; Ctrl-C to stop"
wait $node_pid
