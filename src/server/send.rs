//! Putting a response on a non-blocking socket — and the speed tricks, each explained once.
//!
//! The protocol does not care how the bytes of a response leave: [`format_head`] decides what
//! they are. This file decides how, and every trick here exists because it was measured
//! (`bench/README.md` has the figures):
//!
//! * **Head and small body in one `write`.** Two small writes on a kept-alive connection meet
//!   Nagle's algorithm and the client's delayed ACK, and the second waits about 40 ms. So a
//!   file up to [`SMALL_FILE_BYTES`] is read into the same buffer as the head.
//! * **`sendfile(2)` for large files** ([`Socket::send_file`]): the kernel moves the file's
//!   pages to the socket without the bytes ever entering this process — one system call for
//!   as much as the socket's buffer takes, instead of a `read` and a `write` per buffer.
//! * **The last bytes travel with the FIN** ([`Socket::write_then_close`]): when the connection
//!   closes after the response, `MSG_MORE` lets the kernel hold them until the `shutdown`, so
//!   data and FIN leave in one segment — one packet less for both ends.
//! * **A large file goes in pieces, each connection in turn** ([`MAX_FILE_PIECE`]): one
//!   `sendfile` of 256 KiB, then the loop serves its other connections and comes back
//!   ([`Sent::Piece`]). Asked for the whole file, the kernel keeps copying for as long as the
//!   client keeps reading — tens of megabytes in one call, with every other connection
//!   waiting, and the bytes long out of the processor's cache by the time the client reads
//!   them. lighttpd sends the same way.
//! * **The pieces are counted from the response's first byte, not the file's**: each ends at
//!   a multiple of 256 KiB of the response, so the first carries the head and that much less
//!   of the file, as lighttpd counts them. Cut at multiples of 256 KiB of the file instead
//!   (every `sendfile` starting on a page of the file), a 100 MiB download by curl cost the
//!   server 16–27 % more processor time and ran at 0.83–0.90× lighttpd's median rate;
//!   counted from the response, about lighttpd's processor time and 0.98–1.23× its rate
//!   (`bench/README.md`, 2026-12-07). Pinned to cores, the page-aligned pieces also left in
//!   more TCP segments; why, we have not found.
//! * **The head waits for the file's first piece** (`TCP_CORK`, nginx's `tcp_nopush`;
//!   [`Socket::hold_partial_segments`]): held only for the first call, so that the first
//!   piece, head included, leaves in full segments, then released, as lighttpd does. A 100 MiB
//!   download by curl was 6–27 % faster so than with the cork held for the whole file
//!   (three runs, `bench/README.md`, 2026-12-07).
//! * **A full socket is left to drain**: when `sendfile` sends less than it was asked, the
//!   socket's buffer is full, and the loop waits for the kernel's "writable" event (which
//!   comes once a good part of the buffer is free) instead of calling again at once for the
//!   little the client has read meanwhile.
//! * **No single write holds the loop for long** ([`MAX_WRITE`]): a big page built in memory
//!   goes out in pieces, with other connections served between them.
//! * **The `Date` is formatted once a second** (`with_http_date`): every response carries
//!   the time, which changes only once a second, so each thread keeps the last one it wrote
//!   (nginx keeps its time the same way).
//! * **A response's buffer is used again** (`spare_buffer`): the head and a small body are
//!   written into one buffer, and when the response is done the thread keeps that buffer for
//!   its next one, so a cached file's answer costs no allocation at all. A 1 KiB page's buffer
//!   is too big for the allocator's fast path: its `malloc` and `free` were one instruction in
//!   twenty of a kept-alive request (callgrind, `bench/README.md`, 2026-12-07).
//!
//! The server's sockets never block, so [`Outgoing::write_to`] writes what the socket takes now
//! and remembers where it stopped; the event loop calls it again when the socket has room.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::date::format_http_date;

use super::response::{format_head, Body, Framing, Persistence, Response};

/// Files up to this size are read into the head's buffer and sent in the same `write`.
pub const SMALL_FILE_BYTES: u64 = 64 * 1024;

