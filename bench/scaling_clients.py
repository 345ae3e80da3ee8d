#!/usr/bin/env python3
"""The idle-connections client of bench/scaling.sh: holds many keep-alive connections open to
one server and measures the server meanwhile.

    python3 bench/scaling_clients.py idle PORT CONNS --pids PID[,PID...] [--probe 500]

Against 127.0.0.1:PORT it
  1. reads the VmRSS of the server's processes (PIDS: nginx's master and workers), the baseline;
  2. opens CONNS connections, at most --in-flight at a time still waiting for their reply, and
     on each sends one keep-alive request, "GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n", reads the
     whole response, and keeps the connection open;
  3. waits --settle seconds and reads the VmRSS again, with all of them held;
  4. the probe: --probe requests one after another on one new keep-alive connection, each
     timed from its first byte sent to its last byte read;
  5. checks that every held connection is still open: none may have become readable (a close
     or a reset from the server, or bytes nobody asked for).

It prints one line on stdout, space-separated key=value fields:
    held=N failed=N closed=N open_s=S base_kib=A+B held_kib=A+B probe=N p50_ms=X p99_ms=Y
(the KiB per process, in the order of --pids; a field it could not measure is "-"), progress
and failures on stderr (the last stderr line is the main failure), and exits 1 if any
connection could not be opened or held or the probe failed, 2 on bad arguments.

Python 3 standard library only. Every wait is bounded: a connection gets --timeout seconds for
its reply, the whole opening step --open-timeout, each probe request --timeout.
"""

import argparse
import collections
import errno
import math
import resource
import selectors
import socket
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
MAX_HEAD = 16 * 1024  # a response head longer than this is a failure, not a wait


def say(text):
    print(text, file=sys.stderr, flush=True)


