#!/usr/bin/env bash
# Op -> receipt latency through krnld's bundler: a KRNL-validated user operation (the account routes
# `execute` to the KrnlValidator; the node runs the engine benchmark's three kernels, an http one
# answering after --delay-ms, and appends the attestation) against a plain op of an ECDSA-root account,
# interleaved in the same run on one node (config/dev.toml's three chains). Prints p50/mean of each,
# the difference and ratio, and the KRNL op's p50 over the plain op plus the slowest kernel (target
# <= 2 ms). Not run by CI.
#   bench/account_latency.sh KRNLD [--ops N] [--delay-ms N]
# Needs node, viem (npm ci) and the compiled contracts with the KrnlValidator (KRNL_CONTRACTS_OUT,
# default build/contracts).
set -euo pipefail
if [[ $# -lt 1 ]]; then
  echo "usage: $0 KRNLD [--ops N] [--delay-ms N]" >&2
  exit 2
fi
KRNLD="$(realpath "$1")"
shift
OPS=200
DELAY_MS=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ops) OPS="$2"; shift 2 ;;
    --delay-ms) DELAY_MS="$2"; shift 2 ;;
    *) echo "account_latency: unknown option $1" >&2; exit 2 ;;
  esac
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export KRNL_CONTRACTS_OUT="${KRNL_CONTRACTS_OUT:-$ROOT/build/contracts}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-account-latency.XXXXXX")"
NODE_PID=""
cleanup() {
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
ports=("$(free_port)" "$(free_port)" "$(free_port)")
sed -e "s/^port = 8545$/port = ${ports[0]}/" -e "s/^port = 8546$/port = ${ports[1]}/" \
  -e "s/^port = 8547$/port = ${ports[2]}/" "$ROOT/config/dev.toml" >"$WORK/dev.toml"
"$KRNLD" --config "$WORK/dev.toml" --quiet >"$WORK/krnld.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 300); do
  curl -s -m 1 -X POST -H 'content-type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"krnl_nodeInfo","params":[]}' "http://127.0.0.1:${ports[0]}" 2>/dev/null |
    grep -q '"result"' && break
  kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/krnld.log" >&2; exit 1; }
  sleep 0.1
done
status=0
KRNL_HOME_RPC="http://127.0.0.1:${ports[0]}" KRNL_RWA_RPC="http://127.0.0.1:${ports[1]}" \
  KRNL_DID_RPC="http://127.0.0.1:${ports[2]}" KRNL_OPS="$OPS" KRNL_DELAY_MS="$DELAY_MS" \
  node "$ROOT/bench/account_latency.mjs" || status=$?
if [[ $status -ne 0 ]]; then tail -n 30 "$WORK/krnld.log" >&2; fi
exit $status
