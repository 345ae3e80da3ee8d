#!/usr/bin/env bash
# Server benchmark: httpserve against nginx, lighttpd, darkhttpd and python3 -m http.server, in
# one run.
#
#   bash bench/server.sh
#
# Serves one fixture (a 1 KiB index.html, a 100 MiB file) on 127.0.0.1 from each server and
# measures, ROUNDS times each (median reported):
#   ab -n N -c 50             HTTP/1.0, a new connection per request
#   ab -k -n N_KEEPALIVE -c 50 keep-alive
#   wrk -t2 -c50 -dD          HTTP/1.1 (keep-alive where the server allows it)
#   curl of the 100 MiB file (MiB/s), BIG_FETCHES times per round (median of all the fetches)
# plus each server's peak RSS (VmHWM), the processor time it spent per request (the time its
# threads ran, from /proc/PID/task/*/schedstat), and the failed requests over all runs. Prints a markdown
# table on stdout; progress goes to stderr. Everything lives in a mktemp -d folder removed at
# exit, and only the processes this script started are stopped.
#
# Knobs (environment): ROUNDS=5 N=50000 N_KEEPALIVE=150000 CONC=50 WRK_DURATION=5s
# AB_TIMELIMIT=10 (seconds, per ab run: caps the slow python runs) SETTLE=5 (seconds of pause
# after each python run) BIG_FETCHES=10 PEERS="nginx lighttpd darkhttpd python" (darkhttpd only
# if found: DARKHTTPD=path, or on PATH) MEASURES="ab abk wrk big" (a subset runs only those)
# BEFORE=path/to/an/older/httpserve (measured too, as "before": a change's before and after in
# one run) HTTPSERVE_ARGS="--no-cache" (extra options for httpserve)
set -euo pipefail

# Each fast server's ab run lasts 1 to 2 s and each wrk run 5 s: at 20,000 requests an ab -k
# run was over in 0.15 s and swung from 124k to 192k requests/s between runs of one server
# (8 runs; 144k to 173k at 100,000 requests). More, longer runs make the medians steadier.
ROUNDS=${ROUNDS:-5}
N=${N:-50000}
N_KEEPALIVE=${N_KEEPALIVE:-150000}
CONC=${CONC:-50}
WRK_DURATION=${WRK_DURATION:-5s}
AB_TIMELIMIT=${AB_TIMELIMIT:-10}
BIG_FETCHES=${BIG_FETCHES:-10}
BIG_BYTES=$((100 * 1024 * 1024))
DARKHTTPD=${DARKHTTPD:-$(command -v darkhttpd || true)}
DEFAULT_PEERS="nginx lighttpd${DARKHTTPD:+ darkhttpd} python"
read -r -a PEER_LIST <<<"${PEERS:-$DEFAULT_PEERS}"
read -r -a MEASURE_LIST <<<"${MEASURES:-ab abk wrk big}"
SERVERS=(httpserve)
[[ -n ${BEFORE:-} ]] && SERVERS+=(before)
SERVERS+=("${PEER_LIST[@]}")
read -r -a HTTPSERVE_EXTRA <<<"${HTTPSERVE_ARGS:-}"

source "$(dirname "$0")/common.sh"

# --- tools -----------------------------------------------------------------------------------
NGINX=$(find_program nginx)
missing=()
[[ -n $NGINX ]] || missing+=(nginx)
LIGHTTPD=$(find_program lighttpd)
[[ " ${SERVERS[*]} " == *" lighttpd "* && -z $LIGHTTPD ]] && missing+=(lighttpd)
[[ " ${SERVERS[*]} " == *" darkhttpd "* && ! -x $DARKHTTPD ]] && missing+=(darkhttpd)
for tool in ab wrk curl python3 cargo; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    say "bench/server.sh: missing: ${missing[*]}"
    say "install them with:  apt-get install nginx-light lighttpd apache2-utils wrk curl time"
    say "(python3 and cargo come from python3 and rustup; darkhttpd is built from its source:"
    say " make in a clone of github.com/emikulic/darkhttpd, then DARKHTTPD=path/to/darkhttpd)"
    exit 1
