#!/usr/bin/env bash
# docs/getting-started.md, run: the commands of its ```sh title="getting-started" block, taken from the
# page itself, in order, in one bash session (set -e) in a temporary directory, each with a timeout.
# Then the starter's output is checked: the attested add(41) was mined (its receipt carries the app's
# Added event), total = 41, add(500) was refused by the policy. The node the walk started is stopped
# the way the page says (SIGTERM to the background job's process group) and must free its ports.
#
# The clone, the block's `git clone` line, is run one of two ways:
#   default: the line is replaced by a checkout made of links to this repository's working tree in
#     $WORK/krnl. It reuses the repository's node_modules and its `build`: the checkout's
#     scripts/build.sh builds the repository's own `build` tree, as scripts/run.sh run from the
#     repository would, and scripts/test.sh has just built it. With GETTING_STARTED_BUILD=skip, it
#     uses the binaries there as they are (for a tree others are editing). Every other command runs
#     exactly as written, and the starter lands in $WORK/my-krnl-app.
#   GETTING_STARTED_CLONE=1: the line runs as written with KRNL_REPO set to this repository, and
#     $WORK/shared links to ../shared. This makes a real clone of HEAD: npm ci and the whole build,
#     about 15 minutes.
# Environment:
#   GETTING_STARTED_TIMEOUT  seconds per command (default 300, or 3600 with GETTING_STARTED_CLONE=1)
#   GETTING_STARTED_KEEP=1   keeps the temporary directory
#   GETTING_STARTED_DOC      another page to walk (to check this test itself)
# Ports 8545-8547 (scripts/run.sh's fixed ports) must be free: the test refuses to start otherwise.
# Output: TAP, one test per command and one per check, then "# pass N" / "# fail N".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOC=${GETTING_STARTED_DOC:-$ROOT/docs/getting-started.md}
CLONE=${GETTING_STARTED_CLONE:-0}
TIMEOUT=${GETTING_STARTED_TIMEOUT:-$([ "$CLONE" = 1 ] && echo 3600 || echo 300)}
started_at=$(date +%s)
passed=0 failed=0 skipped=0 number=0

ok() { number=$((number + 1)) passed=$((passed + 1)); echo "ok $number - $1"; }
not_ok() { number=$((number + 1)) failed=$((failed + 1)); echo "not ok $number - $1"; }
skip() { number=$((number + 1)) skipped=$((skipped + 1)); echo "ok $number - $1 # SKIP $2"; }
check() { # check DESCRIPTION COMMAND...: one test, ok when the command succeeds
    local description=$1
    shift
    if "$@"; then ok "$description"; else not_ok "$description"; fi
}
summary() {
    echo "1..$number"
    echo "# tests $number"
    echo "# pass $passed"
    echo "# fail $failed"
    echo "# skipped $skipped"
    echo "# duration_ms $((($(date +%s) - started_at) * 1000))"
    [ "$failed" -eq 0 ]
}
bail() { # bail REASON: one failed test, the summary, exit 1
    not_ok "$1"
    summary
    exit 1
}
port_taken() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
ports_in_use() {
    local port in_use=()
    for port in 8545 8546 8547; do port_taken "$port" && in_use+=("$port"); done
    echo "${in_use[*]}"
}

echo "TAP version 13"