/// A response on its way to the socket: the bytes in memory (the head, and a small body with
/// it), then the part of a file still to send.
///
/// [`write_to`](Outgoing::write_to) writes as much as the socket takes without waiting and remembers
/// where it stopped, so a server multiplexing many sockets can come back when this one has
/// room again.
#[derive(Debug)]
pub struct Outgoing {
    bytes: Vec<u8>,
    written: usize,
    file: Option<FileRest>,
    /// The head's length: the first bytes to leave.
    head_length: u64,
    /// Everything that has left so far, head included.
    total_sent: u64,
    /// The connection closes after this response, so the kernel may hold the last bytes back
    /// for the closing `FIN` to travel with them ([`Socket::write_then_close`]).
    closes_after: bool,
}

/// What is left of a file to send: the file, and the range of it still to go.
#[derive(Debug)]
struct FileRest {
    file: File,
    offset: u64,
    end: u64,
}

/// How far [`Outgoing::write_to`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The whole response is out.
    All,
    /// The socket's buffer is full: call again when the socket is writable.
    SocketFull,
    /// One piece of a large file went out whole and the socket may have room for more: call
    /// again after the other connections have had their turn.
    Piece,
}

impl Outgoing {
    /// Lays out `response` as `framing` says: the head, then the body (unless HEAD, 304, …).
    /// A small file is read here, so that it leaves in the same `write` as the head; a larger
    /// one is sent from disk as the socket takes it.
    pub fn new(response: Response, framing: Framing, now: SystemTime) -> io::Result<Outgoing> {
        if let Body::Deferred(work) = response.body {
            // The server hands such work to its workers first; anyone else gets it done here.
            return Outgoing::new(work.run(), framing, now);
        }
        let sends_body = !framing.head_only && response.status.allows_body();
        let body_in_memory = match &response.body {
            Body::Bytes(body) => body.len(),
            Body::Shared(body) => body.len(),
            Body::File { length, .. } if *length <= SMALL_FILE_BYTES => *length as usize,
            _ => 0,
        };
        let mut bytes = spare_buffer(HEAD_ROOM + if sends_body { body_in_memory } else { 0 });
        if !framing.simple {
            with_http_date(now, |date| {
                format_head(&response, framing.persistence, date, &mut bytes)
            });
        }
        let head_length = bytes.len();
        let mut file = None;
        if sends_body {
            match response.body {
                Body::Empty | Body::Deferred(_) | Body::UntilClose => {}
                Body::Bytes(body) => bytes.extend_from_slice(&body),
                Body::Shared(body) => bytes.extend_from_slice(&body),
                Body::File {
                    file: mut small,
                    length,
                } if length <= SMALL_FILE_BYTES => {
                    // One `read` of exactly the announced length, straight after the head. A
                    // file that shrank since it was opened fails here, and the connection is
                    // closed.
                    bytes.resize(head_length + length as usize, 0);
                    small.read_exact(&mut bytes[head_length..])?;
                }
                Body::File {
                    file: large,
                    length,
                } => {
                    file = Some(FileRest {
                        file: large,
                        offset: 0,
                        end: length,
                    });
                }
            }
        }
        Ok(Outgoing {
            bytes,
            written: 0,
            file,
            head_length: head_length as u64,
            total_sent: 0,
            closes_after: framing.persistence == Persistence::Close,
        })
    }

    /// Writes as much as `socket` takes now. An error means the connection must be closed.
    pub fn write_to(&mut self, socket: &mut impl Socket) -> io::Result<Sent> {
        let first_call = self.total_sent == 0;
        if first_call && self.file.is_some() {
            // The head waits for the file's first piece (see `Socket::hold_partial_segments`).
            socket.hold_partial_segments(true);
        }
        let sent = self.send_more(socket);
        if first_call && self.file.is_some() {
            socket.hold_partial_segments(false);
        }
        sent
    }

