#!/usr/bin/env bash
# Scaling: how httpserve, lighttpd and nginx cope with many connections at once and with very
# large files, in one run.
#
#   bash bench/scaling.sh        # a few minutes; the tables go to stdout, progress to stderr
#   CONNS="100 1000" WRK_DURATION=1s BIG_FILES="64M 256M:sparse" bash bench/scaling.sh  # a quick try
#
# One fixture in a mktemp -d folder: a 1 KiB index.html, and the BIG_FILES: "1G" is 1 GiB of
# /dev/urandom, "10G:sparse" a 10 GiB sparse file (truncate -s: no disk, and zeros to read).
# Each server listens on a free 127.0.0.1 port and is started afresh for every measure, so
# that its baseline and its peak RSS (VmHWM) belong to that measure alone:
#   * httpserve --quiet --max-connections 20000 --keep-alive-timeout 300 (HTTPSERVE_ARGS adds);
#   * lighttpd (Debian's) -D with a config written here, from bench/lighttpd.conf plus
#     server.max-fds, server.max-connections 20000 and keep-alive limits of 300 s and 100,000
#     requests;
#   * nginx, 2 workers, worker_connections 20000, worker_rlimit_nofile, keepalive_timeout 300s,
#     keepalive_requests 100000, sendfile on, access_log off.
# For each C in CONNS:
#   idle    bench/scaling_clients.py opens C connections, one keep-alive request answered on
#           each, and holds them; the server's VmRSS before (after a few warm-up requests)
#           and while they are held gives the bytes per connection, (held - before) / C. Then,
#           with them still held, a probe: PROBE requests one after another on one new
#           keep-alive connection (p50 and p99 latency). At the end the client checks that no
#           held connection was closed by the server.
#   active  wrk -t2 -cC -dWRK_DURATION --latency /: requests/s, the 99th percentile latency,
#           socket errors (connect, read, write, timeout) plus non-2xx/3xx, and the peak RSS.
# Then each big file, BIG_REPEATS times per server: curl -o /dev/null, its MiB/s, the
# processor time the server spent on it (the time its threads ran, /proc/PID/task/*/schedstat,
# read before and after) and its VmHWM after. Each file is read once beforehand into the page
# cache (cat), so that no server pays the disk or the first zero-fill of the sparse file.
# RSS: VmRSS and VmHWM from /proc/PID/status; nginx: its master and workers added up.
#
# 10,000 connections need 10,000 descriptors in the server and as many in the client: the
# script raises its open-file limit to NOFILE and the servers inherit it. If the hard limit
# is lower (raising it needs root with CAP_SYS_RESOURCE) it takes the hard limit, and says so,
# provided that is at least the largest C plus 1,024; otherwise it stops. lighttpd holds at
# most server.max-fds / 2 connections (it keeps half for backends): under a limit of 20,000
# that is 10,000, and at C=10,000 the probe's new connection then waits, unanswered, and is
# reported as a failure (the table's notes say so).
#
# Knobs (environment): CONNS="100 1000 10000" WRK_DURATION=5s PROBE=500 (requests)
# BIG_FILES="1G 10G:sparse" (SIZE for random data, SIZE:sparse for truncate -s; "" skips the
# big files) BIG_REPEATS=1 BIG_TIMEOUT=600 (seconds per fetch) SERVERS="httpserve lighttpd
# nginx" (a subset measures only those) NOFILE=65536 HTTPSERVE=path (else it is built here,
# cargo build --release --bin httpserve) HTTPSERVE_ARGS= (extra httpserve options).
# It needs wrk, curl, python3 and the servers (apt-get install nginx-light lighttpd wrk curl),
# and checks for them first. It stops only the processes it started (one server at a time),
# and removes its temp folder when it exits. Exit status: 0 once the tables are printed (a
# failed measure is a cell of the table), 1 if it could not run.
set -euo pipefail

