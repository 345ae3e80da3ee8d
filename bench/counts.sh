#!/usr/bin/env bash
# Counts per request: httpserve against lighttpd, on a 1 KiB index.html, 127.0.0.1 only.
#
#   bash bench/counts.sh
#
# Two figures that, unlike a rate or a CPU time, do not move with the other work on a shared
# machine:
#   1. instructions per kept-alive request: each server under valgrind --tool=callgrind, once
#      started and stopped with no requests, once with ab -k -n CALLGRIND_N -c CALLGRIND_CONC
#      in between; (Ir with the load - Ir without) / CALLGRIND_N, REPEAT times each;
#   2. system calls per request: each server under strace -f -c, once with no load (subtracted,
#      call by call) and once for each of ab -n N -c 50 (a new connection per request),
#      ab -k -n N -c 50, wrk -t2 -c50 -dWRK_DURATION (divided by wrk's request count), and
#      BIG_N fetches of a 100 MiB file by curl (divided by BIG_N: calls per fetch).
# Markdown tables on stdout, progress on stderr. Everything lives in a mktemp -d folder removed
# at exit, and only the processes this script started are stopped, by their PIDs.
#
# Knobs (environment): CALLGRIND_N=5000 CALLGRIND_CONC=1 REPEAT=2 N=20000 CONC=50
# WRK_DURATION=3s BIG_N=3 TOP=12 (calls named per row, at most)
set -euo pipefail

CALLGRIND_N=${CALLGRIND_N:-5000}
CALLGRIND_CONC=${CALLGRIND_CONC:-1}
REPEAT=${REPEAT:-2}
N=${N:-20000}
CONC=${CONC:-50}
WRK_DURATION=${WRK_DURATION:-3s}
BIG_N=${BIG_N:-3}
TOP=${TOP:-12}

source "$(dirname "$0")/common.sh"

