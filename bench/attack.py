#!/usr/bin/env python3
"""Attacks on httpserve, on loopback, bounded in count and time, and what other clients see.

    python3 bench/attack.py slow    [--n 200,600,1500] [--variants a,b,c] [--fresh 120]
                                    [--server-args '--max-connections 512']
    python3 bench/attack.py listing [--entries 20000] [--seconds 5]
    python3 bench/attack.py download [--seconds 5]

slow: an attacker process holds N connections and reconnects whatever the server closes, in
one of three ways: (a) connect and send nothing; (b) a request head, one byte a second;
(c) a POST to /echo announcing Content-Length: 60000 and dribbling its body a byte a second.
Meanwhile FRESH ordinary GETs are sent one after another (each with a new connection, 2 s to
be answered). Prints, per variant and N, how many connections the attacker held when the fresh
GETs began, the share of fresh GETs answered 200, and their median and p99 latency.

listing: one client fetches a folder of ENTRIES files in a loop while another sends ordinary
GETs; prints the other client's median and p99 latency, with and without the listing loop.
download: the same with a 100 MiB file fetched in a loop instead of the listing.

HTTPSERVE=path/to/httpserve measures another build (say, one from before a change).

The server is target/release/httpserve with its default settings (build it first:
cargo build --release), started by this script on 127.0.0.1 with port 0 and stopped at the end;
only processes this script started are stopped. Markdown tables go to stdout.
"""

import argparse
import asyncio
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HTTPSERVE = os.environ.get("HTTPSERVE") or os.path.join(ROOT, "target", "release", "httpserve")