read -r -a CONN_LIST <<<"${CONNS:-100 1000 10000}"
WRK_DURATION=${WRK_DURATION:-5s}
PROBE=${PROBE:-500}
read -r -a BIG_LIST <<<"${BIG_FILES-1G 10G:sparse}"
BIG_REPEATS=${BIG_REPEATS:-1}
BIG_TIMEOUT=${BIG_TIMEOUT:-600}
read -r -a SERVER_LIST <<<"${SERVERS:-httpserve lighttpd nginx}"
NOFILE=${NOFILE:-65536}
read -r -a HTTPSERVE_EXTRA <<<"${HTTPSERVE_ARGS:-}"
MAX_CONNECTIONS=20000 # what each server is told it may hold
KEEP_ALIVE_S=300      # idle keep-alive, so that no held connection times out during a measure

source "$(dirname "$0")/common.sh"
die() {
    say "bench/scaling.sh: $*"
    exit 1
}

for c in "${CONN_LIST[@]}"; do [[ $c =~ ^[1-9][0-9]*$ ]] || die "CONNS: $c is not a count"; done
for f in "${BIG_LIST[@]}"; do [[ $f =~ ^[1-9][0-9]*[KMG](:sparse)?$ ]] || die "BIG_FILES: $f is not SIZE or SIZE:sparse (SIZE like 64M or 1G)"; done
[[ $PROBE =~ ^[1-9][0-9]*$ && $BIG_REPEATS =~ ^[1-9][0-9]*$ ]] || die "PROBE and BIG_REPEATS are counts"
for s in "${SERVER_LIST[@]}"; do [[ $s =~ ^(httpserve|lighttpd|nginx)$ ]] || die "SERVERS: unknown server $s"; done

