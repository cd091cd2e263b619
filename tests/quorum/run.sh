#!/usr/bin/env bash
# A 2-of-3 quorum across real krnld processes, then tests/quorum/*.test.mjs against them:
#   A  krnld with the three chains of config/dev.toml (31337, 31338, 31339) on free ports; its engine
#      signs with dev account 0 and asks B and C to co-sign (engine.peers)
#   B  krnld as an engine only (no chains, krnl_* on its own port), dev account 1, reaching A's chains
#   C  the same with dev account 2
#   D  the same with dev account 5 (a node the app does not trust), peers B and C
# The tests stop C and then B (by the pids exported here) to take the peers down.
#   tests/quorum/run.sh [node --test options]     KRNLD=path/to/krnld (default build/src/node/krnld)
# Prints node:test's summary; exits non-zero on any failure.
set -euo pipefail

SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SUITE_DIR/../.." && pwd)"
cd "$ROOT"

KRNLD="${KRNLD:-$ROOT/build/src/node/krnld}"
if [[ ! -x "$KRNLD" ]]; then
  echo "quorum: krnld not found at $KRNLD (build it, or set KRNLD)" >&2
  exit 2
fi
if [[ ! -d node_modules/viem ]]; then
  echo "quorum: node_modules is missing; run 'npm ci' at the repository root first" >&2
  exit 2
fi
export KRNL_CONTRACTS_OUT="${KRNL_CONTRACTS_OUT:-$ROOT/build/contracts}"
if [[ ! -d "$KRNL_CONTRACTS_OUT/artifacts" ]]; then
  echo "quorum: no contract build in $KRNL_CONTRACTS_OUT (node contracts/build.mjs --out DIR)" >&2
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-quorum.XXXXXX")"
NAMES=(A B C D)
declare -A PID=()
TEST_PID=""
# Whether PID is still the krnld this script started for NAME (the tests stop some of them first).
ours() {
  tr '\0' ' ' 2>/dev/null <"/proc/$2/cmdline" | grep -qF -- "--config $WORK/$1.toml"
}
cleanup() {
  local name pid
  if [[ -n "$TEST_PID" ]]; then kill "$TEST_PID" 2>/dev/null || true; fi
  for name in "${NAMES[@]}"; do
    pid="${PID[$name]:-}"
    if [[ -n "$pid" ]] && ours "$name" "$pid"; then kill "$pid" 2>/dev/null || true; fi
  done
  for name in "${NAMES[@]}"; do
    pid="${PID[$name]:-}"
    [[ -n "$pid" ]] || continue
    for _ in $(seq 1 50); do ours "$name" "$pid" || break; sleep 0.1; done
    if ours "$name" "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Distinct free ports: three chains of A, and the engine ports of B, C and D.
ports=()
while [[ ${#ports[@]} -lt 6 ]]; do
  p="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
  [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
done
HOME_URL="http://127.0.0.1:${ports[0]}"
RWA_URL="http://127.0.0.1:${ports[1]}"
DID_URL="http://127.0.0.1:${ports[2]}"
B_URL="http://127.0.0.1:${ports[3]}"
C_URL="http://127.0.0.1:${ports[4]}"
D_URL="http://127.0.0.1:${ports[5]}"

# A: config/dev.toml on free ports, with B and C as peers.
sed -e "s/^port = 8545$/port = ${ports[0]}/" -e "s/^port = 8546$/port = ${ports[1]}/" \
  -e "s/^port = 8547$/port = ${ports[2]}/" -e "s|^peers = \[\]$|peers = [\"$B_URL\", \"$C_URL\"]|" \
  "$ROOT/config/dev.toml" >"$WORK/A.toml"
if ! grep -q "^peers = \[\"$B_URL\", \"$C_URL\"\]$" "$WORK/A.toml" || ! grep -q "^dev_key = 0$" "$WORK/A.toml" ||
  [[ $(grep -cE "^port = (${ports[0]}|${ports[1]}|${ports[2]})$" "$WORK/A.toml") -ne 3 ]]; then
  echo "quorum: config/dev.toml no longer has the lines this script rewrites (port = 8545..8547, peers = [], dev_key = 0)" >&2
  exit 2
fi

# engine_only NAME PORT DEV_KEY PEERS: a krnld without chains, reaching A's three chains.
engine_only() {
  cat >"$WORK/$1.toml" <<EOF
[node]
host = "127.0.0.1"
mnemonic = "test test test test test test test test test test test junk"

[engine]
home_chain = 31337
dev_key = $3
port = $2
peers = [$4]
http_allowed_hosts = ["127.0.0.1:*"]

[engine.upstream]
31337 = "$HOME_URL"
31338 = "$RWA_URL"
31339 = "$DID_URL"
EOF
}
engine_only B "${ports[3]}" 1 ""
engine_only C "${ports[4]}" 2 ""
engine_only D "${ports[5]}" 5 "\"$B_URL\", \"$C_URL\""

# wait_for NAME URL METHOD: until the node answers METHOD with a result.
wait_for() {
  local name=$1 url=$2 method=$3
  for _ in $(seq 1 300); do
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then
      echo "quorum: node $name exited; its log:" >&2
      cat "$WORK/$name.log" >&2
      return 1
    fi
    if curl -s -m 2 -X POST -H 'content-type: application/json' \
      --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$method\",\"params\":[]}" "$url" 2>/dev/null |
      grep -q '"result"'; then
      return 0
    fi
    sleep 0.1
  done
  echo "quorum: node $name did not answer $method at $url; its log:" >&2
  cat "$WORK/$name.log" >&2
  return 1
}

"$KRNLD" --config "$WORK/A.toml" --quiet >"$WORK/A.log" 2>&1 &
PID[A]=$!
wait_for A "$HOME_URL" krnl_nodeInfo
wait_for A "$RWA_URL" eth_chainId
wait_for A "$DID_URL" eth_chainId
for name in B C D; do
  "$KRNLD" --config "$WORK/$name.toml" --quiet >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
done
wait_for B "$B_URL" krnl_nodeInfo
wait_for C "$C_URL" krnl_nodeInfo
wait_for D "$D_URL" krnl_nodeInfo
echo "quorum: A $HOME_URL (chains 31337/31338/31339 on ${ports[0]}/${ports[1]}/${ports[2]}), B $B_URL, C $C_URL, D $D_URL"

export KRNL_QUORUM_HOME_URL="$HOME_URL" KRNL_QUORUM_RWA_URL="$RWA_URL" KRNL_QUORUM_DID_URL="$DID_URL"
export KRNL_QUORUM_B_URL="$B_URL" KRNL_QUORUM_C_URL="$C_URL" KRNL_QUORUM_D_URL="$D_URL"
export KRNL_QUORUM_B_PID="${PID[B]}" KRNL_QUORUM_C_PID="${PID[C]}"
export KRNL_QUORUM_B_CONFIG="$WORK/B.toml" KRNL_QUORUM_C_CONFIG="$WORK/C.toml"

# The tests of a file run in order and share the nodes (C, then B, are stopped on the way): one file
# at a time. The spec reporter is for people; the TAP copy gives the summary printed at the end.
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$WORK/tap.txt" \
  "$@" "$SUITE_DIR"/*.test.mjs &
TEST_PID=$!
status=0
wait "$TEST_PID" || status=$?
TEST_PID=
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$WORK/tap.txt" || true
if [[ $status -ne 0 ]]; then
  for name in "${NAMES[@]}"; do
    echo "quorum: last lines of node $name's log:" >&2
    tail -n 20 "$WORK/$name.log" >&2 || true
  done
fi
exit $status
