#!/usr/bin/env bash
# httpget against curl --http1.0, in one run: the time to fetch a 1 KiB and a 100 MiB file from
# the same local server (process start included), and httpget's peak memory (RSS).
#
# Targets (issue 3): 100 MiB at >= 1.0x curl's speed, 1 KiB no slower than curl, peak RSS
# <= 4 MiB whatever the size.
#
# Needs: cargo, curl, hyperfine, GNU time (/usr/bin/time), python3, and nginx (preferred: it
# serves with sendfile, so the server is not the bottleneck) or else python3 -m http.server.
# Usage: bench/httpget.sh        (RUNS_SMALL, RUNS_LARGE and SERVER=python|nginx can be set)
set -euo pipefail

cd "$(dirname "$0")/.."
runs_small=${RUNS_SMALL:-200}
runs_large=${RUNS_LARGE:-20}

for tool in curl hyperfine python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 1; }
done

echo "== building httpget (release)"
cargo build --release --quiet --bin httpget
httpget=$PWD/target/release/httpget

work=$(mktemp -d)
server_pid=""
cleanup() {
    # Only the server this script started.
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/www"
head -c 1024 /dev/urandom >"$work/www/1k.bin"
head -c $((100 * 1024 * 1024)) /dev/urandom >"$work/www/100m.bin"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server=${SERVER:-$(command -v nginx >/dev/null && echo nginx || echo python)}
if [ "$server" = nginx ]; then
    cat >"$work/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 256; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $work/tmp;
    proxy_temp_path $work/tmp;
    fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp;
    scgi_temp_path $work/tmp;
    server {
        listen 127.0.0.1:$port;
        root $work/www;
    }
}
CONF
    mkdir "$work/tmp"
    nginx -p "$work" -e "$work/error.log" -c "$work/nginx.conf" &
    server_pid=$!
else
    python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
    server_pid=$!
fi

base="http://127.0.0.1:$port"
for _ in $(seq 100); do
    curl -s -o /dev/null "$base/1k.bin" && break
    sleep 0.05
done
curl -sf -o /dev/null "$base/1k.bin" || { echo "bench: the $server server did not start" >&2; exit 1; }
echo "== server: $server on $base"
echo "== $("$httpget" --version), $(curl --version | head -1 | cut -d' ' -f1-2)"

for size in 1k 100m; do
    runs=$runs_small
    [ "$size" = 100m ] && runs=$runs_large
    echo
    echo "== $size.bin, $runs runs each"
    hyperfine --shell=none --warmup 3 --runs "$runs" --export-json "$work/$size.json" \
        --command-name httpget "$httpget -s -o /dev/null $base/$size.bin" \
        --command-name curl "curl --http1.0 -s -o /dev/null $base/$size.bin"
    python3 - "$work/$size.json" "$size" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ours, theirs = results["httpget"]["median"], results["curl"]["median"]
line = f"median {sys.argv[2]}: httpget {ours * 1000:.2f} ms, curl {theirs * 1000:.2f} ms, "
line += f"httpget speed = {theirs / ours:.2f}x curl's"
if sys.argv[2] == "100m":
    line += f" ({100 / ours:.0f} MiB/s against {100 / theirs:.0f} MiB/s)"
print(line)
PY
done

echo
echo "== peak RSS (GNU time, maximum resident set size)"
for size in 1k 100m; do
    for client in httpget curl; do
        if [ "$client" = httpget ]; then
            command=("$httpget" -s -o /dev/null "$base/$size.bin")
        else
            command=(curl --http1.0 -s -o /dev/null "$base/$size.bin")
        fi
        kib=$(/usr/bin/time -v "${command[@]}" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}')
        awk -v c="$client" -v s="$size" -v k="$kib" 'BEGIN { printf "%-8s %-5s %6d KiB (%.2f MiB)\n", c, s, k, k / 1024 }'
    done
done
