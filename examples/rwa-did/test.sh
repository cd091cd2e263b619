#!/usr/bin/env bash
# The use case as a test: run.mjs against fresh nodes on free ports, which it stops afterwards.
#   examples/rwa-did/test.sh [krnld] [KRNLD]   krnld with the dev config's three chains (default);
#       then run-account.mjs, the account side, through krnld's bundler
#   examples/rwa-did/test.sh hardhat [KRNLD]   three Hardhat nodes (31337, 31338, 31339) with
#       krnld's predeploys replayed on them, and krnld as the kernel engine only: no chains of its
#       own, krnl_* on its [engine] port, every chain reached through [engine.upstream]
# KRNLD is krnld's path (the argument, else $KRNLD, else build/src/node/krnld).
# KRNL_CONTRACTS_OUT: the contract build (default build/contracts). Exits non-zero on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODE=krnld
case "${1:-}" in
hardhat | krnld)
    MODE=$1
    shift
    ;;
esac
KRNLD="${1:-${KRNLD:-$ROOT/build/src/node/krnld}}"
export KRNL_CONTRACTS_OUT="${KRNL_CONTRACTS_OUT:-$ROOT/build/contracts}"
if [[ ! -x "$KRNLD" ]]; then
    echo "rwa-did: krnld not found at $KRNLD (pass its path or set KRNLD)" >&2
    exit 2
fi
if [[ ! -f "$KRNL_CONTRACTS_OUT/predeploys.json" ]]; then
    echo "rwa-did: no contract build in $KRNL_CONTRACTS_OUT (node contracts/build.mjs --out DIR)" >&2
    exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-rwa-did.XXXXXX")"
PIDS=()
LOGS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

show_logs() {
    local log
    for log in "${LOGS[@]}"; do
        echo "--- last lines of $(basename "$log"):" >&2
        tail -n 30 "$log" >&2 || true
    done
}

free_port() {
    node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# wait_for URL METHOD PID LOG: until the node at URL answers METHOD (without an error).
wait_for() {
    local url=$1 method=$2 pid=$3 log=$4
    for _ in $(seq 1 600); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "rwa-did: the node for $url exited; its log:" >&2
            cat "$log" >&2
            return 1
        fi
        if curl -s -m 2 -X POST -H 'content-type: application/json' \
            --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$method\",\"params\":[]}" "$url" 2>/dev/null |
            grep -q '"result"'; then
            return 0
        fi
        sleep 0.1
    done
    echo "rwa-did: nothing answered $method at $url; its log:" >&2
    cat "$log" >&2
    return 1
}

ports=("$(free_port)" "$(free_port)" "$(free_port)")
urls=("http://127.0.0.1:${ports[0]}" "http://127.0.0.1:${ports[1]}" "http://127.0.0.1:${ports[2]}")
case "$MODE" in
krnld)
    sed -e "s/^port = 8545$/port = ${ports[0]}/" -e "s/^port = 8546$/port = ${ports[1]}/" \
        -e "s/^port = 8547$/port = ${ports[2]}/" "$ROOT/config/dev.toml" >"$WORK/dev.toml"
    "$KRNLD" --config "$WORK/dev.toml" --quiet >"$WORK/krnld.log" 2>&1 &
    PIDS+=($!)
    LOGS+=("$WORK/krnld.log")
    wait_for "${urls[0]}" krnl_nodeInfo "${PIDS[0]}" "$WORK/krnld.log"
    ENGINE_URL="${urls[0]}"
    ;;
hardhat)
    # One process per node (not through npx), so the trap stops exactly what it started.
    for i in 0 1 2; do
        id=$((31337 + i))
        KRNL_HARDHAT_CHAIN_ID=$id KRNL_HARDHAT_DIR="$WORK/hardhat-$id" \
            node "$ROOT/node_modules/hardhat/internal/cli/bootstrap.js" \
            --config "$ROOT/examples/rwa-did/hardhat.config.cjs" \
            node --hostname 127.0.0.1 --port "${ports[$i]}" >"$WORK/hardhat-$id.log" 2>&1 &
        PIDS+=($!)
        LOGS+=("$WORK/hardhat-$id.log")
    done
    for i in 0 1 2; do wait_for "${urls[$i]}" eth_chainId "${PIDS[$i]}" "$WORK/hardhat-$((31337 + i)).log"; done
    # The registry and vault at krnld's addresses: the home chain needs them; the other two get
    # them too so the three chains look like krnld's.
    node "$ROOT/examples/rwa-did/predeploys.mjs" "${urls[@]}"
    read -r registry vault < <(node -e "
        const m = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')).predeploys;
        const at = (n) => m.find((p) => p.name === n).address;
        console.log(at('KernelRegistry'), at('KrnlVault'));" "$KRNL_CONTRACTS_OUT/predeploys.json")
    engine_port="$(free_port)"
    cat >"$WORK/engine.toml" <<EOF
# krnld as the kernel engine only, over three Hardhat nodes.
[node]
host = "127.0.0.1"
mnemonic = "test test test test test test test test test test test junk"

[engine]
home_chain = 31337
dev_key = 0
port = $engine_port
registry = "$registry"
vault = "$vault"
http_allowed_hosts = ["127.0.0.1:*"]

[engine.upstream]
31337 = "${urls[0]}"
31338 = "${urls[1]}"
31339 = "${urls[2]}"
EOF
    "$KRNLD" --config "$WORK/engine.toml" --quiet >"$WORK/krnld-engine.log" 2>&1 &
    PIDS+=($!)
    LOGS+=("$WORK/krnld-engine.log")
    ENGINE_URL="http://127.0.0.1:$engine_port"
    wait_for "$ENGINE_URL" krnl_nodeInfo "${PIDS[3]}" "$WORK/krnld-engine.log"
    ;;
esac

status=0
KRNL_HOME_RPC="${urls[0]}" KRNL_RWA_RPC="${urls[1]}" KRNL_DID_RPC="${urls[2]}" KRNL_ENGINE_RPC="$ENGINE_URL" \
    node "$ROOT/examples/rwa-did/run.mjs" || status=$?
# The account side needs krnld's bundler on the home chain's port: not in hardhat mode.
if [[ $status -eq 0 && "$MODE" == krnld ]]; then
    echo
    KRNL_HOME_RPC="${urls[0]}" KRNL_RWA_RPC="${urls[1]}" KRNL_DID_RPC="${urls[2]}" KRNL_ENGINE_RPC="$ENGINE_URL" \
        node "$ROOT/examples/rwa-did/run-account.mjs" || status=$?
fi
if [[ $status -ne 0 ]]; then show_logs; fi
exit $status
