#!/usr/bin/env bash
# Compares krnld with Hardhat under the same JSON-RPC load (krnl-rpc-bench): starts one node at a
# time on a free port, runs every scenario against it, stops it, and prints both with the ratio.
#   bench/rpc_bench.sh KRNLD KRNL_RPC_BENCH [krnl-rpc-bench options, e.g. --seconds 10]
# Builds nothing: pass the binaries (build-*/src/node/krnld, build-*/bench/krnl-rpc-bench).
# Needs node and the npm hardhat at the repository root.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 KRNLD KRNL_RPC_BENCH [krnl-rpc-bench options]" >&2
  exit 2
fi
KRNLD="$(realpath "$1")"
BENCH="$(realpath "$2")"
shift 2
for bin in "$KRNLD" "$BENCH"; do
  if [[ ! -x "$bin" ]]; then
    echo "rpc_bench: not an executable: $bin" >&2
    exit 2
  fi
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARDHAT_CONFIG="$ROOT/tests/e2e/hardhat.config.cjs"
if [[ ! -f "$ROOT/node_modules/hardhat/internal/cli/bootstrap.js" ]]; then
  echo "rpc_bench: node_modules/hardhat is missing; run 'npm ci' at the repository root" >&2
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-rpc-bench.XXXXXX")"
NODE_PID=""
stop_node() {
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
  fi
  NODE_PID=""
}
cleanup() {
  stop_node
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

wait_ready() {
  local url="$1" log="$2"
  for _ in $(seq 1 300); do
    if ! kill -0 "$NODE_PID" 2>/dev/null; then break; fi
    if curl -sf -X POST -H 'content-type: application/json' \
      --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$url" 2>/dev/null |
      grep -q '"result"'; then
      return 0
    fi
    sleep 0.2
  done
  echo "rpc_bench: no answer at $url; node log:" >&2
  cat "$log" >&2
  return 1
}

# run_against NAME: starts the node, benchmarks it into $WORK/NAME.out, stops it.
status=0
run_against() {
  local name="$1" port url
  shift
  port="$(free_port)"
  url="http://127.0.0.1:$port"
  case "$name" in
    krnld)
      "$KRNLD" --dev --quiet --port "$port" >"$WORK/$name.log" 2>&1 &
      NODE_PID=$!
      ;;
    hardhat)
      # One process (not npx) so that stop_node stops exactly it.
      KRNL_E2E_HARDHAT_DIR="$WORK/hardhat" node "$ROOT/node_modules/hardhat/internal/cli/bootstrap.js" \
        --config "$HARDHAT_CONFIG" node --hostname 127.0.0.1 --port "$port" >"$WORK/$name.log" 2>&1 &
      NODE_PID=$!
      ;;
  esac
  wait_ready "$url" "$WORK/$name.log"
  # Other work on the machine skews every figure: the load average goes with them.
  echo "== $name at $url (load average before the run: $(cut -d' ' -f1-3 /proc/loadavg))"
  local rc=0
  "$BENCH" --url "$url" --tsv "$@" | tee "$WORK/$name.out" | grep -v '^result' || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "rpc_bench: krnl-rpc-bench against $name exited with $rc (errors above)" >&2
    status=1
  fi
  if ! kill -0 "$NODE_PID" 2>/dev/null; then
    echo "rpc_bench: $name died during the run; last lines of its log:" >&2
    tail -n 20 "$WORK/$name.log" >&2
    status=1
  fi
  stop_node
  echo
}

run_against krnld "$@"
run_against hardhat "$@"

echo "== krnld vs Hardhat (throughput: requests/s, transfers: mined/s; ratio = krnld / Hardhat)"
awk -F'\t' '
  FNR == 1 { file++ }
  $1 == "result" {
    if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
    rate[file, $2] = $3; p50[file, $2] = $4; p99[file, $2] = $5; err[file, $2] = $6
  }
  function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
  END {
    if (n == 0) { print "no results"; exit }
    printf "%-16s %11s %11s %8s %9s %9s %8s %9s %9s %8s %11s\n", "scenario", "krnld/s", "hardhat/s",
      "ratio", "p50 krnld", "p50 hh", "ratio", "p99 krnld", "p99 hh", "ratio", "errors k/h"
    for (i = 1; i <= n; i++) {
      s = order[i]
      printf "%-16s %11.1f %11.1f %8s %9.3f %9.3f %8s %9.3f %9.3f %8s %5d/%-5d\n", s, rate[1, s],
        rate[2, s], ratio(rate[1, s], rate[2, s]), p50[1, s], p50[2, s], ratio(p50[1, s], p50[2, s]),
        p99[1, s], p99[2, s], ratio(p99[1, s], p99[2, s]), err[1, s], err[2, s]
      if (rate[2, s] > 0 && rate[1, s] < 10 * rate[2, s]) missed = missed " " s
    }
    print "(latencies in ms; a latency ratio below 1 means krnld answers faster)"
    if (missed != "") print "target krnld >= 10x Hardhat throughput: NOT met for" missed
    else print "target krnld >= 10x Hardhat throughput: met for every scenario"
  }' "$WORK/krnld.out" "$WORK/hardhat.out"
exit $status
