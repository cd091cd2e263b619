#!/usr/bin/env bash
# Compares krnld with anvil and Hardhat under the same JSON-RPC load (krnl-rpc-bench): starts one
# node at a time on a free port, runs every scenario against it, stops it, and prints the three with
# krnld's ratios. anvil is the baseline of the targets (issue 15): >= 1.5x its throughput on the
# reads and eth_call, p99 < 2 ms, >= 5,000 mined transfers/s; krnld's RSS before and after the load.
#   bench/rpc_bench.sh KRNLD KRNL_RPC_BENCH [krnl-rpc-bench options, e.g. --seconds 10]
# Builds nothing: pass the binaries (build-*/src/node/krnld, build-*/bench/krnl-rpc-bench).
# Needs node, and the npm hardhat and @foundry-rs/anvil-linux-amd64 at the repository root.
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

ANVIL="$ROOT/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
if [[ ! -x "$ANVIL" ]]; then
  echo "rpc_bench: $ANVIL is missing; run 'npm ci' at the repository root" >&2
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

# The scenarios asked for (krnl-rpc-bench's --scenarios, the last one given; default all four),
# split for anvil's run: the reads, and whether transfers are among them.
SCENARIOS=eth_blockNumber,eth_getBalance,eth_call,transfers
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; i++)); do
  [[ "${args[i]}" == --scenarios ]] && SCENARIOS="${args[i + 1]}"
done
READ_SCENARIOS=$(tr ',' '\n' <<<"$SCENARIOS" | grep -v '^transfers$' | paste -sd, -)
WITH_TRANSFERS=$(tr ',' '\n' <<<"$SCENARIOS" | grep '^transfers$' || true)

# Resident memory in KiB: all of it, and the anonymous part (heap, stacks). The rest is mapped
# files, mostly the chain database's pages, which grow with the blocks mined, not with a leak.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
rss_anon_kib() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

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
    anvil)
      # Its defaults (automine, the same dev mnemonic as krnld --dev), its log silenced as krnld's.
      "$ANVIL" --port "$port" --silent >"$WORK/$name.log" 2>&1 &
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
  local rc=0 rss_before anon_before
  rss_before=$(rss_kib "$NODE_PID")
  anon_before=$(rss_anon_kib "$NODE_PID")
  if [[ "$name" == anvil ]]; then
    # anvil leaves part of a burst of transfers pending (unmined, yet acknowledged), so its
    # transfer warm-up would stop the measured run: the transfers run once, unwarmed, and what
    # it left unmined is reported, not a failure of this script.
    : >"$WORK/$name.out"
    if [[ -n "$READ_SCENARIOS" ]]; then
      "$BENCH" --url "$url" --node-pid "$NODE_PID" --tsv "$@" --scenarios "$READ_SCENARIOS" |
        tee "$WORK/$name.out" | grep -v '^result' || rc=$?
    fi
    if [[ -n "$WITH_TRANSFERS" ]]; then
      "$BENCH" --url "$url" --node-pid "$NODE_PID" --tsv "$@" --scenarios transfers --warmup 0 |
        tee -a "$WORK/$name.out" | grep -v '^result' || true
    fi
    awk '/verification: .* has [0-9]+ mined, [0-9]+ acknowledged/ {
           for (i = 1; i <= NF; i++) { if ($i == "mined,") m += $(i - 1); if ($i == "acknowledged") a += $(i - 1) }
         }
         END { if (a > 0) printf "anvil: %d of %d acknowledged transfers mined by the end of the run\n", m, a }' \
      "$WORK/$name.out" | tee -a "$WORK/notes"
  else
    "$BENCH" --url "$url" --node-pid "$NODE_PID" --tsv "$@" | tee "$WORK/$name.out" | grep -v '^result' || rc=$?
  fi
  printf 'rss\t%s\t%s\t%s\t%s\n' "$rss_before" "$(rss_kib "$NODE_PID")" "$anon_before" \
    "$(rss_anon_kib "$NODE_PID")" >>"$WORK/$name.out"
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
run_against anvil "$@"
run_against hardhat "$@"

echo "== krnld vs anvil and Hardhat (throughput: requests/s, transfers: mined/s; ratio = krnld / other)"
awk -F'\t' '
  FNR == 1 { file++ }
  $1 == "rss" { rss0[file] = $2; rss1[file] = $3; anon0[file] = $4; anon1[file] = $5 }
  $1 == "result" {
    if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
    rate[file, $2] = $3; p50[file, $2] = $4; p99[file, $2] = $5; err[file, $2] = $6
    cpu[file, $2] = $9
  }
  function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
  END {
    if (n == 0) { print "no results"; exit }
    printf "%-16s %10s %10s %10s %8s %8s %9s %9s %9s %14s\n", "scenario", "krnld/s", "anvil/s",
      "hardhat/s", "/anvil", "/hardhat", "p99 krnld", "p99 anvil", "p99 hh", "errors k/a/h"
    for (i = 1; i <= n; i++) {
      s = order[i]
      if (!((1, s) in rate)) continue
      printf "%-16s %10.1f %10.1f %10.1f %8s %8s %9.3f %9.3f %9.3f %4d/%d/%d\n", s, rate[1, s],
        rate[2, s], rate[3, s], ratio(rate[1, s], rate[2, s]), ratio(rate[1, s], rate[3, s]),
        p99[1, s], p99[2, s], p99[3, s], err[1, s], err[2, s], err[3, s]
      if (s == "transfers") {
        if (rate[1, s] < 5000) missed = missed " transfers(" int(rate[1, s]) "/s < 5000)"
      } else {
        if (rate[2, s] > 0 && rate[1, s] < 1.5 * rate[2, s]) missed = missed " " s "(throughput)"
        if (p99[1, s] >= 2) missed = missed " " s "(p99)"
      }
    }
    print "(latencies in ms; transfers count only mined ones, checked by nonce)"
    # Throughput on two cores shared with the client is bounded by the kernel loopback TCP and
    # the client as much as by the node: the CPU each node spends per answer is the other figure.
    printf "\n%-16s %12s %12s %12s %16s\n", "node CPU/answer", "krnld us", "anvil us", "hardhat us",
      "anvil/krnld CPU"
    for (i = 1; i <= n; i++) {
      s = order[i]
      if (!((1, s) in cpu)) continue
      printf "%-16s %12.1f %12.1f %12.1f %16s\n", s, cpu[1, s], cpu[2, s], cpu[3, s],
        ratio(cpu[2, s], cpu[1, s])
    }
    printf "RSS of krnld before and after the load: %d KiB, %d KiB (anonymous: %d KiB, %d KiB; the rest is mapped database pages)\n", rss0[1], rss1[1], anon0[1], anon1[1]
    if (missed != "") print "targets (>= 1.5x anvil, p99 < 2 ms, >= 5000 transfers/s): NOT met for" missed
    else print "targets (>= 1.5x anvil, p99 < 2 ms, >= 5000 transfers/s): met for every scenario"
  }' "$WORK/krnld.out" "$WORK/anvil.out" "$WORK/hardhat.out"
cat "$WORK/notes" 2>/dev/null || true
exit $status
