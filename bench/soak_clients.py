#!/usr/bin/env python3
"""The clients of bench/soak.sh: one step of the soak per call, against a running httpserve.

    python3 bench/soak_clients.py mixed    PORT FOLDER [--n 10000] [--conc 50]
    python3 bench/soak_clients.py parallel PORT FOLDER [--n 1000] [--path /mib.bin]
    python3 bench/soak_clients.py huge     PORT FOLDER [--path /huge.bin]

FOLDER is the folder the server serves (the expected bodies are read from it). Each step
prints one line on stdout, "FAILED TOTAL ELAPSED_S", and a line per failure kind on stderr
(at most a few examples each). A failure is a request that got no reply in time, the wrong
status, or a wrong body. Everything is on 127.0.0.1, every socket has a timeout, and the
step stops by itself.

mixed: N connections of twelve kinds, interleaved (a fixed shuffle), CONC at a time: GET,
HEAD, 404, 400 (malformed request line), 431 (a head over 16 KiB), 501 (BREW), POST /echo,
POST /upper, HTTP/0.9, a folder listing, keep-alive x10 (ten requests on one connection),
and an aborted download (start /big.bin, read 64 KiB, close).
parallel: N connections opened together, then each asks for PATH; every body must equal the
file byte for byte.
huge: one download of PATH (a sparse 1 GiB file): its length must be the file's size.
"""

import argparse
import asyncio
import collections
import os
import random
import resource
import socket
import sys
import time

TIMEOUT = 20.0  # seconds for any one connection of the mixed step


def raise_file_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Bad(Exception):
    """A reply that is not the expected one."""


# --- reading replies -------------------------------------------------------------------------


async def read_head(reader):
    """Status and headers (lower-case names) of one response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise Bad(f"status line {lines[0][:60]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def read_response(reader, method="GET"):
    """(status, headers, body) of one response framed by Content-Length."""
    status, headers = await read_head(reader)
    if method == "HEAD" or status == 304:
        return status, headers, b""
    if "content-length" not in headers:
        raise Bad(f"{status} without Content-Length")
    body = await reader.readexactly(int(headers["content-length"]))
    return status, headers, body


async def exchange(port, request, method="GET"):
    """One request on a new connection; the response, and EOF must follow it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        response = await read_response(reader, method)
        rest = await reader.read(1)
        if rest:
            raise Bad(f"bytes after the body: {rest!r}")
        return response
    finally:
        writer.close()


def expect(status, wanted, what=""):
    if status != wanted:
        raise Bad(f"status {status}, wanted {wanted} {what}".strip())


# --- the kinds of the mixed step --------------------------------------------------------------