    fn send_more(&mut self, socket: &mut impl Socket) -> io::Result<Sent> {
        loop {
            if self.written < self.bytes.len() {
                let unsent = &self.bytes[self.written..];
                let unsent = &unsent[..unsent.len().min(MAX_WRITE)];
                let written = if self.closes_after && self.file.is_none() {
                    socket.write_then_close(unsent)
                } else {
                    socket.write(unsent)
                };
                match written {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(count) => {
                        self.written += count;
                        self.total_sent += count as u64;
                    }
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        return Ok(Sent::SocketFull)
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => return Err(error),
                }
                continue;
            }
            let Some(rest) = &mut self.file else {
                return Ok(Sent::All);
            };
            if rest.offset >= rest.end {
                return Ok(Sent::All);
            }
            // A piece ends at the next multiple of MAX_FILE_PIECE of the whole response, head
            // included: the first piece carries the head and that much less of the file.
            let to_piece_end = MAX_FILE_PIECE - self.total_sent % MAX_FILE_PIECE;
            let wanted = (rest.end - rest.offset).min(to_piece_end);
            let before = rest.offset;
            match socket.send_file(&rest.file, &mut rest.offset, wanted as usize) {
                Some(Ok(0)) => return Err(file_shrank(rest)),
                Some(Ok(count)) => {
                    self.total_sent += rest.offset - before;
                    if count < wanted as usize {
                        // A short count: the socket's buffer is full. Wait until the kernel
                        // says it has room again rather than asking at once for the few
                        // bytes the client has read meanwhile (see the module docs).
                        return Ok(Sent::SocketFull);
                    }
                    if rest.offset < rest.end {
                        return Ok(Sent::Piece);
                    }
                }
                Some(Err(error)) if error.kind() == io::ErrorKind::WouldBlock => {
                    return Ok(Sent::SocketFull)
                }
                Some(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {}
                Some(Err(error)) => return Err(error),
                None => {
                    // No `sendfile` here: read the next piece into memory, write it as above.
                    let piece = wanted.min(SMALL_FILE_BYTES) as usize;
                    self.bytes.resize(piece, 0);
                    let count = rest.file.read(&mut self.bytes)?;
                    if count == 0 {
                        return Err(file_shrank(rest));
                    }
                    self.bytes.truncate(count);
                    self.written = 0;
                    rest.offset += count as u64;
                }
            }
        }
    }

    /// How many bytes have left so far, head included (the live view's "bytes out").
    pub fn total_sent(&self) -> u64 {
        self.total_sent
    }

    /// How many body bytes have left so far, for the access log.
    pub fn body_bytes_sent(&self) -> u64 {
        self.total_sent.saturating_sub(self.head_length)
    }
}

/// Room for a head in the buffer a response is laid out in (a file's head is about 250 bytes).
const HEAD_ROOM: usize = 384;

thread_local! {
    /// The second of the last `Date` this thread wrote, and that date, formatted.
    static LAST_DATE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    /// The buffer of the last response this thread finished with, for the next one.
    static SPARE_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The largest buffer kept for the next response: a head and a small file. A 3 MB listing's
/// buffer is given back to the allocator, not held by the thread for ever.
const SPARE_BUFFER_LIMIT: usize = HEAD_ROOM + SMALL_FILE_BYTES as usize;

/// An empty buffer with room for `capacity` bytes: the thread's spare if it has one (see the
/// module docs), a new one otherwise.
fn spare_buffer(capacity: usize) -> Vec<u8> {
    let mut bytes = SPARE_BUFFER
        .try_with(|spare| std::mem::take(&mut *spare.borrow_mut()))
        .unwrap_or_default();
    bytes.clear();
    bytes.reserve(capacity);
    bytes
}

impl Drop for Outgoing {
    /// Gives the buffer to the thread's spare, for its next response.
    fn drop(&mut self) {
        if self.bytes.capacity() > SPARE_BUFFER_LIMIT {
            return;
        }
        let bytes = std::mem::take(&mut self.bytes);
        // A thread that is ending may have dropped its spare already: then the buffer goes.
        let _ = SPARE_BUFFER.try_with(|spare| {
            let mut spare = spare.borrow_mut();
            if spare.capacity() < bytes.capacity() {
                *spare = bytes;
            }
        });
    }
}

/// Calls `use_date` with `now` as an HTTP date, formatting it only when the second has
/// changed since this thread last did (see the module docs).
fn with_http_date<R>(now: SystemTime, use_date: impl FnOnce(&str) -> R) -> R {
    let second = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    LAST_DATE.with_borrow_mut(|(last_second, date)| {
        if *last_second != second {
            *date = format_http_date(now);
            *last_second = second;
        }
        use_date(date)
    })
}

/// The most one `write` of a body built in memory is asked for. A socket with a large buffer
/// (loopback's grows to megabytes) would take a 3 MB listing in one call, and the copy holds
/// up every other connection of the loop meanwhile; in pieces, the loop serves others between
/// them.
pub const MAX_WRITE: usize = 256 * 1024;

/// The most one `sendfile` call is asked for; then the loop serves its other connections
/// before the next piece (see the module docs).
pub const MAX_FILE_PIECE: u64 = 256 * 1024;

/// A file that shrank while being sent leaves the body shorter than its `Content-Length`;
/// the only honest thing left is to close the connection, which the error makes happen.
fn file_shrank(rest: &FileRest) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!(
            "file shrank while being sent: {} of {} bytes",
            rest.offset, rest.end
        ),
    )
}

