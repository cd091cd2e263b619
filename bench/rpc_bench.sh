#!/usr/bin/env bash
# Compares krnld with anvil and Hardhat under the same JSON-RPC load (krnl-rpc-bench): starts the
# three on free ports, runs each scenario against the three back to back, and prints them with
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
declare -A PID URL
stop_node() {  # stop_node NAME
  local pid="${PID[$1]:-}"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  PID[$1]=""
}
cleanup() {
  for name in krnld anvil hardhat; do stop_node "$name"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

wait_ready() {  # wait_ready NAME
  local name="$1"
  for _ in $(seq 1 300); do
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then break; fi
    if curl -sf -X POST -H 'content-type: application/json' \
      --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "${URL[$name]}" 2>/dev/null |
      grep -q '"result"'; then
      return 0
    fi
    sleep 0.2
  done
  echo "rpc_bench: no answer at ${URL[$name]}; $name's log:" >&2
  cat "$WORK/$name.log" >&2
  return 1
}

# The scenarios asked for (krnl-rpc-bench's --scenarios, the last one given; default all four).
SCENARIOS=eth_blockNumber,eth_getBalance,eth_call,transfers
args=("$@")
for ((i = 0; i + 1 < ${#args[@]}; i++)); do
  [[ "${args[i]}" == --scenarios ]] && SCENARIOS="${args[i + 1]}"
done
IFS=, read -ra SCENARIO_LIST <<<"$SCENARIOS"

# Resident memory in KiB: all of it, and the anonymous part (heap, stacks). The rest is mapped
# files, mostly the chain database's pages, which grow with the blocks mined, not with a leak.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
rss_anon_kib() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

start_node() {  # start_node NAME: on a free port, into PID and URL
  local name="$1" port
  port="$(free_port)"
  URL[$name]="http://127.0.0.1:$port"
  case "$name" in
    krnld)
      "$KRNLD" --dev --quiet --port "$port" >"$WORK/$name.log" 2>&1 &
      ;;
    anvil)
      # Its defaults (automine, the same dev mnemonic as krnld --dev), its log silenced as krnld's.
      "$ANVIL" --port "$port" --silent >"$WORK/$name.log" 2>&1 &
      ;;
    hardhat)
      # One process (not npx) so that stop_node stops exactly it.
      KRNL_E2E_HARDHAT_DIR="$WORK/hardhat" node "$ROOT/node_modules/hardhat/internal/cli/bootstrap.js" \
        --config "$HARDHAT_CONFIG" node --hostname 127.0.0.1 --port "$port" >"$WORK/$name.log" 2>&1 &
      ;;
  esac
  PID[$name]=$!
  wait_ready "$name"
}

# The three nodes run at once and each scenario runs against them back to back (krnld, anvil,
# Hardhat): on a shared machine the speed drifts over minutes, and a ratio should compare runs made
# under the same conditions. An idle node takes no CPU. A node's transfers come last, and the node
# stops after them: anvil leaves part of a burst pending and would go on mining it during the next
# node's run.
status=0
for name in krnld anvil hardhat; do
  start_node "$name"
  : >"$WORK/$name.out"
done
rss_before=$(rss_kib "${PID[krnld]}")
anon_before=$(rss_anon_kib "${PID[krnld]}")
rss_after="" anon_after=""
for scenario in "${SCENARIO_LIST[@]}"; do
  for name in krnld anvil hardhat; do
    # Other work on the machine skews every figure: the load average goes with them.
    echo "== $scenario on $name at ${URL[$name]} (load average before the run: $(cut -d' ' -f1-3 /proc/loadavg))"
    extra=()
    # anvil's transfer warm-up would leave a backlog in the measured run: its transfers run
    # unwarmed, and what it left unmined is reported, not a failure of this script.
    [[ "$name" == anvil && "$scenario" == transfers ]] && extra=(--warmup 0)
    rc=0
    "$BENCH" --url "${URL[$name]}" --node-pid "${PID[$name]}" --tsv "$@" --scenarios "$scenario" \
      "${extra[@]}" | tee -a "$WORK/$name.out" | grep -v '^result' || rc=$?
    if [[ $rc -ne 0 && ! ("$name" == anvil && "$scenario" == transfers) ]]; then
      echo "rpc_bench: krnl-rpc-bench against $name exited with $rc (errors above)" >&2
      status=1
    fi
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then
      echo "rpc_bench: $name died during the run; last lines of its log:" >&2
      tail -n 20 "$WORK/$name.log" >&2
      status=1
    fi
    if [[ "$scenario" == transfers ]]; then
      if [[ "$name" == krnld ]]; then
        rss_after=$(rss_kib "${PID[krnld]}")
        anon_after=$(rss_anon_kib "${PID[krnld]}")
      fi
      stop_node "$name"
    fi
    echo
  done
done
[[ -z "$rss_after" ]] && rss_after=$(rss_kib "${PID[krnld]}") anon_after=$(rss_anon_kib "${PID[krnld]}")
printf 'rss\t%s\t%s\t%s\t%s\n' "$rss_before" "$rss_after" "$anon_before" "$anon_after" >>"$WORK/krnld.out"
awk '/verification: .* has [0-9]+ mined, [0-9]+ acknowledged/ {
       for (i = 1; i <= NF; i++) { if ($i == "mined,") m += $(i - 1); if ($i == "acknowledged") a += $(i - 1) }
     }
     END { if (a > 0) printf "anvil: %d of %d acknowledged transfers mined by the end of the run\n", m, a }' \
  "$WORK/anvil.out" >>"$WORK/notes"
for name in krnld anvil hardhat; do stop_node "$name"; done

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
