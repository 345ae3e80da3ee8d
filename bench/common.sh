# What bench/server.sh, bench/counts.sh and bench/scaling.sh share, so that their figures can be
# set side by side: the same 1 KiB page, and nginx and lighttpd set up the same way. Sourced by
# them (`source bench/common.sh`), not run.

say() { printf '%s\n' "$*" >&2; }

# The path of a program: on PATH, or in /usr/sbin, where Debian puts nginx and lighttpd (not on
# a user's PATH); empty if neither.
find_program() { # name
    command -v "$1" 2>/dev/null || { [[ -x /usr/sbin/$1 ]] && echo "/usr/sbin/$1"; } || true
}

# Builds httpserve (release) in the repository the caller has cd'd to, and sets HTTPSERVE.
build_httpserve() {
    say "building httpserve (cargo build --release)…"
    cargo build --release --quiet --bin httpserve
    HTTPSERVE=$PWD/target/release/httpserve
}

# The page every request load asks for: FOLDER/index.html, HTML of exactly 1,024 bytes.
write_small_page() { # folder
    {
        printf '<!DOCTYPE html>\n<html><head><title>bench</title></head><body>\n<p>'
        head -c 2000 /dev/zero | tr '\0' 'x'
    } | head -c 1019 >"$1/index.html"
    printf '</p>\n' >>"$1/index.html" # 1019 + 5 = 1024 bytes
    [[ $(stat -c %s "$1/index.html") == 1024 ]]
}

# A loopback port free now (the kernel's choice).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench/lighttpd.conf with the port, the folder served and the temp folder filled in, written to
# TMP/lighttpd.conf (run it with lighttpd -D -f). As root, lighttpd refuses to "set uid to 0":
# then it keeps the user it was started as.
fill_lighttpd_conf() { # port folder tmp
    local user_sed=(-e "s|@USER@|$(id -un)|" -e "s|@GROUP@|$(id -gn)|")
    [[ $(id -u) == 0 ]] && user_sed=(-e '/@USER@/d' -e '/@GROUP@/d')
    sed -e "s|@PORT@|$1|" -e "s|@ROOT@|$2|" -e "s|@TMP@|$3|" "${user_sed[@]}" \
        bench/lighttpd.conf >"$3/lighttpd.conf"
}

# nginx as the benchmarks run it, written to TMP/nginx.conf (run it with nginx -c that -p
# TMP/nginx/): 2 workers, sendfile and tcp_nopush on, no access log, its files in TMP/nginx.
# MAIN and HTTP are extra lines for the main and http blocks (a measure's own limits).
write_nginx_conf() { # port folder tmp worker-connections [main] [http]
    mkdir -p "$3/nginx"
    # As root the workers would drop to "nobody", which cannot read the 0700 temp folder.
    local user_line=""
    [[ $(id -u) == 0 ]] && user_line="user root;"
    cat >"$3/nginx.conf" <<EOF
$user_line
worker_processes 2;
daemon off;
master_process on;
error_log $3/nginx/error.log;
pid $3/nginx/nginx.pid;
${5:-}
events { worker_connections $4; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path $3/nginx/body;
    proxy_temp_path $3/nginx/proxy;
    fastcgi_temp_path $3/nginx/fastcgi;
    uwsgi_temp_path $3/nginx/uwsgi;
    scgi_temp_path $3/nginx/scgi;
    ${6:-}
    server {
        listen 127.0.0.1:$1;
        root $2;
    }
}
EOF
}