def raise_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_server(folder, extra=()):
    process = subprocess.Popen(
        [HTTPSERVE, "0", "-b", "127.0.0.1", "--quiet", "--dir", folder, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    banner = process.stdout.readline()
    # "Serving HTTP on 127.0.0.1 port 41234 (…)"
    words = banner.split()
    port = int(words[words.index("port") + 1])
    return process, port


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fresh_get(port, path="/notes.txt", limit=2.0):
    """One ordinary GET on a new connection: (status, seconds), status 0 if none in time."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
            sock.settimeout(limit)
            sock.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
            reply = b""
            while True:
                chunk = sock.recv(262144)
                if not chunk:
                    break
                if len(reply) < 64:  # the status line is all that is looked at
                    reply += chunk
        status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0
    except (OSError, ValueError, IndexError):
        status = 0
    return status, time.monotonic() - started


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --- the attacker (a process of its own) ------------------------------------------------------


async def hold_one(port, variant, held, stop_at):
    """Keeps one attacking connection open, reconnecting whatever is closed."""
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        held[0] += 1
        try:
            if variant == "b":
                writer.write(b"GET /notes.txt HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            elif variant == "c":
                writer.write(b"POST /echo HTTP/1.0\r\nContent-Length: 60000\r\n\r\n")
            while time.monotonic() < stop_at:
                if variant in ("b", "c"):
                    writer.write(b"a")
                    await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(4096), timeout=1.0)
                    if not data:
                        break  # closed by the server: reconnect
                except asyncio.TimeoutError:
                    pass
        except OSError:
            pass
        finally:
            held[0] -= 1
            writer.close()


async def attack(port, variant, count, seconds):
    held = [0]
    stop_at = time.monotonic() + seconds
    tasks = [asyncio.create_task(hold_one(port, variant, held, stop_at)) for _ in range(count)]
    while time.monotonic() < stop_at:
        print(held[0], flush=True)
        await asyncio.sleep(0.5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# --- the measurements -------------------------------------------------------------------------


def run_slow(args):
    table = ["| variant | N | held | answered | median ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|"]
    folder = tempfile.mkdtemp(prefix="http10-attack.")
    with open(os.path.join(folder, "notes.txt"), "w") as notes:
        notes.write("notes\n")
    try:
        for variant in args.variants.split(","):
            for count in [int(n) for n in args.n.split(",")]:
                server, port = start_server(folder, args.server_args.split())
                attacker = subprocess.Popen(
                    [sys.executable, __file__, "_attacker", str(port), variant, str(count),
                     str(args.fresh * 0.05 + 40)],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                try:
                    # Wait (bounded) until the attacker holds its connections.
                    deadline = time.monotonic() + 30
                    held = 0
                    while held < count * 0.95 and time.monotonic() < deadline:
                        line = attacker.stdout.readline()
                        held = int(line) if line.strip().isdigit() else held
                    results = []
                    for _ in range(args.fresh):
                        results.append(fresh_get(port))
                        time.sleep(0.05)
                    answered = [seconds for status, seconds in results if status == 200]
                    share = 100.0 * len(answered) / len(results)
                    median = statistics.median(answered) * 1000 if answered else float("nan")
                    p99 = percentile(answered, 0.99) * 1000
                    table.append(
                        f"| {variant} | {count} | {held} | {share:.0f} % | {median:.1f} |"
                        f" {p99:.1f} |"
                    )
                    print(table[-1], file=sys.stderr, flush=True)
                finally:
                    attacker.kill()
                    attacker.wait()
                    stop(server)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("\n".join(table))


def run_listing(args, download=False):
    folder = tempfile.mkdtemp(prefix="http10-listing.")
    if download:
        with open(os.path.join(folder, "big.bin"), "wb") as big:
            big.write(os.urandom(100 * 1024 * 1024))
        looped = "/big.bin"
    else:
        big = os.path.join(folder, "big")
        os.mkdir(big)
        for index in range(args.entries):
            open(os.path.join(big, f"file-{index:05}.txt"), "w").close()
        looped = "/big/"
    with open(os.path.join(folder, "notes.txt"), "w") as notes:
        notes.write("notes\n")
    table = [f"| {looped} loop | other client's median ms | p99 ms | fetched |",
             "|---|---:|---:|---:|"]
    try:
        server, port = start_server(folder)
        try:
            for with_listing in (False, True):
                stop_at = time.monotonic() + args.seconds
                looper = None
                if with_listing:
                    looper = subprocess.Popen(
                        [sys.executable, __file__, "_lister", str(port), str(args.seconds + 1),
                         looped],
                        stdout=subprocess.PIPE, text=True)
                    looper.stdout.readline()  # the first listing arrived
                latencies = []
                while time.monotonic() < stop_at:
                    status, seconds = fresh_get(port)
                    if status == 200:
                        latencies.append(seconds)
                    time.sleep(0.01)
                fetched = "-"
                if looper is not None:
                    out, _ = looper.communicate(timeout=30)
                    fetched = out.strip().splitlines()[-1]
                table.append(
                    f"| {'on' if with_listing else 'off'} | "
                    f"{statistics.median(latencies) * 1000:.2f} | "
                    f"{percentile(latencies, 0.99) * 1000:.2f} | {fetched} |"
                )
        finally:
            stop(server)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("\n".join(table))


def lister(port, seconds, path):
    stop_at = time.monotonic() + seconds
    count = 0
    while time.monotonic() < stop_at:
        status, _ = fresh_get(port, path, limit=10)
        count += 1
        if count == 1:
            print("first", flush=True)
    print(count, flush=True)


def main():
    raise_file_limit()
    if len(sys.argv) > 1 and sys.argv[1] == "_attacker":
        port, variant, count, seconds = sys.argv[2:6]
        asyncio.run(attack(int(port), variant, int(count), float(seconds)))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_lister":
        lister(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    slow = sub.add_parser("slow")
    slow.add_argument("--n", default="200,600,1500")
    slow.add_argument("--variants", default="a,b,c")
    slow.add_argument("--fresh", type=int, default=120)
    slow.add_argument("--server-args", default="",
                      help="extra httpserve options, e.g. '--max-connections 512'")
    listing = sub.add_parser("listing")
    listing.add_argument("--entries", type=int, default=20000)
    listing.add_argument("--seconds", type=float, default=5)
    download = sub.add_parser("download")
    download.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    if not os.access(HTTPSERVE, os.X_OK):
        sys.exit(f"bench/attack.py: {HTTPSERVE} is missing; run cargo build --release first")
    if args.command == "slow":
        run_slow(args)
    else:
        run_listing(args, download=args.command == "download")


if __name__ == "__main__":
    main()