def raise_file_limit(conns):
    """Soft limit up to the hard one: CONNS sockets need CONNS descriptors on this side too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = conns + 100
    if hard != resource.RLIM_INFINITY:
        wanted = hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    if soft != resource.RLIM_INFINITY and soft < conns + 20:
        raise SystemExit(f"open-file limit {soft} is too low for {conns} connections "
                         "(raise it with ulimit -n)")


def rss_kib(pids):
    """VmRSS in KiB of each process, in order; None for one that is gone."""
    values = []
    for pid in pids:
        value = None
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        value = int(line.split()[1])
        except OSError:
            pass
        values.append(value)
    return values


def joined(values):
    if not values or any(v is None for v in values):
        return "-"
    return "+".join(str(v) for v in values)


class Bad(Exception):
    """A response this client cannot keep the connection open after."""


def parse_head(buf):
    """Given the bytes read so far: None while the head is incomplete, else the total length
    the response will have (head + body). Raises Bad for anything that would end the
    connection or that the client cannot frame."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEAD:
            raise Bad("response head over 16 KiB")
        return None
    lines = buf[:end].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise Bad(f"status line {lines[0][:40]!r}")
    if parts[1] != "200":
        raise Bad(f"status {parts[1]}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    connection = headers.get("connection", "")
    # RFC 9112 §9.3: an HTTP/1.1 connection persists unless "close"; an HTTP/1.0 one only
    # with "keep-alive" (httpserve answers HTTP/1.0 with Connection: keep-alive).
    if "close" in connection or (parts[0] == "HTTP/1.0" and "keep-alive" not in connection):
        raise Bad(f"server will close ({parts[0]}, Connection: {connection or 'absent'})")
    if "content-length" not in headers:
        raise Bad("no Content-Length")
    return end + 4 + int(headers["content-length"])


class Opening:
    """One connection on its way: connecting, then its request sent, then its reply read."""

    __slots__ = ("sock", "fd", "sent", "buf", "need", "deadline")

    def __init__(self, sock, deadline):
        self.sock = sock
        self.fd = sock.fileno()  # kept: a closed socket's fileno() is -1
        self.sent = False
        self.buf = b""
        self.need = None
        self.deadline = deadline


def open_held(port, conns, in_flight, timeout, open_timeout):
    """Opens CONNS connections, each with one request answered. Returns (held sockets,
    failure counter). At most IN_FLIGHT are unanswered at once, so that the server's listen
    backlog never overflows (a dropped SYN is retried only after a second)."""
    sel = selectors.DefaultSelector()
    held = []
    failures = collections.Counter()
    started = 0
    pending = {}
    stop_at = time.monotonic() + open_timeout
    next_report = time.monotonic() + 5

    def fail(op, why):
        failures[why] += 1
        sel.unregister(op.sock)
        op.sock.close()
        del pending[op.fd]

    while started < conns or pending:
        now = time.monotonic()
        if now > stop_at:
            for op in list(pending.values()):
                fail(op, f"not answered within the --open-timeout of {open_timeout:g}s")
            failures[f"not started within the --open-timeout of {open_timeout:g}s"] += (
                conns - started)
            break
        while started < conns and len(pending) < in_flight:
            started += 1
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            err = sock.connect_ex(("127.0.0.1", port))
            if err not in (0, errno.EINPROGRESS):
                failures[f"connect: {errno.errorcode.get(err, err)}"] += 1
                sock.close()
                continue
            op = Opening(sock, now + timeout)
            pending[sock.fileno()] = op
            sel.register(sock, selectors.EVENT_WRITE, op)
        for key, _ in sel.select(timeout=0.2):
            op = key.data
            try:
                if not op.sent:
                    err = op.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        fail(op, f"connect: {errno.errorcode.get(err, err)}")
                        continue
                    op.sock.send(REQUEST)  # 27 bytes into an empty send buffer: all of it
                    op.sent = True
                    sel.modify(op.sock, selectors.EVENT_READ, op)
                    continue
                data = op.sock.recv(65536)
            except OSError as e:
                fail(op, f"{type(e).__name__}: {e.strerror or e}")
                continue
            if not data:
                fail(op, "closed by the server before its whole reply")
                continue
            op.buf += data
            try:
                if op.need is None:
                    op.need = parse_head(op.buf)
            except Bad as e:
                fail(op, str(e))
                continue
            if op.need is not None and len(op.buf) >= op.need:
                if len(op.buf) > op.need:
                    fail(op, "bytes after the response")
                    continue
                sel.unregister(op.sock)
                del pending[op.fd]
                held.append(op.sock)
        now = time.monotonic()
        for op in [op for op in pending.values() if now > op.deadline]:
            fail(op, f"no whole reply within {timeout:g}s")
        if now > next_report:
            say(f"  … {len(held)} held, {len(pending)} opening, {sum(failures.values())} failed")
            next_report = now + 5
    sel.close()
    return held, failures


def read_response(sock):
    """One whole response on a blocking socket (with a timeout). Returns True if the
    connection stays open after it."""
    buf = b""
    need = None
    while need is None or len(buf) < need:
        data = sock.recv(65536)
        if not data:
            raise Bad("closed by the server before its whole reply")
        buf += data
        if need is None:
            try:
                need = parse_head(buf)
            except Bad as e:
                if str(e).startswith("server will close"):
                    return False  # its reply still counts; the next request reconnects
                raise
    return True


def probe(port, n, timeout):
    """N requests one after another on one keep-alive connection (a new one if the server
    ends it, as httpserve does after 999). Returns (latencies in seconds, reconnects)."""
    times = []
    reconnects = 0
    sock = None
    try:
        for _ in range(n):
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            start = time.perf_counter()
            sock.sendall(REQUEST)
            kept = read_response(sock)
            times.append(time.perf_counter() - start)
            if not kept:
                sock.close()
                sock = None
                reconnects += 1
    finally:
        if sock is not None:
            sock.close()
    return times, reconnects


def closed_since(held):
    """How many held connections have become readable: the server closed or reset them, or
    sent something unasked. A quiet open connection is never readable."""
    sel = selectors.DefaultSelector()
    for sock in held:
        sel.register(sock, selectors.EVENT_READ)
    gone = collections.Counter()
    for key, _ in sel.select(timeout=0):
        try:
            data = key.fileobj.recv(1, socket.MSG_PEEK)
            gone["closed by the server" if not data else "unasked bytes"] += 1
        except BlockingIOError:
            pass  # spurious wakeup
        except OSError as e:
            gone[f"{type(e).__name__}"] += 1
    sel.close()
    return gone


def percentile(sorted_values, p):
    """Nearest rank: the smallest value with at least p % of them at or below it."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def run_idle(args):
    pids = [int(p) for p in args.pids.split(",") if p]
    raise_file_limit(args.conns)
    fields = {"held": 0, "failed": 0, "closed": "-", "open_s": "-", "base_kib": "-",
              "held_kib": "-", "probe": 0, "p50_ms": "-", "p99_ms": "-"}
    problems = []

    base = rss_kib(pids)
    fields["base_kib"] = joined(base)
    start = time.monotonic()
    held, failures = open_held(args.port, args.conns, args.in_flight, args.timeout,
                               args.open_timeout)
    fields["open_s"] = f"{time.monotonic() - start:.1f}"
    fields["held"] = len(held)
    fields["failed"] = sum(failures.values())
    say(f"  {len(held)} of {args.conns} connections open and answered in {fields['open_s']}s")
    for why, count in failures.most_common(3):
        problems.append(f"{count} of {args.conns} not held: {why}")

    time.sleep(args.settle)
    fields["held_kib"] = joined(rss_kib(pids))
    if fields["held_kib"] == "-":
        problems.append("a server process is gone")

    try:
        times, reconnects = probe(args.port, args.probe, args.timeout)
        times.sort()
        fields["probe"] = len(times)
        fields["p50_ms"] = f"{percentile(times, 50) * 1000:.3f}"
        fields["p99_ms"] = f"{percentile(times, 99) * 1000:.3f}"
        if reconnects:
            say(f"  probe: the server ended the connection {reconnects} time(s); reconnected")
    except socket.timeout:
        problems.append(f"probe: no whole reply within {args.timeout:g}s on a new connection")
    except (OSError, Bad) as e:
        problems.append(f"probe: {e}")

    gone = closed_since(held)
    fields["closed"] = sum(gone.values())
    for why, count in gone.most_common(3):
        problems.append(f"{count} of {len(held)} held connections ended early: {why}")
    for sock in held:
        sock.close()

    print(" ".join(f"{k}={v}" for k, v in fields.items()), flush=True)
    for problem in problems:
        say(f"  FAILED: {problem}")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    idle = sub.add_parser("idle", help="hold CONNS keep-alive connections, measure meanwhile")
    idle.add_argument("port", type=int)
    idle.add_argument("conns", type=int)
    idle.add_argument("--pids", required=True, help="the server's processes, comma-separated")
    idle.add_argument("--probe", type=int, default=500, help="requests of the probe")
    idle.add_argument("--in-flight", type=int, default=256,
                      help="connections opening at once (under the listen backlogs)")
    idle.add_argument("--timeout", type=float, default=10.0,
                      help="seconds for one reply (opening and probe)")
    idle.add_argument("--open-timeout", type=float, default=120.0,
                      help="seconds for opening all the connections")
    idle.add_argument("--settle", type=float, default=1.0,
                      help="seconds between the last reply and reading the RSS")
    args = parser.parse_args()
    if args.conns < 1 or args.probe < 1 or args.in_flight < 1:
        parser.error("conns, --probe and --in-flight must be at least 1")
    return run_idle(args)


if __name__ == "__main__":
    sys.exit(main())