fi

# --- build -----------------------------------------------------------------------------------
cd "$(dirname "$0")/.."
build_httpserve

# --- temp folder, fixture, cleanup -----------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/http10-bench.XXXXXX")
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FIX=$TMP/www
mkdir -p "$FIX"
write_small_page "$FIX"
head -c 100M /dev/urandom >"$FIX/big.bin"
[[ $(stat -c %s "$FIX/big.bin") == "$BIG_BYTES" ]]

# Six free loopback ports, held open together so they differ.
read -r P_HTTPSERVE P_BEFORE P_NGINX P_LIGHTTPD P_PYTHON P_DARKHTTPD < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks:
    s.close()
EOF
)
declare -A PORT=([httpserve]=$P_HTTPSERVE [before]=$P_BEFORE [nginx]=$P_NGINX [lighttpd]=$P_LIGHTTPD [python]=$P_PYTHON [darkhttpd]=$P_DARKHTTPD)
declare -A PID
has() { [[ " ${SERVERS[*]} " == *" $1 "* ]]; }

# --- servers ---------------------------------------------------------------------------------
"$HTTPSERVE" "$P_HTTPSERVE" --dir "$FIX" --bind 127.0.0.1 --quiet "${HTTPSERVE_EXTRA[@]}" >"$TMP/httpserve.out" 2>"$TMP/httpserve.err" &
PID[httpserve]=$!
PIDS+=("$!")
if has before; then
    "$BEFORE" "$P_BEFORE" --dir "$FIX" --bind 127.0.0.1 --quiet >"$TMP/before.out" 2>"$TMP/before.err" &
    PID[before]=$!
    PIDS+=("$!")
fi

if has nginx; then
    write_nginx_conf "$P_NGINX" "$FIX" "$TMP" 1024
    "$NGINX" -c "$TMP/nginx.conf" -p "$TMP/nginx/" >"$TMP/nginx.out" 2>&1 &
    PID[nginx]=$!
    PIDS+=("$!")
fi

if has lighttpd; then
    # bench/lighttpd.conf, with this run's port and folders filled in; -D: foreground.
    fill_lighttpd_conf "$P_LIGHTTPD" "$FIX" "$TMP"
    "$LIGHTTPD" -D -f "$TMP/lighttpd.conf" >"$TMP/lighttpd.out" 2>&1 &
    PID[lighttpd]=$!
    PIDS+=("$!")
fi

if has darkhttpd; then
    # No log unless --log is given; keep-alive is on by default.
    "$DARKHTTPD" "$FIX" --addr 127.0.0.1 --port "$P_DARKHTTPD" >"$TMP/darkhttpd.out" 2>&1 &
    PID[darkhttpd]=$!
    PIDS+=("$!")
fi

if has python; then
    python3 -m http.server "$P_PYTHON" --bind 127.0.0.1 --directory "$FIX" >/dev/null 2>&1 &
    PID[python]=$!
    PIDS+=("$!")
fi

for s in "${SERVERS[@]}"; do
    for _ in $(seq 100); do
        curl -sf -o /dev/null "http://127.0.0.1:${PORT[$s]}/" && continue 2
        kill -0 "${PID[$s]}" 2>/dev/null || break
        sleep 0.1
    done
    say "bench/server.sh: $s did not start on port ${PORT[$s]}"
    cat "$TMP/$s".* >&2 2>/dev/null || true
    [[ $s == nginx ]] && cat "$TMP/nginx/error.log" >&2 2>/dev/null
    exit 1
