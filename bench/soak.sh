#!/usr/bin/env bash
# Soak: does httpserve lose anything (file descriptors, memory, replies) under a long mixed load?
#
#   bash bench/soak.sh            # about 1 minute; the tables go to stdout, progress to stderr
#
# Starts target/release/httpserve (built first if stale) on 127.0.0.1, port 0, serving a fixture
# in a mktemp -d folder, and runs three steps against it (clients: bench/soak_clients.py):
#   1. N_MIXED connections, CONC at a time, of twelve kinds interleaved: GET, HEAD, 404,
#      400 (malformed request line), 431 (a 17 KB head), 501 (BREW), POST /echo, POST /upper,
#      HTTP/0.9, a folder listing, keep-alive x10, and aborted downloads (64 KiB of a 100 MiB
#      file, then close);
#   2. N_PARALLEL concurrent downloads of a 1 MiB random file, opened together, each compared
#      byte for byte;
#   3. one download of a 1 GiB sparse file (truncate -s 1G), its length checked.
# It reads the server's open fds (/proc/PID/fd) and VmRSS/VmHWM (/proc/PID/status) before,
# midway (after step 1) and after (after step 3), each time once the fd count has settled
# (waiting at most SETTLE seconds: kept-alive and lingering connections close on their own).
#
# Exit status: 0 if every step had no failure, the fds after are at most the fds before plus
# FD_SLACK, VmRSS after is at most VmRSS before plus RSS_SLACK_MIB, and the server stopped on
# SIGINT with status 0; 1 otherwise (and 2 if it could not start).
#
# Knobs (environment): N_MIXED=10000 CONC=50 N_PARALLEL=1000 SETTLE=15 (seconds)
# FD_SLACK=0 RSS_SLACK_MIB=4 HUGE=1G SERVER_ARGS= (extra httpserve options)
# Needs python3 and cargo. Only the server this script started is stopped, and its temp folder
# is removed at exit.
set -euo pipefail

N_MIXED=${N_MIXED:-10000}
CONC=${CONC:-50}
N_PARALLEL=${N_PARALLEL:-1000}
SETTLE=${SETTLE:-15}
FD_SLACK=${FD_SLACK:-0}
RSS_SLACK_MIB=${RSS_SLACK_MIB:-4}
HUGE=${HUGE:-1G}
SERVER_ARGS=${SERVER_ARGS:-}

say() { printf '%s\n' "$*" >&2; }

for tool in python3 cargo; do
    command -v "$tool" >/dev/null 2>&1 || { say "bench/soak.sh: missing: $tool"; exit 2; }
done

cd "$(dirname "$0")/.."
say "building httpserve (cargo build --release --bin httpserve)…"
cargo build --release --quiet --bin httpserve
HTTPSERVE=$PWD/target/release/httpserve
CLIENTS=$PWD/bench/soak_clients.py

# 1,000 concurrent downloads need more than the usual 1,024 descriptors on this side too.
ulimit -n "$(ulimit -Hn)"

# --- temp folder, fixture, cleanup -----------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/http10-soak.XXXXXX")
SERVER=""
cleanup() {
    if [[ -n $SERVER ]]; then
        kill "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FIX=$TMP/www
mkdir -p "$FIX/dir"
printf 'Notes for the soak: a small text file.\n' >"$FIX/notes.txt"
for i in $(seq -w 0 19); do printf 'entry %s\n' "$i" >"$FIX/dir/entry-$i.txt"; done
head -c 1M /dev/urandom >"$FIX/mib.bin"
truncate -s 100M "$FIX/big.bin" # for the aborted downloads
truncate -s "$HUGE" "$FIX/huge.bin"

# --- the server ------------------------------------------------------------------------------
# shellcheck disable=SC2086 # SERVER_ARGS is a list of options
"$HTTPSERVE" 0 --bind 127.0.0.1 --quiet --dir "$FIX" $SERVER_ARGS >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER=$!
PORT=""
for _ in $(seq 100); do
    # "Serving HTTP on 127.0.0.1 port 41234 (…)"
    PORT=$(awk 'NR == 1 {for (i = 1; i < NF; i++) if ($i == "port") print $(i + 1)}' "$TMP/server.out")
    [[ -n $PORT ]] && break
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $PORT ]]; then
    say "bench/soak.sh: httpserve did not start"
    cat "$TMP/server.err" >&2
    exit 2
fi
say "httpserve pid $SERVER on 127.0.0.1 port $PORT, serving $FIX"

alive() { kill -0 "$SERVER" 2>/dev/null && [[ $(awk '/^State/ {print $2}' "/proc/$SERVER/status" 2>/dev/null) != Z ]]; }
fds() { ls "/proc/$SERVER/fd" 2>/dev/null | wc -l; }
status_kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SERVER/status" 2>/dev/null || echo 0; }