/// Something a response can be written to: any `Write`, plus, where the system has it, a way
/// to send a file's bytes without copying them through this process.
pub trait Socket: Write {
    /// Writes the last bytes before the connection closes. Where the system allows, the
    /// kernel holds them back (`MSG_MORE`) until the `close` or `shutdown` that must follow,
    /// and sends them in one segment with the `FIN`: one packet less for both ends to handle.
    fn write_then_close(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write(bytes)
    }

    /// While `hold` is true, the kernel sends only full segments (`TCP_CORK`; nginx's
    /// `tcp_nopush`): the head leaves in the first segment of the file's first piece.
    fn hold_partial_segments(&mut self, _hold: bool) {}

    /// Sends up to `count` bytes of `file` from `offset` (advanced by what was sent), or
    /// `None` if this socket cannot, and the file must be read and written instead.
    fn send_file(
        &mut self,
        _file: &File,
        _offset: &mut u64,
        _count: usize,
    ) -> Option<io::Result<usize>> {
        None
    }
}

impl Socket for Vec<u8> {}

/// `sendfile(2)`: the kernel copies from the file's pages to the socket, and the bytes never
/// pass through this process — one system call for as much as the socket's buffer takes,
/// instead of a `read` and a `write` per buffer.
#[cfg(all(target_os = "linux", not(http10_portable)))]
fn linux_sendfile(
    socket: impl std::os::fd::AsFd,
    file: &File,
    offset: &mut u64,
    count: usize,
) -> Option<io::Result<usize>> {
    Some(rustix::fs::sendfile(socket, file, Some(offset), count).map_err(io::Error::from))
}

/// `send(2)` with `MSG_MORE`: "more is coming", so the kernel waits to fill a segment; the
/// `close` that follows sends what waits, with the `FIN`.
#[cfg(all(target_os = "linux", not(http10_portable)))]
fn linux_send_more(socket: impl std::os::fd::AsFd, bytes: &[u8]) -> io::Result<usize> {
    rustix::net::send(socket, bytes, rustix::net::SendFlags::MORE).map_err(io::Error::from)
}

/// The server's sockets (`mio`'s non-blocking `TcpStream`).
impl Socket for mio::net::TcpStream {
    #[cfg(all(target_os = "linux", not(http10_portable)))]
    fn hold_partial_segments(&mut self, hold: bool) {
        let _ = rustix::net::sockopt::set_tcp_cork(&*self, hold);
    }

    #[cfg(all(target_os = "linux", not(http10_portable)))]
    fn write_then_close(&mut self, bytes: &[u8]) -> io::Result<usize> {
        linux_send_more(&*self, bytes)
    }

