#!/usr/bin/env bash
# Crash-and-restart test: krnld with a data dir is killed with SIGKILL while transactions are in
# flight, restarted on the same data dir, and checked (krnl-crash-driver check) every round.
#   tests/crash/run.sh KRNLD [DRIVER] [--rounds R] [--seed S]
# DRIVER defaults to tests/crash/krnl-crash-driver in the build tree that holds KRNLD. Odd rounds
# run with automine on, even rounds with automine off (the driver calls evm_mine now and then, so
# acknowledged transactions are both pooled and mined when the node dies). Needs only bash and
# coreutils besides the two binaries. Prints TAP and "N passed, N failed"; exits 1 on a failure.
set -uo pipefail

usage() {
  echo "usage: $0 KRNLD [DRIVER] [--rounds R] [--seed S]" >&2
  exit 2
}
[[ $# -ge 1 ]] || usage
KRNLD="$(realpath "$1")"
shift
DRIVER=""
ROUNDS=5
SEED="$(( $(date +%s) % 32768 ))"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --seed) SEED="${2:?}"; shift 2 ;;
    -*) usage ;;
    *) DRIVER="$(realpath "$1")"; shift ;;
  esac
done
if [[ -z "$DRIVER" ]]; then
  DRIVER="$(realpath -m "$(dirname "$KRNLD")/../../tests/crash/krnl-crash-driver")"
fi
for bin in "$KRNLD" "$DRIVER"; do
  if [[ ! -x "$bin" ]]; then
    echo "crash: not an executable: $bin" >&2
    exit 2
  fi
done
RANDOM=$SEED

WORK="$(mktemp -d "${TMPDIR:-/tmp}/krnl-crash.XXXXXX")"
DATA="$WORK/data"
NODE_PID=""
DRIVER_PID=""
URL=""
passed=0
failed=0
cleanup() {
  for pid in "$DRIVER_PID" "$NODE_PID"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [[ $failed -eq 0 ]]; then
    rm -rf "$WORK"
  else
    echo "# logs and state kept in $WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tap() {  # tap ok|fail DESCRIPTION [DETAIL]
  if [[ "$1" == ok ]]; then
    passed=$((passed + 1))
    echo "ok $((passed + failed)) - $2"
  else
    failed=$((failed + 1))
    echo "not ok $((passed + failed)) - $2"
    [[ -n "${3:-}" ]] && echo "$3" | sed 's/^/  # /'
  fi
  return 0
}

# start_node LOG: starts krnld on a free port (--port 0) and sets NODE_PID and URL once it is ready.
start_node() {
  local log="$1"
  URL=""
  "$KRNLD" --dev --quiet --port 0 --data-dir "$DATA" >"$log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 300); do
    if grep -q "ready" "$log" 2>/dev/null; then
      URL="$(grep -o 'http://[0-9.]*:[0-9]*' "$log" | head -n 1)"
      [[ -n "$URL" ]] && return 0
    fi
    kill -0 "$NODE_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

echo "# krnld $KRNLD, $ROUNDS rounds, seed $SEED, data dir $DATA"
if start_node "$WORK/node.0.log"; then
  tap ok "krnld starts with an empty data dir"
else
  tap fail "krnld starts with an empty data dir" "$(tail -n 20 "$WORK/node.0.log")"
  echo "1..$((passed + failed))"
  echo "$passed passed, $failed failed"
  exit 1
fi

for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 == 1 )); then mode=auto; else mode=manual; fi
  state="$WORK/state.$round.json"
  send_out="$WORK/send.$round.out"
  "$DRIVER" send --url "$URL" --state "$state" --mode "$mode" >"$send_out" 2>&1 &
  DRIVER_PID=$!
  for _ in $(seq 1 200); do
    grep -q '^sending' "$send_out" 2>/dev/null && break
    kill -0 "$DRIVER_PID" 2>/dev/null || break
    sleep 0.05
  done
  # The kill lands 0.3 to 2.5 s into the stream, with transactions in flight on every connection.
  delay_ms=$((300 + RANDOM % 2200))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$NODE_PID" 2>/dev/null
  wait "$NODE_PID" 2>/dev/null
  NODE_PID=""
  driver_status=0
  wait "$DRIVER_PID" || driver_status=$?
  DRIVER_PID=""
  if [[ $driver_status -eq 0 ]]; then
    tap ok "round $round ($mode): transactions streamed until kill -9 at ${delay_ms} ms"
    echo "  # $(grep '^sent' "$send_out")"
  else
    tap fail "round $round ($mode): transactions streamed until kill -9 at ${delay_ms} ms" \
      "$(cat "$send_out")"
  fi

  if start_node "$WORK/node.$round.log"; then
    tap ok "round $round ($mode): krnld restarts on the data dir"
  else
    tap fail "round $round ($mode): krnld restarts on the data dir" \
      "$(tail -n 20 "$WORK/node.$round.log")"
    break
  fi
  [[ -f "$state" ]] || continue
  check_out="$WORK/check.$round.out"
  check_status=0
  "$DRIVER" check --url "$URL" --state "$state" --label "round $round ($mode)" >"$check_out" 2>&1 ||
    check_status=$?
  while IFS= read -r line; do
    case "$line" in
      "ok - "*) tap ok "${line#ok - }" ;;
      "not ok - "*) tap fail "${line#not ok - }" ;;
      *) echo "$line" ;;
    esac
  done <"$check_out"
  if [[ $check_status -ne 0 ]] && ! grep -q '^not ok' "$check_out"; then
    tap fail "round $round ($mode): the check ran to the end" "exit status $check_status"
  fi
done

if [[ -n "$NODE_PID" ]]; then
  kill -TERM "$NODE_PID"
  stop_status=0
  wait "$NODE_PID" || stop_status=$?
  NODE_PID=""
  if [[ $stop_status -eq 0 ]]; then
    tap ok "krnld stops cleanly on SIGTERM"
  else
    tap fail "krnld stops cleanly on SIGTERM" "exit status $stop_status"
  fi
fi

echo "1..$((passed + failed))"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
