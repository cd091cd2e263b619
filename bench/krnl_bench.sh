#!/usr/bin/env bash
# The kernel engine under load: krnl_executeKernels on krnld (config/dev.toml's three chains), the
# engine as it ships (every ready kernel at once) against a serial run of the same kernels
# ([engine] max_parallel_kernels = 1), each on a fresh node with the same deployment.
#   bench/krnl_bench.sh KRNLD KRNL_BENCH_ENGINE [--seconds N] [--delay-ms N]
# Builds nothing: pass the binaries (build/src/node/krnld, build/bench/krnl-bench-engine).
# Needs node, viem (npm ci) and the compiled contracts (build/contracts).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 KRNLD KRNL_BENCH_ENGINE [--seconds N] [--delay-ms N]" >&2
  exit 2
fi
KRNLD="$(realpath "$1")"
BENCH="$(realpath "$2")"
shift 2
SECONDS_PER=5
DELAY_MS=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_PER="$2"; shift 2 ;;
    --delay-ms) DELAY_MS="$2"; shift 2 ;;
    *) echo "krnl_bench: unknown option $1" >&2; exit 2 ;;
  esac
done
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export KRNL_CONTRACTS_OUT="${KRNL_CONTRACTS_OUT:-$ROOT/build/contracts}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-bench-engine.XXXXXX")"
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

status=0
run_mode() {
  local mode="$1" ports delay_port
  ports=("$(free_port)" "$(free_port)" "$(free_port)")
  delay_port="$(free_port)"
  sed -e "s/^port = 8545$/port = ${ports[0]}/" -e "s/^port = 8546$/port = ${ports[1]}/" \
    -e "s/^port = 8547$/port = ${ports[2]}/" "$ROOT/config/dev.toml" >"$WORK/$mode.toml"
  if [[ "$mode" == serial ]]; then
    sed -i 's/^\[engine\]$/[engine]\nmax_parallel_kernels = 1/' "$WORK/$mode.toml"
  fi
  "$KRNLD" --config "$WORK/$mode.toml" --quiet >"$WORK/$mode.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 300); do
    grep -q "ready" "$WORK/$mode.log" 2>/dev/null && break
    kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/$mode.log" >&2; return 1; }
    sleep 0.1
  done
  KRNL_HOME_RPC="http://127.0.0.1:${ports[0]}" KRNL_RWA_RPC="http://127.0.0.1:${ports[1]}" \
    KRNL_DID_RPC="http://127.0.0.1:${ports[2]}" KRNL_DELAY_URL="http://127.0.0.1:$delay_port" \
    KRNL_DELAY_MS="$DELAY_MS" node "$ROOT/bench/krnl_bench_setup.mjs" >"$WORK/$mode.json"
  "$BENCH" --url "http://127.0.0.1:${ports[0]}" --requests "$WORK/$mode.json" \
    --delay-port "$delay_port" --seconds "$SECONDS_PER" --label "$mode" --tsv |
    tee "$WORK/$mode.out" | grep -v '^result' || status=1
  stop_node
}

echo "== engine as it ships: every ready kernel at once"
run_mode parallel
echo
echo "== baseline: the same kernels one after another (max_parallel_kernels = 1)"
run_mode serial
echo

# result  label  scenario  rate  p50  p99  over50  over99  ok  errors
awk -F'\t' '
  $1 == "result" { rate[$2, $3] = $4; p50[$2, $3] = $5; over50[$2, $3] = $7; over99[$2, $3] = $8
                   if (!seen[$3]++) order[++n] = $3 }
  END {
    printf "%-16s %11s %11s %7s %13s %13s %9s %16s\n", "scenario", "parallel/s", "serial/s",
           "ratio", "p50 parallel", "p50 serial", "p50 ratio", "p50 over slowest"
    for (i = 1; i <= n; i++) {
      s = order[i]
      ratio = rate["serial", s] > 0 ? rate["parallel", s] / rate["serial", s] : 0
      lat = p50["parallel", s] > 0 ? p50["serial", s] / p50["parallel", s] : 0
      over = (s ~ /^three-/) ? sprintf("%.3f ms", over50["parallel", s]) : "-"
      printf "%-16s %11.1f %11.1f %6.2fx %10.3f ms %10.3f ms %8.2fx %16s\n", s, rate["parallel", s],
             rate["serial", s], ratio, p50["parallel", s], p50["serial", s], lat, over
    }
  }' "$WORK/parallel.out" "$WORK/serial.out"
echo "ratio: executions/s, parallel over serial; p50 ratio: serial latency over parallel (both > 1 when running kernels at once pays)"
echo "target: p50 over the slowest kernel < 2 ms (three-kernels/1), evm-read/16 >= 2000 executions/s"
exit "$status"