class Mixed:
    def __init__(self, port, folder):
        self.port = port
        with open(os.path.join(folder, "notes.txt"), "rb") as f:
            self.notes = f.read()

    async def get(self):
        status, _, body = await exchange(self.port, b"GET /notes.txt HTTP/1.0\r\n\r\n")
        expect(status, 200)
        if body != self.notes:
            raise Bad("wrong body")

    async def head(self):
        status, headers, _ = await exchange(self.port, b"HEAD /notes.txt HTTP/1.0\r\n\r\n", "HEAD")
        expect(status, 200)
        if headers.get("content-length") != str(len(self.notes)):
            raise Bad(f"Content-Length {headers.get('content-length')}")

    async def not_found(self):
        status, _, _ = await exchange(self.port, b"GET /no-such-file HTTP/1.0\r\n\r\n")
        expect(status, 404)

    async def bad_request(self):
        status, _, _ = await exchange(self.port, b"GET /notes.txt HTTP/1.0 extra\r\n\r\n")
        expect(status, 400)

    async def too_large(self):
        request = b"GET /notes.txt HTTP/1.0\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n"
        status, _, _ = await exchange(self.port, request)
        expect(status, 431)

    async def not_implemented(self):
        status, _, _ = await exchange(self.port, b"BREW /pot HTTP/1.0\r\n\r\n")
        expect(status, 501)

    async def post_echo(self):
        body = b"soak " * 40
        request = (b"POST /echo HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
        status, _, reply = await exchange(self.port, request)
        expect(status, 200)
        if reply != request:
            raise Bad("echo differs from the request")

    async def post_upper(self):
        request = b"POST /upper HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello soak\n"
        status, _, reply = await exchange(self.port, request)
        expect(status, 200)
        if reply.strip() != b"HELLO SOAK":
            raise Bad(f"upper gave {reply[:40]!r}")

    async def http09(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(b"GET /notes.txt\r\n")
            await writer.drain()
            body = await reader.read()  # the body alone, then EOF
            if body != self.notes:
                raise Bad(f"HTTP/0.9 body {body[:40]!r}")
        finally:
            writer.close()

    async def listing(self):
        status, _, body = await exchange(self.port, b"GET /dir/ HTTP/1.0\r\n\r\n")
        expect(status, 200)
        if b"entry-07.txt" not in body:
            raise Bad("listing without entry-07.txt")

    async def keep_alive(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            for i in range(10):
                writer.write(b"GET /notes.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                await writer.drain()
                status, headers, body = await read_response(reader)
                expect(status, 200, f"(request {i + 1} of 10)")
                if body != self.notes:
                    raise Bad(f"wrong body (request {i + 1} of 10)")
                if headers.get("connection", "").lower() != "keep-alive":
                    raise Bad(f"not kept alive after request {i + 1}")
        finally:
            writer.close()

    async def aborted(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(b"GET /big.bin HTTP/1.0\r\n\r\n")
            await writer.drain()
            status, _ = await read_head(reader)
            expect(status, 200)
            await reader.readexactly(65536)
        finally:
            writer.close()  # with most of the 100 MiB unread: the server sees a reset

    KINDS = ["get", "head", "not_found", "bad_request", "too_large", "not_implemented",
             "post_echo", "post_upper", "http09", "listing", "keep_alive", "aborted"]


async def run_mixed(port, folder, n, conc):
    clients = Mixed(port, folder)
    kinds = [Mixed.KINDS[i % len(Mixed.KINDS)] for i in range(n)]
    random.Random(1945).shuffle(kinds)
    failures = collections.defaultdict(list)
    counts = collections.Counter(kinds)
    queue = collections.deque(kinds)

    async def worker():
        while queue:
            kind = queue.popleft()
            try:
                await asyncio.wait_for(getattr(clients, kind)(), TIMEOUT)
            except asyncio.TimeoutError:
                failures[kind].append(f"no reply in {TIMEOUT:.0f} s")
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, Bad,
                    ValueError) as error:
                failures[kind].append(f"{type(error).__name__}: {error}")

    await asyncio.gather(*(worker() for _ in range(conc)))
    print("  per kind: " + ", ".join(f"{k} {counts[k]}" for k in Mixed.KINDS), file=sys.stderr)
    return failures


# --- parallel downloads ------------------------------------------------------------------------


async def run_parallel(port, folder, n, path):
    with open(os.path.join(folder, path.lstrip("/")), "rb") as f:
        expected = f.read()
    failures = collections.defaultdict(list)
    connected = 0
    settled = 0  # connections opened or failed to open
    all_settled = asyncio.Event()

    def one_settled():
        nonlocal settled
        settled += 1
        if settled == n:
            all_settled.set()

    async def one():
        nonlocal connected
        writer = None
        try:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), 30)
                connected += 1
            finally:
                one_settled()
            await all_settled.wait()
            writer.write(b"GET %s HTTP/1.0\r\n\r\n" % path.encode())
            await writer.drain()
            status, headers = await asyncio.wait_for(read_head(reader), 120)
            expect(status, 200)
            # Compared as it arrives: 1,000 whole bodies at once would take 1 GiB here.
            received = 0
            while True:
                chunk = await asyncio.wait_for(reader.read(1 << 16), 120)
                if not chunk:
                    break
                if chunk != expected[received:received + len(chunk)]:
                    raise Bad(f"bytes {received}.. differ from the file")
                received += len(chunk)
            if received != len(expected) or headers.get("content-length") != str(len(expected)):
                raise Bad(f"{received} bytes (Content-Length {headers.get('content-length')}),"
                          f" wanted {len(expected)}")
        except asyncio.TimeoutError:
            failures["download"].append("no reply in time")
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, Bad,
                ValueError) as error:
            failures["download"].append(f"{type(error).__name__}: {error}")
        finally:
            if writer is not None:
                writer.close()

    await asyncio.gather(*(one() for _ in range(n)))
    print(f"  {connected} of {n} connections open together before the first request",
          file=sys.stderr)
    return failures


# --- one huge download -------------------------------------------------------------------------


def run_huge(port, folder, path):
    size = os.path.getsize(os.path.join(folder, path.lstrip("/")))
    failures = collections.defaultdict(list)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"GET %s HTTP/1.0\r\n\r\n" % path.encode())
            buffer = bytearray(1 << 20)
            view = memoryview(buffer)
            head = b""
            while b"\r\n\r\n" not in head:
                got = sock.recv_into(buffer)
                if not got:
                    raise Bad("EOF before the head")
                head += bytes(view[:got])
            head, body_start = head.split(b"\r\n\r\n", 1)
            status = int(head.split(b" ", 2)[1])
            length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")))
            expect(status, 200)
            if length != size:
                raise Bad(f"Content-Length {length}, file {size}")
            received = len(body_start)
            nonzero = any(body_start)
            zeros = bytes(len(buffer))
            while True:
                got = sock.recv_into(buffer)
                if not got:
                    break
                # (bytearray == bytes is a memcmp; a memoryview compares byte by byte)
                if buffer[:got] != zeros[:got]:
                    nonzero = True
                received += got
            if received != size:
                raise Bad(f"{received} bytes, wanted {size}")
            if nonzero:
                raise Bad("a sparse file's body with non-zero bytes")
    except (OSError, Bad, ValueError, StopIteration) as error:
        failures["huge"].append(f"{type(error).__name__}: {error}")
    return failures


# --- main ---------------------------------------------------------------------------------------


def main():
    raise_file_limit()
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["mixed", "parallel", "huge"])
    parser.add_argument("port", type=int)
    parser.add_argument("folder")
    parser.add_argument("--n", type=int)
    parser.add_argument("--conc", type=int, default=50)
    parser.add_argument("--path")
    args = parser.parse_args()
    started = time.monotonic()
    if args.step == "mixed":
        n = args.n or 10000
        failures = asyncio.run(run_mixed(args.port, args.folder, n, args.conc))
    elif args.step == "parallel":
        n = args.n or 1000
        failures = asyncio.run(run_parallel(args.port, args.folder, n, args.path or "/mib.bin"))
    else:
        n = 1
        failures = run_huge(args.port, args.folder, args.path or "/huge.bin")
    elapsed = time.monotonic() - started
    total_failed = 0
    for kind, errors in sorted(failures.items()):
        total_failed += len(errors)
        examples = collections.Counter(errors).most_common(3)
        print(f"  FAILED {kind}: {len(errors)} — " +
              "; ".join(f"{e} (x{c})" for e, c in examples), file=sys.stderr)
    print(f"{total_failed} {n} {elapsed:.1f}")


if __name__ == "__main__":
    main()
