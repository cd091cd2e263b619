# Sourced by contracts/test/run.sh and bench/account_gas.sh: starts a node on a free port of
# 127.0.0.1 in the background and exports NODE_URL. The node is a Hardhat node, or krnld --dev when
# NODE_TARGET=krnld (KRNLD: its path, default build/src/node/krnld). The caller traps stop_node.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HARDHAT_LOG="$(mktemp -t krnl-hardhat.XXXXXX.log)"

start_node() {
  local port
  port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  if [ "${NODE_TARGET:-hardhat}" = krnld ]; then
    "${KRNLD:-$ROOT/build/src/node/krnld}" --dev --port "$port" --quiet >"$HARDHAT_LOG" 2>&1 &
  else
    (cd "$ROOT" && exec node node_modules/hardhat/internal/cli/cli.js --config contracts/hardhat.config.cjs \
      node --hostname 127.0.0.1 --port "$port") >"$HARDHAT_LOG" 2>&1 &
  fi
  HARDHAT_PID=$!
  export NODE_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do
    if curl -s -o /dev/null -X POST -H 'content-type: application/json' \
      --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$NODE_URL"; then
      return 0
    fi
    if ! kill -0 "$HARDHAT_PID" 2>/dev/null; then
      echo "${NODE_TARGET:-hardhat} node exited:" >&2; cat "$HARDHAT_LOG" >&2; return 1
    fi
    sleep 0.5
  done
  echo "${NODE_TARGET:-hardhat} node did not start" >&2
  return 1
}

stop_node() {
  if [ -n "${HARDHAT_PID:-}" ]; then
    kill "$HARDHAT_PID" 2>/dev/null || true
    wait "$HARDHAT_PID" 2>/dev/null || true
  fi
  rm -f "$HARDHAT_LOG"
}