done
# The python3 shim (pyenv) may exec or fork: find the process really listening.
if has python && [[ $(cat "/proc/${PID[python]}/comm" 2>/dev/null) != python* ]]; then
    child=$(ps -o pid= --ppid "${PID[python]}" | head -n1 | tr -d ' ')
    [[ -n $child ]] && PID[python]=$child
fi

# --- measures --------------------------------------------------------------------------------
declare -A VALS FAILED
for s in "${SERVERS[@]}"; do FAILED[$s]=0; done

# ab: prints "rps failed requests". Each run stops after n requests or AB_TIMELIMIT seconds,
# whichever comes first (python3's server is slow enough to hit the limit); requests an
# aborted run did not complete count as failed.
run_ab() { # url n [ab options]
    local url=$1 n=$2
    shift 2
    local out rps complete failed non2xx
    out=$({ time timeout $((AB_TIMELIMIT + 60)) ab -q -r -s 30 -t "$AB_TIMELIMIT" "$@" -n "$n" -c "$CONC" "$url" 2>&1; } 2>"$TMP/client.time" || true)
    rps=$(awk '/^Requests per second/ {print $4}' <<<"$out")
    complete=$(awk '/^Complete requests/ {print $3}' <<<"$out")
    failed=$(awk '/^Failed requests/ {print $3}' <<<"$out")
    non2xx=$(awk '/^Non-2xx responses/ {print $3}' <<<"$out")
    if [[ -z $rps ]]; then
        complete=$(grep -o 'Total of [0-9]*' <<<"$out" | awk '{print $3}')
        say "  ab did not finish: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
        echo "0 $((n - ${complete:-0})) ${complete:-0}"
        return
    fi
    ((complete < n)) && say "  (time limit: $complete of $n requests in ${AB_TIMELIMIT}s)"
    echo "$rps $((${failed:-0} + ${non2xx:-0})) $complete"
}