# The block: the lines between ```sh title="getting-started" and the closing ```.
mapfile -t commands < <(awk '/^```sh title="getting-started"$/ { inside = 1; next }
                             inside && /^```$/ { exit }
                             inside && NF && $1 !~ /^#/ { print }' "$DOC")
((${#commands[@]})) || bail "docs/getting-started.md has a \`\`\`sh title=\"getting-started\" block of commands"
check "the walk has at most ten commands (${#commands[@]})" test "${#commands[@]}" -le 10

taken=$(ports_in_use)
[ -z "$taken" ] || bail "ports 8545-8547 are free for scripts/run.sh (in use: $taken; stop what listens there)"
if [ "$CLONE" != 1 ] && { [ ! -f "$ROOT/node_modules/.package-lock.json" ] ||
    [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; }; then
    # The linked checkout must not run npm ci: it would empty the repository's node_modules through the link.
    bail "the repository's node_modules is up to date (run scripts/setup.sh in $ROOT first)"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/getting-started.XXXXXX")
group_alive() { # a process of group $1 still runs (zombies waiting for their reaper do not count)
    ps -e -o pgid=,stat= | awk -v group="$1" '$1 == group && $2 !~ /^Z/ { found = 1 } END { exit !found }'
}
stop_walk() { # SIGTERM to the walk's process group (run.sh, krnld, tee, ...), SIGKILL after 15 s
    local group
    group=$(cat "$WORK/walk.pgid" 2>/dev/null) || return 0
    rm -f "$WORK/walk.pgid"
    kill -TERM -- "-$group" 2>/dev/null || return 0
    for _ in $(seq 1 30); do
        group_alive "$group" || return 0
        sleep 0.5
    done
    kill -KILL -- "-$group" 2>/dev/null
    return 1
}
cleanup() {
    stop_walk
    if [ "${GETTING_STARTED_KEEP:-0}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The walk: each command preceded by a marker (its number and start time, in $WORK/progress) and
# echoed to the log as "$ command".
printf '%s\n' "${commands[@]}" >"$WORK/commands"
clone_line=""
{
    cat <<'EOF'
set -e
echo $$ >"$WORK/walk.pgid" # setsid made this shell the leader of its process group
step() { # step N|done: the marker, then the command as "$ command"
    echo "$1 $(date +%s)" >>"$WORK/progress"
    [ "$1" = done ] || sed -n "$1s/^/\$ /p" "$WORK/commands"
}
# The clone's stand-in (see the header): links to the repository's working tree, its build and
# node_modules; scripts/ is a directory of links whose build.sh builds the repository's own tree.
link_checkout() {
    mkdir "$1"
    git -C "$ROOT" ls-tree --name-only HEAD | while read -r entry; do
        [ "$entry" = scripts ] || ln -s "$ROOT/$entry" "$1/$entry"
    done
    ln -s "$ROOT/build" "$1/build"
    ln -s "$ROOT/node_modules" "$1/node_modules"
    mkdir "$1/scripts"
    for file in "$ROOT"/scripts/*; do
        [ "$(basename "$file")" = build.sh ] || ln -s "$file" "$1/scripts/"
    done
    {
        echo '#!/usr/bin/env bash'
        echo '# The getting-started test'"'"'s stand-in: builds the repository'"'"'s own tree (or, with'
        echo '# GETTING_STARTED_BUILD=skip, checks that its binaries exist).'
        echo 'set -euo pipefail'
        printf 'ROOT=%q\n' "$ROOT"
        cat <<'BUILD'
if [ "${GETTING_STARTED_BUILD:-}" = skip ]; then
    for binary in src/node/krnld src/cli/krnl; do
        [ -x "$ROOT/$1/$binary" ] || { echo "no $ROOT/$1/$binary: build it first" >&2; exit 1; }
    done
    echo "(getting-started test: the binaries of $ROOT/$1 as they are)"
else
    exec "$ROOT/scripts/build.sh" "$@"
fi
BUILD
    } >"$1/scripts/build.sh"
    chmod +x "$1/scripts/build.sh"
    echo "(the test's stand-in for the clone: $1/ links to $ROOT)"
}
EOF
    for i in "${!commands[@]}"; do
        line=${commands[$i]}
        echo "step $((i + 1))"
        if [[ "$CLONE" != 1 && "$line" == "git clone "* ]]; then
            clone_line=$line
            # The directory the clone would make: the line's last word.
            echo "link_checkout ${line##* }"
        else
            echo "$line"
        fi
    done
    echo "step done"
} >"$WORK/walk.sh"
if [ "$CLONE" = 1 ]; then
    ln -s "$(cd "$ROOT/.." && pwd)/shared" "$WORK/shared"
    export KRNL_REPO="$ROOT"
fi

echo "# ${DOC#"$ROOT"/}: ${#commands[@]} commands in $WORK (timeout ${TIMEOUT} s each)"
if [ "$CLONE" = 1 ]; then
    echo "# the clone: git clone of $ROOT (HEAD), then the whole build"
else
    echo "# the clone: links to $ROOT, its build$([ "${GETTING_STARTED_BUILD:-}" = skip ] && echo " as it is" || echo " (scripts/build.sh)")"
fi
export ROOT WORK
(cd "$WORK" && exec setsid --wait bash "$WORK/walk.sh") >"$WORK/walk.log" 2>&1 </dev/null &
walk_pid=$!
timed_out=""
while true; do
    state=$(ps -o stat= -p "$walk_pid" 2>/dev/null || true)
    [[ -z "$state" || "$state" == Z* ]] && break
    read -r current since < <(tail -n 1 "$WORK/progress" 2>/dev/null || echo "1 $started_at")
    if [ "$current" != "done" ] && (($(date +%s) - since > TIMEOUT)); then
        timed_out=$current
        stop_walk
        break
    fi
    sleep 1
done
wait "$walk_pid"
walk_status=$?

# One test per command, with its time; the failing one names why, those after it did not run.
declare -A began
[ -f "$WORK/progress" ] && while read -r step at; do began[$step]=$at; done <"$WORK/progress"
last=$(tail -n 1 "$WORK/progress" 2>/dev/null | cut -d' ' -f1)
last=${last:-1}
began[1]=${began[1]:-$started_at}
for i in "${!commands[@]}"; do
    n=$((i + 1))
    line=${commands[$i]}
    [ "$line" = "$clone_line" ] && line="$line (stand-in: links to $ROOT)"
    if [ "$last" = "done" ] || ((n < last)); then
        next=${began[$((n + 1))]:-${began[done]}}
        ok "$line ($((next - began[$n])) s)"
    elif ((n == last)); then
        if [ -n "$timed_out" ]; then
            not_ok "$line (timed out after $TIMEOUT s)"
        else
            not_ok "$line (exit status $walk_status)"
        fi
    else
        skip "$line" "an earlier command failed"
    fi
done

echo "# the walk's output:"
sed 's/^/#   /' "$WORK/walk.log"

# The output of the starter's run.mjs and of `krnl kernels test`.
log="$WORK/walk.log"
if [ "$last" = "done" ]; then
    hash=$(grep -oE 'add\(41\): mined in 0x[0-9a-f]{64}' "$log" | grep -oE '0x[0-9a-f]{64}' | tail -n 1)
    app=$(grep -oE '^app 0x[0-9a-fA-F]{40}' "$log" | cut -d' ' -f2 | tail -n 1)
    check "krnl kernels test: the kernel's output decoded as 42" grep -q '\[0\] uint256 = "42"' "$log"
    check "run.mjs: the attested add(41) was mined (${hash:-no transaction hash})" test -n "$hash"
    check "run.mjs: total = 41" grep -qx 'total = 41' "$log"
    check "run.mjs: add(500) refused by the policy, with its reason" \
        grep -qx "add(500): refused by the policy: the kernel's result is over the maximum" "$log"
    if [ -n "$hash" ] && [ -n "$app" ]; then
        check "the receipt of add(41) carries the app's Added(sender, 41, 42)" \
            node "$ROOT/tests/getting-started/check-added.mjs" http://127.0.0.1:8545 "$hash" "$app"
    else
        not_ok "the receipt of add(41) carries the app's Added(sender, 41, 42) (no transaction hash or app address)"
    fi
else
    for what in "krnl kernels test's output" "the attested add(41)" "total = 41" "the policy's refusal" "the Added event"; do
        skip "$what" "the walk did not finish"
    done
    [ -f "$WORK/krnl/krnld.log" ] && { echo "# the end of krnld.log:"; tail -n 30 "$WORK/krnl/krnld.log" | sed 's/^/#   /'; }
fi

# Stop the node as `kill %1` does (SIGTERM to the job's process group); its ports must be freed.
if stop_walk; then
    for _ in $(seq 1 20); do
        [ -z "$(ports_in_use)" ] && break
        sleep 0.5
    done
    check "the node stops on SIGTERM to the background job (ports 8545-8547 free)" test -z "$(ports_in_use)"
else
    not_ok "the node stops on SIGTERM to the background job (it needed SIGKILL)"
fi
summary