# --- tools -----------------------------------------------------------------------------------
LIGHTTPD=$(find_program lighttpd)
missing=()
for tool in valgrind callgrind_annotate strace ab wrk curl python3 cargo; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[[ -n $LIGHTTPD ]] || missing+=(lighttpd)
if ((${#missing[@]})); then
    say "bench/counts.sh: missing: ${missing[*]}"
    say "install them with:  apt-get install valgrind strace apache2-utils wrk lighttpd curl"
    exit 2
fi

# --- build -----------------------------------------------------------------------------------
cd "$(dirname "$0")/.."
build_httpserve

# --- temp folder, fixture, cleanup -----------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/http10-counts.XXXXXX")
# One server runs at a time: these are its PIDs while it runs, empty otherwise (a PID kept after
# its process ended could by then be another's). Under strace the server is signalled itself:
# a tracer killed first would leave it running, detached.
WRAPPER_PID=""
SERVER_PID=""
cleanup() {
    if [[ -n $WRAPPER_PID ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        kill "$WRAPPER_PID" 2>/dev/null || true
        wait "$WRAPPER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FIX=$TMP/www
mkdir -p "$FIX"
write_small_page "$FIX"
head -c 100M /dev/urandom >"$FIX/big.bin"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT/

# bench/lighttpd.conf, as bench/server.sh fills it in.
fill_lighttpd_conf "$PORT" "$FIX" "$TMP"

server_command() { # server: the command line that serves FIX on PORT, in the foreground
    case $1 in
        httpserve) echo "$HTTPSERVE $PORT --dir $FIX --bind 127.0.0.1 --threads 1 --quiet" ;;
        lighttpd) echo "$LIGHTTPD -D -f $TMP/lighttpd.conf" ;;
    esac
}

# Starts "wrapper... server-command" in the background and waits until one GET is answered
# (that request is in every run, with a load or without, so it cancels out). Sets WRAPPER_PID
# (valgrind execs in place, so its PID is the server's; strace's is the tracer's) and
# SERVER_PID (the process to signal: for strace, its child).
start() { # name log wrapper...
    local name=$1 log=$2
    shift 2
    # shellcheck disable=SC2046 # the server's command line is split on purpose
    "$@" $(server_command "$name") >"$log.out" 2>"$log.err" &
    WRAPPER_PID=$!
    SERVER_PID=$WRAPPER_PID
    local _
    for _ in $(seq 300); do
        if curl -sf -o /dev/null "$URL"; then
            if [[ $1 == strace ]]; then
                SERVER_PID=$(ps -o pid= --ppid "$WRAPPER_PID" | head -n1 | tr -d ' ')
            fi
            return
        fi
        kill -0 "$WRAPPER_PID" 2>/dev/null || break
        sleep 0.1
    done
    say "bench/counts.sh: $name did not start under $1 on port $PORT"
    cat "$log.err" >&2
    exit 1
}

# Stops the server with SIGTERM (httpserve: a graceful stop; a second SIGTERM: at once) and
# waits for its wrapper to write its figures and end; SIGKILL only if that takes over 60 s.
stop() {
    local i
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for i in $(seq 600); do
        kill -0 "$WRAPPER_PID" 2>/dev/null || break
        ((i == 100)) && kill -TERM "$SERVER_PID" 2>/dev/null
        sleep 0.1
    done
    if kill -0 "$WRAPPER_PID" 2>/dev/null; then
        say "bench/counts.sh: pid $WRAPPER_PID did not stop; killed (its figures are lost)"
        kill -KILL "$WRAPPER_PID" 2>/dev/null || true
    fi
    wait "$WRAPPER_PID" 2>/dev/null || true
    WRAPPER_PID=""
    SERVER_PID=""
}

# ab, quietly; prints the requests completed, or 0 if any failed.
run_ab() { # ab options...
    local out complete failed non2xx
    out=$(timeout 300 ab -q -r -s 30 "$@" "$URL" 2>&1 || true)
    complete=$(awk '/^Complete requests/ {print $3}' <<<"$out")
    failed=$(awk '/^Failed requests/ {print $3}' <<<"$out")
    non2xx=$(awk '/^Non-2xx responses/ {print $3}' <<<"$out")
    if [[ -z $complete || ${failed:-0} != 0 || ${non2xx:-0} != 0 ]]; then
        say "  ab $*: complete ${complete:-?}, failed ${failed:-?}, non-2xx ${non2xx:-0}"
        echo 0
        return
    fi
    echo "$complete"
}
# wrk: prints its request count (the responses it read), or 0 on non-2xx/3xx or on connect,
# read or write errors. Timeouts (no response within wrk's 2 s) do not spoil the count, since
# a request wrk did not see answered is not counted; they are noted (WRK_NOTE) and said.
run_wrk() {
    local out requests bad
    out=$(timeout 120 wrk -t2 -c"$CONC" -d"$WRK_DURATION" "$URL" 2>&1 || true)
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    bad=$(awk -F'[ ,]+' '/Socket errors/ && $4 + $6 + $8 > 0; /Non-2xx/' <<<"$out")
    WRK_NOTE=$(awk -F'[ ,]+' '/Socket errors/ && $10 > 0 {print "wrk: " $10 " timeouts"}' <<<"$out")
    [[ -n $WRK_NOTE ]] && say "  $WRK_NOTE"
    if [[ -z $requests || -n $bad ]]; then
        say "  wrk: ${bad:-no request count}"
        echo 0
        return
    fi
    echo "$requests"
}

# --- 1. instructions per request (callgrind) -------------------------------------------------
total_ir() { # callgrind output file: its total Ir
    callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
callgrind_run() { # server label requests: sets RESULT to the run's total Ir
    local out=$TMP/$1-$2.callgrind
    start "$1" "$TMP/$1-$2" valgrind --tool=callgrind --callgrind-out-file="$out"
    if (($3 > 0)); then
        local done
        done=$(run_ab -k -n "$3" -c "$CALLGRIND_CONC")
        [[ $done == "$3" ]] || say "  $1: ab completed $done of $3"
    fi
    stop
    RESULT=$(total_ir "$out")
}

declare -A IR
for ((r = 1; r <= REPEAT; r++)); do
    for s in httpserve lighttpd; do
        say "callgrind, round $r/$REPEAT: $s"
        callgrind_run "$s" "base$r" 0
        base=$RESULT
        callgrind_run "$s" "load$r" "$CALLGRIND_N"
        load=$RESULT
        IR[$s:$r]="$base $load"
        say "  $s: Ir $base with no requests, $load with $CALLGRIND_N"
    done
done

# --- 2. system calls per request (strace) ----------------------------------------------------
# strace -c's summary as "name calls" lines (the errors column may be empty: count from the
# left, and take the name from the right).
strace_counts() { # strace -c output file
    awk '$4 ~ /^[0-9]+$/ && $NF != "total" {print $NF, $4}' "$1"
}
strace_run() { # server label load: sets RESULT to the requests; the counts go to TMP/server-label.calls
    local s=$1 label=$2 requests=0
    shift 2
    start "$s" "$TMP/$s-$label" strace -f -c -o "$TMP/$s-$label.strace"
    case $1 in
        none) requests=0 ;;
        ab) requests=$(run_ab -n "$N" -c "$CONC") ;;
        abk) requests=$(run_ab -k -n "$N" -c "$CONC") ;;
        wrk)
            requests=$(run_wrk 2>"$TMP/wrk.note")
            cat "$TMP/wrk.note" >&2
            ;;
        big)
            for ((f = 0; f < BIG_N; f++)); do
                curl -sf -o /dev/null --max-time 120 "${URL}big.bin" && requests=$((requests + 1))
            done
            ;;
    esac
    stop
    strace_counts "$TMP/$s-$label.strace" >"$TMP/$s-$label.calls"
    RESULT=$requests
}
# "total | top calls" per request: the load's calls less the no-load run's, call by call.
per_request() { # base-calls load-calls requests
    awk -v n="$3" -v top="$TOP" '
        FNR == NR {base[$1] = $2; next}
        {d = $2 - base[$1]; if (d > 0) {per[$1] = d / n; total += d / n}}
        END {
            printf "%.2f |", total
            k = 0
            while (k < top) {
                best = ""
                for (c in per) if (best == "" || per[c] > per[best]) best = c
                if (best == "" || per[best] < 0.005) break
                printf "%s %s %.2f", (k ? "," : ""), best, per[best]
                delete per[best]
                k++
            }
        }' "$1" "$2"
}