# Waits (at most SETTLE s) until the fd count is back to at most $1; prints the seconds waited.
settle() {
    local target=$1 start=$SECONDS
    while ((SECONDS - start < SETTLE)) && alive && (($(fds) > target)); do sleep 0.2; done
    echo $((SECONDS - start))
}

declare -A FD RSS HWM WAITED
snapshot() { # label
    FD[$1]=$(fds)
    RSS[$1]=$(status_kib VmRSS)
    HWM[$1]=$(status_kib VmHWM)
    say "  $1: fds ${FD[$1]}, VmRSS ${RSS[$1]} kB, VmHWM ${HWM[$1]} kB"
}

declare -A FAILED TOTAL TOOK
step() { # name timeout-seconds args…
    local name=$1 limit=$2 out failed total took
    shift 2
    say "step $name: python3 bench/soak_clients.py $*"
    if out=$(timeout "$limit" python3 "$CLIENTS" "$@" | tail -n 1) && [[ -n $out ]]; then
        read -r failed total took <<<"$out"
    else
        say "  FAILED: the clients did not finish within ${limit}s"
        failed=unfinished total="?" took=$limit
    fi
    FAILED[$name]=$failed TOTAL[$name]=$total TOOK[$name]=$took
    say "  $name: $failed failed of $total in ${took}s"
    alive || say "  the server is gone after step $name"
}

sleep 0.2
snapshot before
step mixed 300 mixed "$PORT" "$FIX" --n "$N_MIXED" --conc "$CONC"
WAITED[midway]=$(settle "${FD[before]}")
snapshot midway
step parallel 300 parallel "$PORT" "$FIX" --n "$N_PARALLEL" --path /mib.bin
step huge 120 huge "$PORT" "$FIX" --path /huge.bin
WAITED[after]=$(settle "${FD[before]}")
snapshot after

ALIVE=yes
alive || ALIVE=no
EXIT_STATUS="(gone)"
if [[ $ALIVE == yes ]]; then
    kill -INT "$SERVER"
    for _ in $(seq 150); do
        alive || break
        sleep 0.1
    done
    alive && kill -KILL "$SERVER" # it did not stop within 15 s: wait below returns 137
    set +e
    wait "$SERVER"
    EXIT_STATUS=$?
    set -e
    SERVER=""
fi

# --- tables ----------------------------------------------------------------------------------
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
yes_no() { if (("$1")); then echo yes; else echo '**no**'; fi; }

fd_ok=$((FD[after] <= FD[before] + FD_SLACK))
rss_ok=$((RSS[after] <= RSS[before] + RSS_SLACK_MIB * 1024))
exit_ok=0
[[ $EXIT_STATUS == 0 ]] && exit_ok=1

echo "Soak — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| step | connections | failed | seconds | met |"
echo "|---|---:|---:|---:|---|"
steps_ok=1
for s in mixed parallel huge; do
    f=${FAILED[$s]}
    ok=0
    [[ $f == 0 ]] && ok=1
    ((ok)) || steps_ok=0
    case $s in
    mixed) label="1. mixed, $CONC at a time (12 kinds, keep-alive ×10 counts once)" ;;
    parallel) label="2. concurrent 1 MiB downloads, compared byte for byte" ;;
    huge) label="3. one $HUGE sparse download, length checked" ;;
    esac
    echo "| $label | ${TOTAL[$s]} | $f | ${TOOK[$s]} | $(yes_no "$ok") |"
done
echo
echo "| server | before | midway (after step 1) | after (after step 3) | check | met |"
echo "|---|---:|---:|---:|---|---|"
echo "| open fds | ${FD[before]} | ${FD[midway]} | ${FD[after]} | after ≤ before + $FD_SLACK | $(yes_no "$fd_ok") |"
echo "| VmRSS MiB | $(mib "${RSS[before]}") | $(mib "${RSS[midway]}") | $(mib "${RSS[after]}") | after ≤ before + $RSS_SLACK_MIB MiB | $(yes_no "$rss_ok") |"
echo "| VmHWM MiB (peak so far) | $(mib "${HWM[before]}") | $(mib "${HWM[midway]}") | $(mib "${HWM[after]}") | – | – |"
echo "| exit status on SIGINT | | | $EXIT_STATUS | 0 | $(yes_no "$exit_ok") |"
echo
echo "Midway and after were read once the fd count was back to its value before (waited ${WAITED[midway]} s and ${WAITED[after]} s, at most ${SETTLE} s)."

if ((steps_ok && fd_ok && rss_ok && exit_ok)); then
    exit 0
fi
say "bench/soak.sh: FAILED (see the tables)"
exit 1