# --- tools -----------------------------------------------------------------------------------
has() { [[ " ${SERVER_LIST[*]} " == *" $1 "* ]]; }
NGINX=$(find_program nginx)
LIGHTTPD=$(find_program lighttpd)
missing=()
has nginx && [[ -z $NGINX ]] && missing+=(nginx)
has lighttpd && [[ -z $LIGHTTPD ]] && missing+=(lighttpd)
for tool in wrk curl python3; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
[[ -z ${HTTPSERVE:-} ]] && ! command -v cargo >/dev/null 2>&1 && missing+=(cargo)
if ((${#missing[@]})); then
    say "bench/scaling.sh: missing: ${missing[*]}"
    say "install them with:  apt-get install nginx-light lighttpd wrk curl   (cargo: rustup)"
    exit 1
fi

# --- httpserve -------------------------------------------------------------------------------
cd "$(dirname "$0")/.."
CLIENTS=$PWD/bench/scaling_clients.py
if [[ -n ${HTTPSERVE:-} ]]; then
    [[ -x $HTTPSERVE ]] || die "HTTPSERVE=$HTTPSERVE is not an executable"
else
    build_httpserve
fi

# --- open files ------------------------------------------------------------------------------
MAX_C=0
for c in "${CONN_LIST[@]}"; do ((c > MAX_C)) && MAX_C=$c; done
NEED_FDS=$((MAX_C + 1024)) # C sockets, the probe, the listening socket, files, logs
FD_NOTE=""
if ! ulimit -n "$NOFILE" 2>/dev/null; then
    hard=$(ulimit -Hn)
    [[ $hard == unlimited ]] && die "cannot raise the open-file limit to $NOFILE"
    ulimit -n "$hard"
    FD_NOTE="open-file limit $hard: NOFILE=$NOFILE is above the hard limit, which only root with CAP_SYS_RESOURCE can raise"
    say "$FD_NOTE"
fi
FDS=$(ulimit -n)
if [[ $FDS != unlimited ]] && ((FDS < NEED_FDS)); then
    die "the open-file limit is $FDS, and C=$MAX_C needs at least $NEED_FDS. Raise the hard limit (as root: ulimit -Hn $NOFILE; systemd: LimitNOFILE=; docker run --ulimit nofile=$NOFILE:$NOFILE) or lower CONNS."
fi
[[ $FDS == unlimited ]] && FDS=$NOFILE

# --- temp folder, fixture, cleanup -----------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/http10-scaling.XXXXXX")
SERVER_PID="" # the one server running now; empty when none
SERVER_NAME=""
cleanup() {
    stop_server
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FIX=$TMP/www
mkdir -p "$FIX"
write_small_page "$FIX"

bytes_of() { numfmt --from=iec "$1"; }
name_of() { echo "big-${1%%:*}.bin"; }
data_bytes=0
for f in "${BIG_LIST[@]}"; do [[ $f == *:sparse ]] || data_bytes=$((data_bytes + $(bytes_of "${f%%:*}"))); done
free_bytes=$(($(df -Pk "$TMP" | awk 'NR == 2 {print $4}') * 1024))
if ((data_bytes + 256 * 1048576 > free_bytes)); then
    die "the random big files need $((data_bytes / 1048576)) MiB (plus 256 MiB to spare) in $TMP, which has $((free_bytes / 1048576)) MiB free"
fi
for f in "${BIG_LIST[@]}"; do
    path=$FIX/$(name_of "$f")
    if [[ $f == *:sparse ]]; then
        truncate -s "${f%%:*}" "$path"
        # A file system without holes would write it all out: say so rather than fill the disk.
        (($(du -k "$path" | cut -f1) < 1024)) || die "$TMP does not keep $path sparse"
    else
        say "writing ${f} of random data…"
        head -c "$f" /dev/urandom >"$path"
    fi
    [[ $(stat -c %s "$path") == "$(bytes_of "${f%%:*}")" ]]
done

# --- servers ---------------------------------------------------------------------------------
# nginx as bench/server.sh runs it (bench/common.sh), with this measure's limits. lighttpd,
# with no server.username, keeps the user it was started as.
write_scaling_nginx_conf() { # port
    write_nginx_conf "$1" "$FIX" "$TMP" "$MAX_CONNECTIONS" "worker_rlimit_nofile $FDS;" \
        "keepalive_timeout ${KEEP_ALIVE_S}s;"
}

# bench/lighttpd.conf's settings, plus the limits of this measure. lighttpd keeps half its
# descriptors for backends: it holds at most server.max-fds / 2 connections, and says so in
# its error log when server.max-connections is more.
write_lighttpd_conf() { # port
    cat >"$TMP/lighttpd.conf" <<EOF
server.modules = ( "mod_dirlisting" )
server.bind = "127.0.0.1"
server.port = $1
server.document-root = "$FIX"
server.errorlog = "$TMP/lighttpd.error.log"
server.pid-file = "$TMP/lighttpd.pid"
server.max-fds = $FDS
server.max-connections = $MAX_CONNECTIONS
server.max-keep-alive-requests = 100000
server.max-keep-alive-idle = $KEEP_ALIVE_S
server.max-read-idle = $KEEP_ALIVE_S
index-file.names = ( "index.html" )
dir-listing.activate = "enable"
mimetype.assign = ( ".html" => "text/html", ".bin" => "application/octet-stream" )
EOF
}

# All the processes of the running server, the main one first (nginx: master, then workers).
server_pids() {
    echo "$SERVER_PID"
    [[ $SERVER_NAME == nginx ]] && ps -o pid= --ppid "$SERVER_PID" | tr -d ' '
    true
}
alive() { [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; }

# Starts server $1 on a new free port: sets SERVER_NAME, SERVER_PID, PORT_NOW. Returns 1 (and
# shows its log) if it does not answer within 10 s.
start_server() {
    SERVER_NAME=$1
    PORT_NOW=$(free_port)
    case $1 in
    httpserve)
        "$HTTPSERVE" "$PORT_NOW" --dir "$FIX" --bind 127.0.0.1 --quiet \
            --max-connections "$MAX_CONNECTIONS" --keep-alive-timeout "$KEEP_ALIVE_S" \
            "${HTTPSERVE_EXTRA[@]}" >"$TMP/httpserve.log" 2>&1 &
        ;;
    lighttpd)
        write_lighttpd_conf "$PORT_NOW"
        "$LIGHTTPD" -D -f "$TMP/lighttpd.conf" >"$TMP/lighttpd.log" 2>&1 &
        ;;
    nginx)
        write_scaling_nginx_conf "$PORT_NOW"
        "$NGINX" -c "$TMP/nginx.conf" -p "$TMP/nginx/" >"$TMP/nginx.log" 2>&1 &
        ;;
    esac
    SERVER_PID=$!
    local _
    for _ in $(seq 100); do
        if curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$PORT_NOW/"; then
            # nginx answers from its first worker while the second may still be starting.
            [[ $1 != nginx || $(server_pids | wc -l) -ge 3 ]] && return 0
        fi
        alive || break
        sleep 0.1
    done
    say "  $1 did not start on port $PORT_NOW:"
    tail -n 5 "$TMP/$1.log" "$TMP/lighttpd.error.log" "$TMP/nginx/error.log" 2>/dev/null | sed 's/^/    /' >&2 || true
    stop_server
    return 1
}

# Stops the running server: SIGTERM, then waits for it. nginx's master stops its workers and
# waits for them; should one outlive it, that one (checked to be an nginx worker) is killed.
stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    local workers="" w
    [[ $SERVER_NAME == nginx ]] && workers=$(ps -o pid= --ppid "$SERVER_PID" | tr -d ' ')
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    for w in $workers; do
        for _ in $(seq 50); do
            [[ $({ tr '\0' ' ' <"/proc/$w/cmdline"; } 2>/dev/null) == "nginx: worker"* ]] || continue 2
            sleep 0.1
        done
        kill "$w" 2>/dev/null || true
    done
}

warm_up() { # a few requests so that caches are filled before the baseline
    local _
    for _ in 1 2 3 4 5; do curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT_NOW/" || true; done
    sleep 0.5
}

status_kib() { # field pid
    awk -v k="$1:" '$1 == k {print $2}' "/proc/$2/status" 2>/dev/null || true
}
# A status field over all the server's processes: "total each+each" in KiB.
server_kib() { # field
    local p v total=0 each=""
    for p in $(server_pids); do
        v=$(status_kib "$1" "$p")
        total=$((total + ${v:-0}))
        each+="${each:++}${v:-0}"
    done
    echo "$total $each"
}
# Nanoseconds the server's threads have run so far, all its processes together: the first
# field of /proc/PID/task/*/schedstat (exact to the ns, where /proc/PID/stat counts 10 ms
# ticks). printf "%.0f": the sum is past awk's exact-integer printing, which would say 1.2e+10.
server_nanos() {
    local p
    for p in $(server_pids); do cat /proc/"$p"/task/*/schedstat 2>/dev/null || true; done |
        awk '{t += $1} END {printf "%.0f\n", t}'
}
per_process() { tr '+' '\n' <<<"$1" | awk '{printf "%s%.1f", (NR > 1 ? " + " : ""), $1 / 1024}'; } # "kib+kib"
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k {print $2}'; } # key "k=v k=v"
# wrk prints times as 812.00us, 1.23ms, 2.00s or 1.00m: in ms.
to_ms() {
    awk -v t="$1" 'BEGIN {
        if (t ~ /us$/) v = t / 1000; else if (t ~ /ms$/) v = t + 0
        else if (t ~ /m$/) v = t * 60000; else if (t ~ /s$/) v = t * 1000; else { print "–"; exit }
        printf "%.2f", v }'
}

declare -A R # results: R[server:C:key], R[server:file:key]

# --- idle: C connections held ----------------------------------------------------------------
measure_idle() { # server C
    local s=$1 c=$2 key="$1:$2" out rc=0 pids base held opened closed
    say "idle $s C=$c"
    if ! start_server "$s"; then
        R[$key:fail]="server did not start"
        return
    fi
    warm_up
    pids=$(server_pids | paste -sd, -)
    out=$(timeout $((c / 50 + 300)) python3 "$CLIENTS" idle "$PORT_NOW" "$c" --pids "$pids" \
        --probe "$PROBE" --timeout 10 --open-timeout $((c / 50 + 60)) 2>"$TMP/client.err") || rc=$?
    sed 's/^/  /' "$TMP/client.err" >&2
    alive || R[$key:fail]="server died; "
    stop_server
    if [[ -z $out ]]; then
        R[$key:fail]+="client: $(tail -n 1 "$TMP/client.err" | sed 's/^ *//') (exit $rc)"
        return
    fi
    base=$(field base_kib "$out")
    held=$(field held_kib "$out")
    opened=$(field held "$out")
    closed=$(field closed "$out")
    [[ $closed =~ ^[0-9]+$ ]] && opened=$((opened - closed))
    R[$key:held]=$opened
    R[$key:base]=$(tr '+' '\n' <<<"$base" | awk '{t += $1} END {print t + 0}')
    R[$key:rss]=$(tr '+' '\n' <<<"$held" | awk '{t += $1} END {print t + 0}')
    R[$key:each]=$held
    # The client says "-" for what it could not measure: left unset, the table says "–".
    [[ $(field p50_ms "$out") != - ]] && R[$key:p50]=$(field p50_ms "$out")
    [[ $(field p99_ms "$out") != - ]] && R[$key:p99]=$(field p99_ms "$out")
    if [[ $base != - && $held != - ]]; then
        R[$key:per]=$(awk -v a="${R[$key:rss]}" -v b="${R[$key:base]}" -v c="$c" 'BEGIN {printf "%.0f", (a - b) * 1024 / c}')
    fi
    if ((rc != 0)); then
        R[$key:fail]+=$(grep 'FAILED' "$TMP/client.err" | sed 's/^ *FAILED: //' | paste -sd ';' - | sed 's/;/; /g')
    fi
    say "  RSS ${R[$key:base]} → ${R[$key:rss]} KiB, ${R[$key:per]:-–} B/connection, probe p50 ${R[$key:p50]:-–} p99 ${R[$key:p99]:-–} ms"
}

# --- active: wrk with C connections ----------------------------------------------------------
measure_active() { # server C
    local s=$1 c=$2 key="$1:$2" out errors non2xx p99 hwm each
    say "active $s C=$c: wrk -t2 -c$c -d$WRK_DURATION --latency"
    if ! start_server "$s"; then
        R[$key:wfail]="server did not start"
        return
    fi
    warm_up
    out=$(timeout 300 wrk -t2 -c"$c" -d"$WRK_DURATION" --latency "http://127.0.0.1:$PORT_NOW/" 2>&1 || true)
    read -r hwm each <<<"$(server_kib VmHWM)"
    R[$key:whwm_each]=$each
    alive || R[$key:wfail]="server died; "
    stop_server
    R[$key:rps]=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
    if [[ -z ${R[$key:rps]} ]]; then
        R[$key:wfail]+="wrk: $(tail -n 1 <<<"$out")"
        say "  wrk did not finish: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
        return
    fi
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    R[$key:wp99]=$(to_ms "$p99")
    errors=$(awk -F'[ ,]+' '/Socket errors/ {print $4 + $6 + $8 + $10}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx/ {print $NF}' <<<"$out")
    R[$key:werr]=$((${errors:-0} + ${non2xx:-0}))
    R[$key:whwm]=$hwm
    say "  ${R[$key:rps]} req/s, p99 ${R[$key:wp99]} ms, ${R[$key:werr]} errors, peak RSS $hwm KiB"
}

# --- big files -------------------------------------------------------------------------------
measure_big() { # server file
    local s=$1 f=$2 key="$1:$2" url out code size speed before after r speeds="" failed=0 want hwm each
    want=$(bytes_of "${f%%:*}")
    url="http://127.0.0.1:PORT/$(name_of "$f")"
    say "big $s $f: curl ×$BIG_REPEATS"
    if ! start_server "$s"; then
        R[$key:fail]="server did not start"
        return
    fi
    url=${url/PORT/$PORT_NOW}
    warm_up
    before=$(server_nanos)
    for ((r = 0; r < BIG_REPEATS; r++)); do
        out=$(curl -s -o /dev/null --max-time "$BIG_TIMEOUT" -w '%{http_code} %{size_download} %{speed_download}' "$url" || true)
        read -r code size speed <<<"$out"
        if [[ $code != 200 || $size != "$want" ]]; then
            failed=$((failed + 1))
            say "  fetch failed: HTTP ${code:-none}, ${size:-0} of $want bytes"
        else
            speeds+="$speed "
        fi
    done
    after=$(server_nanos)
    read -r hwm each <<<"$(server_kib VmHWM)"
    R[$key:hwm]=$hwm R[$key:hwm_each]=$each
    alive || R[$key:fail]="server died; "
    stop_server
    R[$key:code]=${code:-none}
    R[$key:size]=${size:-0}
    R[$key:cpu]=$(awk -v a="$after" -v b="$before" -v n="$BIG_REPEATS" 'BEGIN {printf "%.0f", (a - b) / 1e6 / n}')
    # The median of the fetches that came through whole.
    R[$key:mibs]=$(tr ' ' '\n' <<<"$speeds" | grep . | sort -g |
        awk '{a[NR] = $1 / 1048576} END {if (NR) printf "%.0f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; else print "–"}')
    ((failed)) && R[$key:fail]+="$failed of $BIG_REPEATS fetches failed (HTTP $code, $size of $want bytes)"
    say "  ${R[$key:mibs]} MiB/s, server CPU ${R[$key:cpu]} ms per fetch, VmHWM ${R[$key:hwm]} KiB"
}

# --- the run ---------------------------------------------------------------------------------
START=$(date +%s)
# The servers take turns, in an order that rotates with each C, so that none always goes first.
n_servers=${#SERVER_LIST[@]}
turn=0
for c in "${CONN_LIST[@]}"; do
    order=("${SERVER_LIST[@]:turn%n_servers}" "${SERVER_LIST[@]:0:turn%n_servers}")
    for s in "${order[@]}"; do measure_idle "$s" "$c"; done
    for s in "${order[@]}"; do measure_active "$s" "$c"; done
    turn=$((turn + 1))
done
for f in "${BIG_LIST[@]}"; do
    say "reading $(name_of "$f") once into the page cache…"
    cat "$FIX/$(name_of "$f")" >/dev/null
    order=("${SERVER_LIST[@]:turn%n_servers}" "${SERVER_LIST[@]:0:turn%n_servers}")
    for s in "${order[@]}"; do measure_big "$s" "$f"; done
    turn=$((turn + 1))
done
ELAPSED=$(($(date +%s) - START))

# --- tables ----------------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "Scaling benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, ${cpu:-unknown CPU}; CONNS=\"${CONN_LIST[*]}\" WRK_DURATION=$WRK_DURATION PROBE=$PROBE BIG_FILES=\"${BIG_LIST[*]}\" BIG_REPEATS=$BIG_REPEATS, open-file limit $FDS; measured in ${ELAPSED}s, load average at end $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| server | C | held at end | RSS before MiB | RSS held MiB | bytes/connection | probe p50 ms | probe p99 ms | wrk req/s | wrk p99 ms | wrk errors | wrk peak RSS MiB | failures |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for c in "${CONN_LIST[@]}"; do
    for s in "${SERVER_LIST[@]}"; do
        k=$s:$c
        rss_b=– rss_h=– wh=–
        [[ -n ${R[$k:base]:-} ]] && rss_b=$(mib "${R[$k:base]}")
        [[ -n ${R[$k:rss]:-} ]] && rss_h=$(mib "${R[$k:rss]}")
        [[ -n ${R[$k:whwm]:-} ]] && wh=$(mib "${R[$k:whwm]}")
        fails="${R[$k:fail]:-}"
        [[ -n ${R[$k:wfail]:-} ]] && fails+="${fails:+; }wrk: ${R[$k:wfail]}"
        [[ -z $fails ]] && fails=none
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$c" \
            "${R[$k:held]:-–}" "$rss_b" "$rss_h" "${R[$k:per]:-–}" "${R[$k:p50]:-–}" "${R[$k:p99]:-–}" \
            "${R[$k:rps]:-–}" "${R[$k:wp99]:-–}" "${R[$k:werr]:-–}" "$wh" "$fails"
    done
done
if ((${#BIG_LIST[@]})); then
    echo
    echo "| server | file | HTTP | bytes | MiB/s | server CPU ms per fetch | VmHWM after MiB | failures |"
    echo "|---|---|---:|---:|---:|---:|---:|---|"
    for f in "${BIG_LIST[@]}"; do
        for s in "${SERVER_LIST[@]}"; do
            k=$s:$f
            hwm=–
            [[ -n ${R[$k:hwm]:-} ]] && hwm=$(mib "${R[$k:hwm]}")
            printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$s" "$f" "${R[$k:code]:-–}" \
                "${R[$k:size]:-–}" "${R[$k:mibs]:-–}" "${R[$k:cpu]:-–}" "$hwm" "${R[$k:fail]:-none}"
        done
    done
fi
echo
echo "How to read it: each server was started afresh for each row's idle and active measures and for each big file."
echo "held at end = connections answered and still open after the probe; bytes/connection = (VmRSS held − VmRSS before) / C, after a 1 s settle (RSS moves in 4 KiB pages: at C=100 the figure is a few pages' noise, read it at 1,000 and up); the probe = $PROBE requests one after another on one new keep-alive connection while the C were held (nearest-rank percentiles)."
echo "wrk errors = socket errors (connect, read, write, timeout: wrk's timeout is 2 s) + non-2xx/3xx; wrk peak RSS = VmHWM after the run, which includes the start and the warm-up."
((${#BIG_LIST[@]})) && echo "Big files: MiB/s = curl's speed_download (median of BIG_REPEATS), server CPU = the time its threads ran (/proc/PID/task/*/schedstat), per fetch."
if has nginx; then
    each="" peaks=""
    for c in "${CONN_LIST[@]}"; do
        [[ -n ${R[nginx:$c:each]:-} ]] && each+="${each:+, }C=$c: $(per_process "${R[nginx:$c:each]}")"
        [[ -n ${R[nginx:$c:whwm_each]:-} ]] && peaks+="${peaks:+, }C=$c: $(per_process "${R[nginx:$c:whwm_each]}")"
    done
    echo "nginx: RSS figures are sums over its master and 2 workers (wrk peak RSS: the sum of their VmHWM, each its own peak). Pages they share are counted in each; held − before is their new memory."
    echo "nginx per process in MiB, master + worker + worker — RSS held: ${each:-–}; VmHWM after wrk: ${peaks:-–}."
fi
if has lighttpd; then
    clamp=$(grep -o "can't have more connections than fds/2: [0-9]* [0-9]*" "$TMP/lighttpd.error.log" 2>/dev/null | tail -n 1 | awk '{print $NF}' || true)
    [[ -n $clamp ]] && echo "lighttpd holds at most server.max-fds / 2 = $((clamp / 2)) connections here (its log: \"can't have more connections than fds/2\"); past that, a new connection (the probe's) waits, unanswered."
fi
[[ -n $FD_NOTE ]] && echo "Note: $FD_NOTE."
true