declare -A ROW
for s in httpserve lighttpd; do
    say "strace: $s, no load"
    strace_run "$s" none none
    for load in ab abk wrk big; do
        say "strace: $s, $load"
        strace_run "$s" "$load" "$load"
        requests=$RESULT
        if ((requests == 0)); then
            ROW[$s:$load]="– | the load failed"
        else
            note=""
            [[ $load == wrk ]] && note=$(sed -n 's/^  \(wrk: [0-9]* timeouts\)$/ (\1)/p' "$TMP/wrk.note")
            ROW[$s:$load]="$requests$note | $(per_request "$TMP/$s-none.calls" "$TMP/$s-$load.calls" "$requests")"
        fi
    done
done

# --- tables ----------------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "Counts — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, ${cpu:-unknown CPU}, $("$HTTPSERVE" --version 2>/dev/null | head -n1), $("$LIGHTTPD" -v 2>/dev/null | head -n1 | cut -d' ' -f1)"
echo
echo "Instructions (Ir, valgrind --tool=callgrind), ab -k -n $CALLGRIND_N -c $CALLGRIND_CONC, less a run with no requests:"
echo
echo "| round | server | Ir, no requests | Ir, $CALLGRIND_N requests | per request | httpserve/lighttpd |"
echo "|---|---|---:|---:|---:|---:|"
for ((r = 1; r <= REPEAT; r++)); do
    declare -A PER=()
    for s in httpserve lighttpd; do
        read -r base load <<<"${IR[$s:$r]}"
        PER[$s]=$(awk -v a="${load:-0}" -v b="${base:-0}" -v n="$CALLGRIND_N" 'BEGIN {printf "%.0f", (a - b) / n}')
    done
    for s in httpserve lighttpd; do
        read -r base load <<<"${IR[$s:$r]}"
        ratio=""
        [[ $s == httpserve ]] && ratio=$(awk -v a="${PER[httpserve]}" -v b="${PER[lighttpd]}" 'BEGIN {if (b > 0) printf "%.2f×", a / b}')
        printf '| %s | %s | %s | %s | %s | %s |\n' "$r" "$s" "$base" "$load" "${PER[$s]}" "$ratio"
    done
done
echo
echo "System calls per request (strace -f -c, less a run with no load; calls under 0.005 per request left out):"
echo
echo "| load | server | requests | per request | calls per request |"
echo "|---|---|---:|---:|---|"
declare -A LOAD_NAME=([ab]="ab -n $N -c $CONC" [abk]="ab -k -n $N -c $CONC" [wrk]="wrk -t2 -c$CONC -d$WRK_DURATION" [big]="curl of 100 MiB, $BIG_N fetches (per fetch)")
for load in ab abk wrk big; do
    for s in httpserve lighttpd; do
        echo "| ${LOAD_NAME[$load]} | $s | ${ROW[$s:$load]} |"
    done
done