    #[cfg(all(target_os = "linux", not(http10_portable)))]
    fn send_file(
        &mut self,
        file: &File,
        offset: &mut u64,
        count: usize,
    ) -> Option<io::Result<usize>> {
        linux_sendfile(&*self, file, offset, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Status;
    use std::time::Duration;

    /// Sends `response` into memory, which never blocks: the bytes and the body count.
    fn sent_to_memory(response: Response, framing: Framing) -> (Vec<u8>, u64) {
        sent_to_memory_at(response, framing, SystemTime::now())
    }

    fn sent_to_memory_at(response: Response, framing: Framing, now: SystemTime) -> (Vec<u8>, u64) {
        let mut outgoing = Outgoing::new(response, framing, now).expect("lay out");
        let mut memory = Vec::new();
        assert_eq!(outgoing.write_to(&mut memory).expect("send"), Sent::All);
        (memory, outgoing.body_bytes_sent())
    }

    fn framing(head_only: bool, simple: bool) -> Framing {
        Framing {
            head_only,
            simple,
            persistence: Persistence::Close,
        }
    }

    #[test]
    fn each_response_is_dated_at_its_own_second() {
        // The date is formatted once a second and kept: a later second must show.
        let dated = |now: SystemTime| {
            let (bytes, _) = sent_to_memory_at(
                Response::new(Status::NotModified),
                framing(true, false),
                now,
            );
            let head = String::from_utf8(bytes).expect("ASCII");
            let date = head.lines().find_map(|line| line.strip_prefix("Date: "));
            date.expect("a Date header").to_string()
        };
        let start = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(dated(start), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            dated(start + Duration::from_millis(999)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            dated(start + Duration::from_secs(1)),
            "Sun, 06 Nov 1994 08:49:38 GMT"
        );
        assert_eq!(dated(start), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn a_reused_buffer_carries_nothing_into_the_next_response() {
        // A long response, then a short one on the same thread: the second is laid out in the
        // first one's buffer, and must hold its own head and body, nothing more.
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let long = Response::text(Status::Ok, "Z".repeat(4000));
        let (first, _) = sent_to_memory_at(long, framing(false, false), now);
        assert!(first.ends_with(&[b'Z'; 4000]));
        let short = Response::text(Status::Ok, "hi".to_string());
        let (second, body) = sent_to_memory_at(short, framing(false, false), now);
        let text = String::from_utf8(second).expect("ASCII");
        assert!(text.ends_with("\r\n\r\nhi"), "{text:?}");
        assert!(text.contains("\r\nContent-Length: 2\r\n"), "{text:?}");
        assert_eq!(body, 2);
        assert!(!text.contains('Z'), "{text:?}");
    }

    #[test]
    fn head_and_simple_framing_drop_the_right_parts() {
        let body = || Response::text(Status::Ok, "body".into());
        let (head_only, sent) = sent_to_memory(body(), framing(true, false));
        assert_eq!(sent, 0);
        assert!(head_only.ends_with(b"Content-Length: 4\r\nConnection: close\r\n\r\n"));

        let (whole, sent) = sent_to_memory(body(), framing(false, false));
        assert_eq!(sent, 4);
        assert!(whole.ends_with(b"\r\n\r\nbody"));

        let (simple, sent) = sent_to_memory(body(), framing(false, true));
        assert_eq!((simple.as_slice(), sent), (&b"body"[..], 4));
    }

    #[test]
    fn files_small_and_large_follow_the_head_whole() {
        for size in [10, SMALL_FILE_BYTES as usize * 3 + 7] {
            let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let mut file = tempfile::tempfile().expect("a temporary file");
            file.write_all(&content).expect("fill it");
            std::io::Seek::rewind(&mut file).expect("rewind");
            let response = Response {
                status: Status::Ok,
                headers: Vec::new(),
                body: Body::File {
                    file,
                    length: size as u64,
                },
                explanation: None,
            };
            let (bytes, sent) = sent_to_memory(response, framing(false, false));
            assert_eq!(sent, size as u64);
            assert!(bytes.ends_with(&content), "{size} bytes");
            let head = format!("Content-Length: {size}\r\nConnection: close\r\n\r\n");
            assert!(String::from_utf8_lossy(&bytes[..bytes.len() - size]).ends_with(&head));
        }
    }

    /// A socket that notes which of its writes were told "the connection closes next".
    #[derive(Default)]
    struct NotingSocket {
        plain: usize,
        before_close: usize,
    }

    impl Write for NotingSocket {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.plain += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Socket for NotingSocket {
        fn write_then_close(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.before_close += bytes.len();
            Ok(bytes.len())
        }
    }

    #[test]
    fn only_a_closing_response_may_wait_for_the_fin() {
        let keep_alive = Persistence::KeepAlive {
            timeout: Duration::from_secs(5),
            remaining: 10,
        };
        for (persistence, closes) in [(Persistence::Close, true), (keep_alive, false)] {
            let response = Response::text(Status::Ok, "body".into());
            let framing = Framing {
                head_only: false,
                simple: false,
                persistence,
            };
            let mut outgoing =
                Outgoing::new(response, framing, SystemTime::now()).expect("lay out");
            let mut socket = NotingSocket::default();
            assert_eq!(outgoing.write_to(&mut socket).expect("send"), Sent::All);
            let (held, plain) = (socket.before_close, socket.plain);
            if closes {
                assert!(
                    held > 0 && plain == 0,
                    "closing: {held} held, {plain} plain"
                );
            } else {
                // A kept-alive response held back would stall until the next one.
                assert!(
                    held == 0 && plain > 0,
                    "kept alive: {held} held, {plain} plain"
                );
            }
        }
    }
}
