#!/usr/bin/env bash
# End-to-end JSON-RPC suite: starts a node, runs tests/e2e/suite/*.test.js against it, stops the node.
#   tests/e2e/run.sh hardhat   # reference: Hardhat network (npm hardhat at the repo root)
#   tests/e2e/run.sh krnld     # our node: $KRNLD --dev (default build/src/node/krnld)
#   tests/e2e/run.sh anvil     # second judge: foundry's anvil (npm @foundry-rs/anvil-linux-amd64)
# Extra arguments are passed to `node --test` (e.g. --test-name-pattern=filters).
set -euo pipefail

TARGET="${1:-}"
shift || true
case "$TARGET" in
  hardhat | krnld | anvil) ;;
  *)
    echo "usage: $0 hardhat|krnld|anvil [node --test options]" >&2
    exit 2
    ;;
esac

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$E2E_DIR/../.." && pwd)"
cd "$ROOT"

if [[ ! -d node_modules/viem || ! -d node_modules/solc || ! -d node_modules/hardhat ]]; then
  echo "e2e: node_modules is missing; run 'npm ci' at the repository root first" >&2
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-e2e.XXXXXX")"
NODE_PID=""
TEST_PID=""
cleanup() {
  if [[ -n "$TEST_PID" ]] && kill -0 "$TEST_PID" 2>/dev/null; then
    kill "$TEST_PID" 2>/dev/null || true
  fi
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$NODE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"

case "$TARGET" in
  hardhat)
    # The node is started as one process (not through npx) so the trap stops exactly it.
    KRNL_E2E_HARDHAT_DIR="$WORK/hardhat" node "$ROOT/node_modules/hardhat/internal/cli/bootstrap.js" \
      --config "$E2E_DIR/hardhat.config.cjs" node --hostname 127.0.0.1 --port "$PORT" \
      >"$WORK/node.log" 2>&1 &
    NODE_PID=$!
    ;;
  krnld)
    KRNLD="${KRNLD:-$ROOT/build/src/node/krnld}"
    if [[ ! -x "$KRNLD" ]]; then
      echo "e2e: krnld not found at $KRNLD (set KRNLD)" >&2
      exit 2
    fi
    export KRNL_E2E_KRNLD="$KRNLD"
    "$KRNLD" --dev --port "$PORT" >"$WORK/node.log" 2>&1 &
    NODE_PID=$!
    ;;
  anvil)
    ANVIL="$ROOT/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
    if [[ ! -x "$ANVIL" ]]; then
      echo "e2e: anvil not found at $ANVIL; run 'npm ci' at the repository root first" >&2
      exit 2
    fi
    # anvil's defaults already match krnld --dev (chain id 31337, the test mnemonic, 10 x 10,000 ETH,
    # automine); the fork is pinned to krnld's (Osaka), and --steps-tracing makes debug_traceTransaction
    # record struct logs (anvil leaves them empty otherwise).
    "$ANVIL" --host 127.0.0.1 --port "$PORT" --hardfork osaka --steps-tracing >"$WORK/node.log" 2>&1 &
    NODE_PID=$!
    ;;
esac

# Wait until the node answers eth_chainId.
ready=""
for _ in $(seq 1 300); do
  if ! kill -0 "$NODE_PID" 2>/dev/null; then break; fi
  if node -e "
    fetch('$URL', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) })
      .then((r) => r.json()).then((j) => process.exit(j.result ? 0 : 1), () => process.exit(1));
  " 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
if [[ -z "$ready" ]]; then
  echo "e2e: $TARGET did not answer eth_chainId at $URL; its log:" >&2
  cat "$WORK/node.log" >&2
  exit 1
fi
echo "e2e: $TARGET is up at $URL"

# Compile the test contracts once for the whole run.
export KRNL_E2E_ARTIFACTS="$WORK/artifacts.json"
node "$E2E_DIR/lib/compile.js" "$KRNL_E2E_ARTIFACTS"

export KRNL_E2E_URL="$URL"
export KRNL_E2E_TARGET="$TARGET"
export KRNL_E2E_WORK="$WORK"

# One file at a time: some tests switch automine off or use evm_snapshot, which are node-wide.
# The runner goes in the background so that a signal reaches the traps (and the cleanup) at once.
node --test --test-concurrency=1 "$@" "$E2E_DIR"/suite/*.test.js &
TEST_PID=$!
status=0
wait "$TEST_PID" || status=$?
TEST_PID=
if [[ $status -ne 0 ]]; then
  echo "e2e: last lines of the $TARGET log:" >&2
  tail -n 40 "$WORK/node.log" >&2 || true
fi
exit $status
