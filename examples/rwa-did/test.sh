#!/usr/bin/env bash
# The use case as a test: krnld with the dev config on free ports, then run.mjs against it.
#   examples/rwa-did/test.sh [KRNLD]   (default build/src/node/krnld)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KRNLD="${1:-$ROOT/build/src/node/krnld}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-rwa-did.XXXXXX")"
NODE_PID=""
cleanup() {
    if [[ -n "$NODE_PID" ]]; then kill "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
ports=("$(free_port)" "$(free_port)" "$(free_port)")
sed -e "s/^port = 8545$/port = ${ports[0]}/" -e "s/^port = 8546$/port = ${ports[1]}/" \
    -e "s/^port = 8547$/port = ${ports[2]}/" "$ROOT/config/dev.toml" >"$WORK/dev.toml"
"$KRNLD" --config "$WORK/dev.toml" --quiet >"$WORK/krnld.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 300); do
    grep -q "ready" "$WORK/krnld.log" 2>/dev/null && break
    kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/krnld.log"; exit 1; }
    sleep 0.1
done
KRNL_HOME_RPC="http://127.0.0.1:${ports[0]}" KRNL_RWA_RPC="http://127.0.0.1:${ports[1]}" \
    KRNL_DID_RPC="http://127.0.0.1:${ports[2]}" KRNL_CONTRACTS_OUT="${KRNL_CONTRACTS_OUT:-$ROOT/build/contracts}" \
    node "$ROOT/examples/rwa-did/run.mjs"