# wrk: prints "rps errors requests" (errors: socket errors of every kind plus non-2xx/3xx).
run_wrk() {
    local out rps errors non2xx requests
    out=$({ time timeout 120 wrk -t2 -c"$CONC" -d"$WRK_DURATION" "$1" 2>&1; } 2>"$TMP/client.time" || true)
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    errors=$(awk -F'[ ,]+' '/Socket errors/ {print $4 + $6 + $8 + $10}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx/ {print $NF}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    if [[ -z $rps ]]; then
        say "  wrk did not finish: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
        echo "0 1 0"
        return
    fi
    echo "$rps $((${errors:-0} + ${non2xx:-0})) ${requests:-0}"
}

# curl of the big file: prints "MiB/s failed".
run_curl() {
    local out code size speed
    out=$({ time curl -s -o /dev/null --max-time 120 -w '%{http_code} %{size_download} %{speed_download}' "$1"; } 2>"$TMP/client.time" || true)
    read -r code size speed <<<"$out"
    if [[ $code != 200 || $size != "$BIG_BYTES" ]]; then
        say "  curl failed: $out"
        echo "0 1"
        return
    fi
    awk -v b="$speed" 'BEGIN {printf "%.1f 0\n", b / 1048576}'
}

record() { # server measure "value failed [requests]" [processor ns the server spent]
    local value failed requests
    read -r value failed requests <<<"$3"
    VALS[$1:$2]+="$value "
    FAILED[$1]=$((FAILED[$1] + failed))
    if [[ -n ${4:-} ]]; then
        NANOS[$1:$2]=$((${NANOS[$1:$2]:-0} + $4))
        REQUESTS[$1:$2]=$((${REQUESTS[$1:$2]:-0} + ${requests:-0}))
    fi
    say "  $(printf '%-9s %-6s %10s  failed %s' "$1" "$2" "$value" "$failed")"
}

# Processor time a server has used so far: the nanoseconds each of its threads has run, from
# /proc/PID/task/*/schedstat (first field), summed over its threads; nginx: its master and
# workers together. Read before and after each run, the difference is what that run cost the
# server: a figure that depends far less on the machine's other load than a rate does, and
# exact to the nanosecond, where /proc/PID/stat counts in 10 ms ticks.
declare -A NANOS REQUESTS
server_nanos() { # server
    local pids=${PID[$1]}
    [[ $1 == nginx ]] && pids="${PID[nginx]} $(nginx_workers)"
    local p total=0 ns
    for p in $pids; do
        ns=$(cat /proc/"$p"/task/*/schedstat 2>/dev/null | awk '{t += $1} END {printf "%.0f\n", t}')
        total=$((total + ${ns:-0}))
    done
    echo "$total"
}
measure() { # server key command...: runs a request load, records its figures and its cost
    local s=$1 key=$2 before result
    shift 2
    before=$(server_nanos "$s")
    result=$("$@")
    record "$s" "$key" "$result" $(($(server_nanos "$s") - before))
    note_client "$s" "$key"
}

# How busy the client was: the processor time the load generator (ab, wrk, curl) used over
# the wall time of its run, from bash's `time` (getrusage of the waited-for children). ab and
# curl are one thread each: at 1.00 the client was never waiting for the server, and the
# rate it reports is its own speed more than the server's. wrk runs two threads (up to 2.00).
TIMEFORMAT='%3R %3U %3S'
declare -A CLIENT
note_client() { # server key
    local busy
    busy=$(awk '{if ($1 > 0) printf "%.2f", ($2 + $3) / $1}' "$TMP/client.time" 2>/dev/null)
    [[ -n $busy ]] && CLIENT[$1:$2]+="$busy "
    true
}

vmhwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
nginx_workers() { ps -o pid= --ppid "${PID[nginx]}" | tr -d ' '; }

# Peak RSS in MiB: httpserve, lighttpd and python are one process each; nginx is reported as
# its largest worker (the master is noted separately).
declare -A RSS
snapshot_rss() { # label
    local s w max=0 kib
    for s in "${SERVERS[@]}"; do
        [[ $s == nginx ]] && continue
        RSS[$s:$1]=$(vmhwm_kib "${PID[$s]}")
    done
    if has nginx; then
        for w in $(nginx_workers); do
            kib=$(vmhwm_kib "$w")
            ((kib > max)) && max=$kib
        done
        RSS[nginx:$1]=$max
        RSS[nginxmaster:$1]=$(vmhwm_kib "${PID[nginx]}")
    fi
}

say "warming up…"
for s in "${SERVERS[@]}"; do
    timeout 60 ab -q -r -s 30 -n 2000 -c "$CONC" "http://127.0.0.1:${PORT[$s]}/" >/dev/null 2>&1 || true
done

# The order of one round: the fast servers, rotated each round so that none always runs first
# or always follows the same one, then python, whose runs last the whole time limit. Followed
# by a pause: in a plain rotation one server always ran right after python's 20 s of new
# connections, and a server measured then was slower in 4 of 6 tries here (up to 20 %) than
# the same server measured 5 s later.
FAST_SERVERS=()
for s in "${SERVERS[@]}"; do [[ $s != python ]] && FAST_SERVERS+=("$s"); done
round_order() {
    local r=$1 n=${#FAST_SERVERS[@]}
    order=("${FAST_SERVERS[@]:r%n}" "${FAST_SERVERS[@]:0:r%n}")
    has python && order+=(python)
    true
}
settle() { [[ $1 == python ]] && sleep "${SETTLE:-5}"; true; }

wanted() { [[ " ${MEASURE_LIST[*]} " == *" $1 "* ]]; }
START=$(date +%s)
for ((r = 0; r < ROUNDS; r++)); do
    round_order "$r"
    say "round $((r + 1))/$ROUNDS"
    if wanted ab; then
        for s in "${order[@]}"; do measure "$s" ab run_ab "http://127.0.0.1:${PORT[$s]}/" "$N"; settle "$s"; done
    fi
    if wanted abk; then
        for s in "${order[@]}"; do measure "$s" abk run_ab "http://127.0.0.1:${PORT[$s]}/" "$N_KEEPALIVE" -k; settle "$s"; done
    fi
    if wanted wrk; then
        for s in "${order[@]}"; do measure "$s" wrk run_wrk "http://127.0.0.1:${PORT[$s]}/"; settle "$s"; done
    fi
done
snapshot_rss load
wanted big && say "100 MiB: one fetch from each server first, not counted"
wanted big && for s in "${SERVERS[@]}"; do run_curl "http://127.0.0.1:${PORT[$s]}/big.bin" >/dev/null; done
# A fetch lasts about 50 ms, and single fetches swing by 2x: take BIG_FETCHES per round, and
# the median of them all.
for ((r = 0; r < ROUNDS; r++)); do
    wanted big || break
    round_order "$r"
    say "100 MiB fetches, round $((r + 1))/$ROUNDS"
    for ((f = 0; f < BIG_FETCHES; f++)); do
        for s in "${order[@]}"; do
            record "$s" big "$(run_curl "http://127.0.0.1:${PORT[$s]}/big.bin")"
            note_client "$s" big
        done
    done
done
snapshot_rss all
ELAPSED=$(($(date +%s) - START))

# --- table -----------------------------------------------------------------------------------
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f×", a / b; else print "–"}'; }
# ok VALUE OP LIMIT: "yes" or "**no**"
ok() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {r = (op == ">=") ? v >= l : v <= l; print r ? "yes" : "**no**"}'; }

declare -A MED
for s in "${SERVERS[@]}"; do
    for m in ab abk wrk big; do MED[$s:$m]=$(median <<<"${VALS[$s:$m]:-0}"); done
done

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "Server benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, ${cpu:-unknown CPU}, load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "ab: -n $N, ab -k: -n $N_KEEPALIVE, both -c $CONC (each run capped at ${AB_TIMELIMIT}s); wrk: -t2 -c$CONC -d$WRK_DURATION; median of $ROUNDS runs each; 100 MiB: median of $((ROUNDS * BIG_FETCHES)) fetches; measured in ${ELAPSED}s."
echo
# The table: every server's median, then httpserve against the best peer of each column (the
# peers are PEERS, not "before"), and the target from bench/README.md.
header="| measure |"
line="|---|"
for s in "${SERVERS[@]}"; do header+=" $s |"; line+="---:|"; done
echo "$header compared with | httpserve/it | target | met |"
echo "$line---|---:|---|---|"
best_peer() { # key: prints "name value" of the peer with the highest median
    local p best="" value=0
    for p in "${PEER_LIST[@]}"; do
        if awk -v a="${MED[$p:$1]}" -v b="$value" 'BEGIN {exit !(a > b)}'; then
            best=$p
            value=${MED[$p:$1]}
        fi
    done
    echo "$best $value"
}
row() { # label key target-ratio target-text [peer: compare with this one, not the best]
    local s cells="" name value q
    for s in "${SERVERS[@]}"; do cells+=" ${MED[$s:$2]} |"; done
    if [[ -n ${5:-} ]]; then
        name=$5
        value=${MED[$5:$2]}
    else
        read -r name value < <(best_peer "$2")
    fi
    q=$(awk -v a="${MED[httpserve:$2]}" -v b="$value" 'BEGIN {print (b > 0) ? a / b : 0}')
    echo "| $1 |$cells $name | $(ratio "${MED[httpserve:$2]}" "$value") | $4 | $(ok "$q" ">=" "$3") |"
}
wanted ab && row "ab req/s (new connection each)" ab 0.9 "≥ 0.9× best peer"
wanted abk && row "ab -k req/s (keep-alive)" abk 0.9 "≥ 0.9× best peer"
wanted wrk && row "wrk req/s" wrk 0.9 "≥ 0.9× best peer"
wanted big && row "100 MiB by curl, MiB/s" big 0.9 "≥ 0.9× best peer"
rss_row() { # label snapshot
    local s cells=""
    for s in "${SERVERS[@]}"; do cells+=" $(mib "${RSS[$s:$2]:-0}") |"; done
    echo "| $1 |$cells – | – | ≤ 4 MiB | $(ok "${RSS[httpserve:$2]}" "<=" 4096) |"
}
# Processor time per request, over all the rounds of a measure: µs its threads ran. Compared
# with the peer that spent the least; lower is better, and the target is ≤ 0.8× that peer.
cpu_row() { # label key
    local s cells="" us best="" best_us=""
    declare -A US
    for s in "${SERVERS[@]}"; do
        US[$s]=$(awk -v t="${NANOS[$s:$2]:-0}" -v n="${REQUESTS[$s:$2]:-0}" \
            'BEGIN {if (n > 0) printf "%.1f", t / 1e3 / n; else print "–"}')
        cells+=" ${US[$s]} |"
    done
    for s in "${PEER_LIST[@]}"; do
        us=${US[$s]}
        [[ $us == – ]] && continue
        if [[ -z $best ]] || awk -v a="$us" -v b="$best_us" 'BEGIN {exit !(a < b)}'; then
            best=$s
            best_us=$us
        fi
    done
    local q
    q=$(awk -v a="${US[httpserve]}" -v b="${best_us:-0}" 'BEGIN {print (b > 0) ? a / b : 99}')
    echo "| $1 |$cells ${best:-–} | $(ratio "${US[httpserve]}" "${best_us:-0}") | ≤ 0.8× most frugal peer | $(ok "$q" "<=" 0.8) |"
}
wanted ab && cpu_row "server CPU µs per request, ab" ab
wanted abk && cpu_row "server CPU µs per request, ab -k" abk
wanted wrk && cpu_row "server CPU µs per request, wrk" wrk
# How busy each client was while it measured each server (median over the runs): no target,
# but a rate measured by a client at 1.00 says how fast the client went.
client_row() { # label key
    local s cells=""
    for s in "${SERVERS[@]}"; do cells+=" $(median <<<"${CLIENT[$s:$2]:-0}") |"; done
    echo "| $1 |$cells – | – | – | – |"
}
wanted ab && client_row "client CPU / wall time, ab (1 thread)" ab
wanted abk && client_row "client CPU / wall time, ab -k (1 thread)" abk
wanted wrk && client_row "client CPU / wall time, wrk (2 threads)" wrk
wanted big && client_row "client CPU / wall time, curl 100 MiB (1 thread)" big
rss_row "peak RSS MiB after the request loads" load
rss_row "peak RSS MiB after the 100 MiB fetches too" all
cells=""
for s in "${SERVERS[@]}"; do cells+=" ${FAILED[$s]} |"; done
echo "| failed requests (all runs) |$cells – | – | 0 | $( ((FAILED[httpserve] == 0)) && echo yes || echo '**no**') |"
echo
if has nginx; then
    echo "Peak RSS is VmHWM from /proc/PID/status; for nginx, its larger worker (the master: $(mib "${RSS[nginxmaster:all]}") MiB)."
fi
echo "Server CPU = the time the server's threads ran, from /proc/PID/task/*/schedstat (nginx: master and workers), over all the runs of that measure, per request completed."
echo "Client CPU / wall time = the load generator's user + system time over its run's wall time (bash \`time\`), median over the runs: 1.00 for ab or curl means the client never waited for the server."
echo "Failed = ab failed + non-2xx + unfinished, wrk socket errors + non-2xx/3xx, curl errors or short bodies."
if [[ -n ${BEFORE:-} ]]; then
    echo "before = $BEFORE; httpserve = this tree${HTTPSERVE_ARGS:+ with $HTTPSERVE_ARGS}."
fi
