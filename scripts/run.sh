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
# krnld itself is the background job (its output through tee by process substitution), so $! is
# its pid: a TERM to this script stops the node too, not just a pipe.
build/src/node/krnld --config config/dev.toml "$@" > >(tee "$log") 2>&1 &
node_pid=$!
trap 'kill $node_pid 2>/dev/null || true; exit 130' INT TERM
trap 'kill $node_pid 2>/dev/null || true' EXIT
until grep -q "ready" "$log"; do
    if ! kill -0 $node_pid 2>/dev/null; then
        wait $node_pid || true
        echo "=== krnld exited before it was ready (see above)" >&2
        exit 1
    fi
    sleep 0.1
done
echo
echo "=== the use case (examples/rwa-did/run.mjs)"
node examples/rwa-did/run.mjs || echo "=== the use case did not complete (see above); the node keeps running"
echo
echo "=== krnld keeps serving (pid $node_pid); Ctrl-C or kill $$ stops it"
wait $node_pid
