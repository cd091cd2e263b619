#!/usr/bin/env bash
# The kernel engine's krnl_* methods end to end over JSON-RPC: starts krnld with two chains (31337, the
# engine's home, and 31338, which evm-read kernels read) on free ports, runs tests/krnl/suite/*.test.mjs
# against it, stops the node. Exits non-zero on any failure.
#   tests/krnl/run.sh [node --test options]     KRNLD=path/to/krnld (default build/src/node/krnld)
set -euo pipefail

SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SUITE_DIR/../.." && pwd)"
cd "$ROOT"

KRNLD="${KRNLD:-$ROOT/build/src/node/krnld}"
if [[ ! -x "$KRNLD" ]]; then
  echo "krnl suite: krnld not found at $KRNLD (build it, or set KRNLD)" >&2
  exit 2
fi
if [[ ! -d node_modules/viem || ! -d node_modules/solc || ! -d node_modules/solady ]]; then
  echo "krnl suite: node_modules is missing; run 'npm ci' at the repository root first" >&2
  exit 2
fi
CONTRACTS_OUT="${KRNL_CONTRACTS_OUT:-$ROOT/build/contracts}"
if [[ ! -f "$CONTRACTS_OUT/predeploys.json" ]]; then
  echo "krnl suite: $CONTRACTS_OUT/predeploys.json is missing; build the contracts first" >&2
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-suite.XXXXXX")"
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
HOME_PORT="$(free_port)"
OTHER_PORT="$(free_port)"
while [[ "$OTHER_PORT" == "$HOME_PORT" ]]; do OTHER_PORT="$(free_port)"; done
NODE_FEE=100

cat >"$WORK/krnld.toml" <<EOF
[node]
host = "127.0.0.1"
mnemonic = "test test test test test test test test test test test junk"
dev_accounts = 10
dev_balance_eth = 10000

[[chains]]
name = "home"
chain_id = 31337
port = $HOME_PORT
block_time_ms = 0

[[chains]]
name = "other"
chain_id = 31338
port = $OTHER_PORT
block_time_ms = 0

[engine]
home_chain = 31337
dev_key = 0
peers = []
node_fee = $NODE_FEE
# Any port of 127.0.0.1 (the hostile servers), the home port named too: the node's own ports stay refused.
http_allowed_hosts = ["127.0.0.1:*", "127.0.0.1:$HOME_PORT"]
EOF

"$KRNLD" --config "$WORK/krnld.toml" >"$WORK/krnld.log" 2>&1 &
NODE_PID=$!

# Ready when both chains answer eth_chainId.
ready=""
for _ in $(seq 1 300); do
  if ! kill -0 "$NODE_PID" 2>/dev/null; then break; fi
  if node -e "
    const ask = (port) => fetch('http://127.0.0.1:' + port, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) }).then((r) => r.json());
    Promise.all([ask($HOME_PORT), ask($OTHER_PORT)])
      .then(([a, b]) => process.exit(a.result === '0x7a69' && b.result === '0x7a6a' ? 0 : 1), () => process.exit(1));
  " 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.1
done
if [[ -z "$ready" ]]; then
  echo "krnl suite: krnld did not answer on ports $HOME_PORT/$OTHER_PORT; its log:" >&2
  cat "$WORK/krnld.log" >&2
  exit 1
fi
echo "krnl suite: krnld ($KRNLD) is up: chain 31337 on $HOME_PORT, chain 31338 on $OTHER_PORT"

export KRNL_TEST_ARTIFACTS="$WORK/artifacts.json"
node "$SUITE_DIR/lib/compile.mjs" "$KRNL_TEST_ARTIFACTS"

export KRNL_TEST_HOME_URL="http://127.0.0.1:$HOME_PORT"
export KRNL_TEST_OTHER_URL="http://127.0.0.1:$OTHER_PORT"
export KRNL_TEST_NODE_FEE="$NODE_FEE"
export KRNL_TEST_NODE_PID="$NODE_PID"
export KRNL_TEST_CONTRACTS_OUT="$CONTRACTS_OUT"

# One file at a time: some tests move the home chain's clock inside an evm_snapshot. The spec reporter is
# for people; the TAP copy gives the summary lines (# pass N, # fail N) printed at the end.
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$WORK/tap.txt" \
  "$@" "$SUITE_DIR"/suite/*.test.mjs &
TEST_PID=$!
status=0
wait "$TEST_PID" || status=$?
TEST_PID=
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$WORK/tap.txt" || true
if ! kill -0 "$NODE_PID" 2>/dev/null; then
  echo "krnl suite: krnld is no longer running; its log:" >&2
  tail -n 60 "$WORK/krnld.log" >&2 || true
  status=1
elif [[ $status -ne 0 ]]; then
  echo "krnl suite: last lines of the krnld log:" >&2
  tail -n 40 "$WORK/krnld.log" >&2 || true
fi
exit $status
