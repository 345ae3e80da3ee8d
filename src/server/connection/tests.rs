//! The connection driven in memory, a section per state, as smoltcp's TCP socket tests have a
//! section per RFC 793 state. A [`Script`] plays the socket (bytes to read in pieces,
//! `WouldBlock`, end of file, a write limit, errors) and a [`TestClock`] the time, so every
//! deadline is tested without a sleep. Real sockets and processes are `tests/`'s business.

use std::cell::Cell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mio::Token;
use tempfile::TempDir;

use super::super::access_log::{Log, LogLevel};
use super::super::files::Root;
use super::super::keep_alive::KEEP_ALIVE_MAX;
use super::super::request::READ_CHUNK;
use super::super::routes::Site;
use super::super::send::{Socket, MAX_FILE_PIECE};
use super::super::workers::Workers;
use super::super::{Shared, Timeouts, LINGER_BYTES};
use super::*;

/// What one `read` of the [`Script`] gives.
enum Incoming {
    Bytes(&'static [u8]),
    WouldBlock,
    Interrupted,
    End,
    Failure,
}

/// A socket in memory that plays a script: each `read` takes the next [`Incoming`] (an empty
/// script would block); writes are taken up to `room` bytes, then would block.
struct Script {
    reads: VecDeque<Incoming>,
    read_calls: usize,
    room: usize,
    writes: usize,
    write_failure: bool,
    /// Pretend to have `sendfile` (copying from the file here), so that a large file goes
    /// out in pieces as on Linux.
    sends_files: bool,
    /// How many bytes each `sendfile` was asked for.
    file_pieces: Vec<usize>,
    sent: Vec<u8>,
    no_delay_calls: usize,
    shut: bool,
}

impl Script {
    fn new() -> Script {
        Script {
            reads: VecDeque::new(),
            read_calls: 0,
            room: usize::MAX,
            writes: 0,
            write_failure: false,
            sends_files: false,
            file_pieces: Vec::new(),
            sent: Vec::new(),
            no_delay_calls: 0,
            shut: false,
        }
    }

    fn sent_text(&self) -> String {
        String::from_utf8_lossy(&self.sent).into_owned()
    }
}

impl Read for Script {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        self.read_calls += 1;
        match self.reads.pop_front() {
            None | Some(Incoming::WouldBlock) => Err(io::ErrorKind::WouldBlock.into()),
            Some(Incoming::Interrupted) => Err(io::ErrorKind::Interrupted.into()),
            Some(Incoming::Failure) => Err(io::ErrorKind::ConnectionReset.into()),
            Some(Incoming::End) => Ok(0),
            Some(Incoming::Bytes(bytes)) => {
                let count = bytes.len().min(buffer.len());
                buffer[..count].copy_from_slice(&bytes[..count]);
                if count < bytes.len() {
                    self.reads.push_front(Incoming::Bytes(&bytes[count..]));
                }
                Ok(count)
            }
        }
    }
}

impl Write for Script {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.write_failure {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        if self.room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let count = bytes.len().min(self.room);
        self.room -= count;
        self.writes += 1;
        self.sent.extend_from_slice(&bytes[..count]);
        Ok(count)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Socket for Script {
    fn send_file(
        &mut self,
        file: &File,
        offset: &mut u64,
        count: usize,
    ) -> Option<io::Result<usize>> {
        if !self.sends_files {
            return None;
        }
        self.file_pieces.push(count);
        let count = count.min(self.room);
        if count == 0 {
            return Some(Err(io::ErrorKind::WouldBlock.into()));
        }
        let mut reader = file;
        let copied = reader.seek(SeekFrom::Start(*offset)).and_then(|_| {
            let before = self.sent.len();
            reader.take(count as u64).read_to_end(&mut self.sent)?;
            Ok(self.sent.len() - before)
        });
        if let Ok(copied) = copied {
            *offset += copied as u64;
            self.room -= copied;
        }
        Some(copied)
    }
}

impl Stream for Script {
    fn send_small_segments_at_once(&mut self) {
        self.no_delay_calls += 1;
    }
    fn shut_sending_side(&mut self) {
        self.shut = true;
    }
    fn arrived_on(&self) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], 8080)))
    }
}

/// A clock that moves only when the test moves it. `now` is the batch's time; `now_exactly` is
/// later by `behind`, as the clock moves on while a batch is served.
#[derive(Clone)]
struct TestClock {
    batch: Rc<Cell<Instant>>,
    behind: Rc<Cell<Duration>>,
}

impl TestClock {
    fn pass(&self, time: Duration) {
        self.batch.set(self.batch.get() + time);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Instant {
        self.batch.get()
    }

    fn now_exactly(&self) -> Instant {
        self.batch.get() + self.behind.get()
    }
}

/// Every limit different, so that a test can tell which one a deadline is.
const LIMITS: Timeouts = Timeouts {
    head: Duration::from_secs(60),
    busy_head: Duration::from_secs(7),
    body: Duration::from_secs(10),
    keep_alive: Duration::from_secs(4),
    write: Duration::from_secs(30),
    linger: Duration::from_secs(2),
    shutdown_grace: Duration::from_secs(5),
};

/// A file bigger than one `sendfile` piece, and bigger than a small file.
const BIG_FILE_BYTES: usize = MAX_FILE_PIECE as usize * 2 + 100;

/// A served folder, the server's shared state over it, and the clock.
struct TestServer {
    _folder: TempDir,
    shared: Shared,
    clock: TestClock,
}

fn test_server() -> TestServer {
    let folder = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(folder.path().join("hello.txt"), "hello\n").expect("a small file");
    let big: Vec<u8> = (0..BIG_FILE_BYTES).map(|i| (i % 251) as u8).collect();
    std::fs::write(folder.path().join("big.bin"), big).expect("a big file");
    std::fs::create_dir(folder.path().join("folder")).expect("a folder");
    let root = Root::open(folder.path()).expect("the folder opens");
    let shared = Shared {
        site: Site {
            root,
            cache: None,
            routes_enabled: true,
            show_hidden: false,
        },
        log: Log::new(LogLevel::Quiet),
        timeouts: LIMITS,
        max_connections: 100,
        open_connections: AtomicUsize::new(0),
        stopping: AtomicBool::new(false),
        mailboxes: Vec::new(),
        workers: Workers::start(),
        stop_count: Default::default(),
        live: None,
    };
    let clock = TestClock {
        batch: Rc::new(Cell::new(Instant::now())),
        behind: Rc::new(Cell::new(Duration::ZERO)),
    };
    TestServer {
        _folder: folder,
        shared,
        clock,
    }
}

type TestConnection = Connection<Script, TestClock>;

impl TestServer {
    fn connect(&self) -> TestConnection {
        let peer = SocketAddr::from(([192, 0, 2, 1], 50_000));
        Connection::new(
            &self.shared,
            Script::new(),
            peer,
            Token(7),
            0,
            self.clock.clone(),
        )
    }

    fn now(&self) -> Instant {
        self.clock.now()
    }

    /// What the loop does on a "readable" event: note it, and go as far as the socket allows.
    fn readable(&self, connection: &mut TestConnection, reads: Vec<Incoming>) -> Paused {
        connection.socket.reads.extend(reads);
        connection.may_read = true;
        self.advance(connection, Hold::Nothing)
    }

    /// What the loop does on an event that also says the client closed its side.
    fn read_closed(&self, connection: &mut TestConnection, reads: Vec<Incoming>) -> Paused {
        connection.read_closed = true;
        self.readable(connection, reads)
    }

    /// Reads `request` as the loop's first pass does, then answers it with `more_may_come`
    /// as the socket's "may read" flag: whether bytes after the request may wait unread.
    fn answer(
        &self,
        connection: &mut TestConnection,
        request: &'static [u8],
        more_may_come: bool,
    ) -> Paused {
        connection.socket.reads.push_back(Bytes(request));
        connection.may_read = true;
        let paused = self.advance(connection, Hold::Requests);
        assert!(matches!(paused, Paused::RequestReady), "{paused:?}");
        connection.may_read = more_may_come;
        self.advance(connection, Hold::Nothing)
    }

    fn advance(&self, connection: &mut TestConnection, hold: Hold) -> Paused {
        let mut scratch = vec![0; READ_CHUNK];
        connection.advance(&self.shared, &mut scratch, hold)
    }

    /// Is the deadline `limit` from the last time the state's clock started, and did it
    /// start now?
    fn deadline_is(&self, connection: &TestConnection, limit: Duration) -> bool {
        connection.since == self.now()
            && connection.deadline(&self.shared, false) == self.now() + limit
    }
}

fn state(connection: &TestConnection) -> &'static str {
    match connection.state {
        State::Waiting => "Waiting",
        State::ReceivingHead => "ReceivingHead",
        State::ReceivingBody => "ReceivingBody",
        State::Received { .. } => "Received",
        State::Preparing { .. } => "Preparing",
        State::Sending(_) => "Sending",
        State::Draining { .. } => "Draining",
    }
}

fn ending(connection: &TestConnection) -> &'static str {
    match connection.state {
        State::Draining { ending, .. } => ending,
        _ => "not draining",
    }
}

fn over(paused: Paused) -> &'static str {
    match paused {
        Paused::Over(ending) => ending,
        other => panic!("not over but {other:?}"),
    }
}

use Incoming::{Bytes, End, Failure, Interrupted, WouldBlock};

const GET_10: &[u8] = b"GET /hello.txt HTTP/1.0\r\n\r\n";
const GET_11: &[u8] = b"GET /hello.txt HTTP/1.1\r\n\r\n";

// ---- Tests for the waiting state (a new connection) ----

#[test]
fn a_new_connection_waits_for_a_request_with_the_head_limit() {
    let server = test_server();
    let connection = server.connect();
    assert_eq!(state(&connection), "Waiting");
    assert!(server.deadline_is(&connection, LIMITS.head));
    assert!(connection.is_idle() && connection.is_waiting_for_a_request());
}

#[test]
fn without_an_event_a_new_connection_does_not_read() {
    let server = test_server();
    let mut connection = server.connect();
    let paused = server.advance(&mut connection, Hold::Requests);
    assert!(matches!(paused, Paused::Waiting));
    assert_eq!(connection.socket.read_calls, 0);
}

#[test]
fn would_block_waits_for_the_next_event() {
    let server = test_server();
    let mut connection = server.connect();
    let paused = server.readable(&mut connection, vec![WouldBlock]);
    assert!(matches!(paused, Paused::Waiting));
    assert!(!connection.may_read);
    assert_eq!(state(&connection), "Waiting");
}

#[test]
fn the_first_byte_starts_the_clock_for_the_whole_head() {
    let server = test_server();
    let mut connection = server.connect();
    server.clock.pass(Duration::from_secs(3));
    server.readable(&mut connection, vec![Bytes(b"GE")]);
    assert_eq!(state(&connection), "ReceivingHead");
    assert!(server.deadline_is(&connection, LIMITS.head));
}

#[test]
fn an_interrupted_read_is_tried_again() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Interrupted, Bytes(b"GE")]);
    assert_eq!(state(&connection), "ReceivingHead");
}

#[test]
fn a_client_that_closes_before_a_byte_is_closed_without_a_word() {
    let server = test_server();
    let mut connection = server.connect();
    let paused = server.readable(&mut connection, vec![End]);
    assert_eq!(over(paused), "the client closed it");
    assert!(connection.socket.sent.is_empty());
}

#[test]
fn a_read_error_while_waiting_closes() {
    let server = test_server();
    let mut connection = server.connect();
    let paused = server.readable(&mut connection, vec![Failure]);
    assert_eq!(over(paused), "a network error");
}

#[test]
fn no_request_in_time_closes_without_a_word() {
    let server = test_server();
    let mut connection = server.connect();
    server.clock.pass(LIMITS.head);
    assert!(server.now() >= connection.deadline(&server.shared, false));
    let expired = connection.time_is_up(&server.shared);
    assert_eq!(expired, Expired::Close("no request arrived in time"));
    assert!(connection.socket.sent.is_empty());
}

#[test]
fn a_busy_server_gives_a_waiting_connection_the_busy_limit() {
    let server = test_server();
    let connection = server.connect();
    let busy = connection.deadline(&server.shared, true);
    assert_eq!(busy, server.now() + LIMITS.busy_head);
}

// ---- Tests for the receiving-the-head state ----

#[test]
fn a_head_in_pieces_is_gathered_and_held_for_the_batch() {
    let server = test_server();
    let mut connection = server.connect();
    connection
        .socket
        .reads
        .push_back(Bytes(b"GET /hello.txt HT"));
    connection.may_read = true;
    assert!(matches!(
        server.advance(&mut connection, Hold::Requests),
        Paused::Waiting
    ));
    assert_eq!(state(&connection), "ReceivingHead");
    connection.socket.reads.push_back(Bytes(b"TP/1.0\r\n\r\n"));
    connection.may_read = true;
    let paused = server.advance(&mut connection, Hold::Requests);
    assert!(matches!(paused, Paused::RequestReady), "{paused:?}");
    assert_eq!(state(&connection), "Received");
    assert!(!connection.is_waiting_for_a_request());
}

#[test]
fn the_head_clock_is_not_restarted_by_each_byte() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Bytes(b"G")]);
    let deadline = connection.deadline(&server.shared, false);
    for byte in [b"E", b"T", b" "] {
        server.clock.pass(Duration::from_secs(1));
        server.readable(&mut connection, vec![Bytes(byte)]);
    }
    assert_eq!(connection.deadline(&server.shared, false), deadline);
}

#[test]
fn a_head_cut_off_by_its_deadline_is_answered_408_then_drained() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Bytes(b"GET /slow HTTP/1.0\r\n")]);
    server.clock.pass(LIMITS.head);
    assert_eq!(connection.time_is_up(&server.shared), Expired::Answering);
    assert_eq!(state(&connection), "Sending");
    server.advance(&mut connection, Hold::Nothing);
    let sent = connection.socket.sent_text();
    assert!(sent.starts_with("HTTP/1.0 408 "), "{sent}");
    assert!(sent.contains("--head-timeout"), "{sent}");
    assert_eq!(
        (state(&connection), ending(&connection)),
        ("Draining", "a bad request")
    );
}

#[test]
fn a_busy_server_cuts_a_slow_head_short_and_says_so() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Bytes(b"GET / HTTP/1.0\r\n")]);
    let busy = connection.deadline(&server.shared, true);
    assert_eq!(busy, server.now() + LIMITS.busy_head);
    server.clock.pass(LIMITS.busy_head);
    assert_eq!(connection.time_is_up(&server.shared), Expired::Answering);
    server.advance(&mut connection, Hold::Nothing);
    let sent = connection.socket.sent_text();
    assert!(sent.starts_with("HTTP/1.0 408 "), "{sent}");
    assert!(sent.contains("--busy-head-timeout"), "{sent}");
}

#[test]
fn a_client_that_closes_mid_head_is_closed() {
    let server = test_server();
    let mut connection = server.connect();
    let paused = server.read_closed(&mut connection, vec![Bytes(b"GET / HT"), End]);
    assert_eq!(over(paused), "the request did not arrive in full");
}

#[test]
fn a_bad_request_line_is_answered_400_then_drained() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Bytes(b"NONSENSE\r\n\r\n")]);
    let sent = connection.socket.sent_text();
    assert!(sent.starts_with("HTTP/1.0 400 "), "{sent}");
    assert!(sent.contains("Connection: close\r\n"), "{sent}");
    assert_eq!(
        (state(&connection), ending(&connection)),
        ("Draining", "a bad request")
    );
}

// ---- Tests for the receiving-the-body state ----

/// A head announcing a body of five bytes, and the first two of them.
const POST_START: &[u8] = b"POST /echo HTTP/1.0\r\nContent-Length: 5\r\n\r\nab";

#[test]
fn a_complete_head_with_a_body_to_come_starts_the_body_clock() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Bytes(b"POST /echo HTTP/1.0\r\n")]);
    server.clock.pass(Duration::from_secs(2));
    server.readable(&mut connection, vec![Bytes(b"Content-Length: 5\r\n\r\nab")]);
    assert_eq!(state(&connection), "ReceivingBody");
    assert!(server.deadline_is(&connection, LIMITS.body));
    // The busy limit is for heads: a body keeps its own.
    let busy = connection.deadline(&server.shared, true);
    assert_eq!(busy, server.now() + LIMITS.body);
}

#[test]
fn the_rest_of_the_body_completes_the_request() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Bytes(POST_START)]);
    assert_eq!(state(&connection), "ReceivingBody");
    connection.socket.reads.push_back(Bytes(b"cde"));
    connection.may_read = true;
    let paused = server.advance(&mut connection, Hold::Requests);
    assert!(matches!(paused, Paused::RequestReady), "{paused:?}");
}

#[test]
fn a_body_cut_off_by_its_deadline_is_answered_408_naming_the_body_limit() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Bytes(POST_START)]);
    server.clock.pass(LIMITS.body);
    assert_eq!(connection.time_is_up(&server.shared), Expired::Answering);
    server.advance(&mut connection, Hold::Nothing);
    let sent = connection.socket.sent_text();
    assert!(sent.starts_with("HTTP/1.0 408 "), "{sent}");
    assert!(sent.contains("--body-timeout"), "{sent}");
    assert_eq!(state(&connection), "Draining");
}

#[test]
fn a_client_that_closes_mid_body_is_closed() {
    let server = test_server();
    let mut connection = server.connect();
    let paused = server.read_closed(&mut connection, vec![Bytes(POST_START), End]);
    assert_eq!(over(paused), "the request did not arrive in full");
}

// ---- Tests for the received and preparing states ----

#[test]
fn a_request_arrives_at_the_exact_time_not_the_batchs() {
    // The file cache serves a copy only if its last look at the file began after the request
    // arrived: an arrival read from a batch's older clock would let it serve a stale copy.
    let server = test_server();
    let mut connection = server.connect();
    server.clock.behind.set(Duration::from_millis(3));
    connection
        .socket
        .reads
        .push_back(Bytes(b"GET / HTTP/1.0\r\n\r\n"));
    connection.may_read = true;
    let paused = server.advance(&mut connection, Hold::Requests);
    assert!(matches!(paused, Paused::RequestReady), "{paused:?}");
    let State::Received { arrived_at, .. } = connection.state else {
        panic!("not received: {}", state(&connection));
    };
    assert_eq!(arrived_at, server.now() + Duration::from_millis(3));
    // Deadlines may use the batch's time.
    assert!(server.deadline_is(&connection, LIMITS.head));
}

#[test]
fn a_request_held_for_the_batch_is_answered_and_the_reply_held_in_turn() {
    let server = test_server();
    let mut connection = server.connect();
    connection.socket.reads.push_back(Bytes(GET_10));
    connection.may_read = true;
    assert!(matches!(
        server.advance(&mut connection, Hold::Requests),
        Paused::RequestReady
    ));
    let paused = server.advance(&mut connection, Hold::NewReplies);
    assert!(matches!(paused, Paused::ReplyReady), "{paused:?}");
    assert_eq!(state(&connection), "Sending");
    assert!(connection.socket.sent.is_empty(), "held, not sent");
    assert_eq!(connection.served, 1);
}

#[test]
fn a_folder_listing_is_built_off_the_loop_under_the_write_limit() {
    let server = test_server();
    let mut connection = server.connect();
    let paused = server.readable(
        &mut connection,
        vec![Bytes(b"GET /folder/ HTTP/1.0\r\n\r\n")],
    );
    let Paused::Deferred(work) = paused else {
        panic!("not deferred but {paused:?}");
    };
    assert_eq!(state(&connection), "Preparing");
    assert!(server.deadline_is(&connection, LIMITS.write));
    connection.finish_preparing(&server.shared, work.run());
    assert_eq!(state(&connection), "Sending");
    connection.may_read = false; // nothing more came
    assert_eq!(over(server.advance(&mut connection, Hold::Nothing)), "done");
    assert!(connection
        .socket
        .sent_text()
        .starts_with("HTTP/1.0 200 OK\r\n"));
}

#[test]
fn a_listing_that_takes_too_long_closes() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(
        &mut connection,
        vec![Bytes(b"GET /folder/ HTTP/1.0\r\n\r\n")],
    );
    server.clock.pass(LIMITS.write);
    let expired = connection.time_is_up(&server.shared);
    assert_eq!(expired, Expired::Close("the page took too long to build"));
}

// ---- Tests for the sending state ----

#[test]
fn a_small_reply_leaves_in_one_write_then_closes_at_once_with_nothing_unread() {
    let server = test_server();
    let mut connection = server.connect();
    let paused = server.answer(&mut connection, GET_10, false);
    assert_eq!(over(paused), "done");
    assert_eq!(connection.socket.writes, 1);
    let sent = connection.socket.sent_text();
    assert!(sent.starts_with("HTTP/1.0 200 OK\r\n"), "{sent}");
    assert!(sent.ends_with("Connection: close\r\n\r\nhello\n"), "{sent}");
    assert!(!connection.socket.shut && connection.socket.no_delay_calls == 0);
}

#[test]
fn a_full_socket_waits_for_room_and_asks_for_writable_events() {
    let server = test_server();
    let mut connection = server.connect();
    connection.socket.room = 10;
    server.readable(&mut connection, vec![Bytes(GET_10)]);
    assert!(!connection.may_write && connection.wants_writable_events);
    server.clock.pass(Duration::from_secs(1));
    // A "writable" event, but the socket takes nothing more.
    connection.may_write = true;
    let paused = server.advance(&mut connection, Hold::Nothing);
    assert!(matches!(paused, Paused::Waiting));
    assert_eq!(state(&connection), "Sending");
    // Each try restarts the write clock: the client has the whole limit to read some more.
    assert!(server.deadline_is(&connection, LIMITS.write));
    connection.socket.room = usize::MAX;
    connection.may_write = true;
    connection.may_read = false;
    assert_eq!(over(server.advance(&mut connection, Hold::Nothing)), "done");
    assert!(connection.socket.sent_text().ends_with("hello\n"));
}

#[test]
fn a_client_that_stops_reading_is_dropped_at_the_write_deadline() {
    let server = test_server();
    let mut connection = server.connect();
    connection.socket.room = 10;
    server.readable(&mut connection, vec![Bytes(GET_10)]);
    server.clock.pass(LIMITS.write);
    let expired = connection.time_is_up(&server.shared);
    assert_eq!(expired, Expired::Close("the client stopped reading"));
}

#[test]
fn a_failed_write_closes() {
    let server = test_server();
    let mut connection = server.connect();
    connection.socket.write_failure = true;
    let paused = server.readable(&mut connection, vec![Bytes(GET_10)]);
    assert_eq!(
        over(paused),
        "the response could not be sent (client gone?)"
    );
}

#[test]
fn a_large_file_goes_in_pieces_yielding_between_them() {
    let server = test_server();
    let mut connection = server.connect();
    connection.socket.sends_files = true;
    let mut paused = server.answer(&mut connection, b"GET /big.bin HTTP/1.0\r\n\r\n", false);
    let mut yields = 0;
    while matches!(paused, Paused::Yielded) {
        yields += 1;
        assert!(server.deadline_is(&connection, LIMITS.write));
        paused = server.advance(&mut connection, Hold::Nothing);
    }
    // Two whole pieces yield; the third, shorter, ends the file.
    assert_eq!(yields, 2);
    assert_eq!(over(paused), "done");
    let sent = &connection.socket.sent;
    let body = &sent[sent.len() - BIG_FILE_BYTES..];
    assert!(body
        .iter()
        .enumerate()
        .all(|(i, &byte)| byte == (i % 251) as u8));
    // Each piece ends at a multiple of MAX_FILE_PIECE of the response, head included.
    let head = sent.len() - BIG_FILE_BYTES;
    let piece = MAX_FILE_PIECE as usize;
    let pieces = &connection.socket.file_pieces;
    assert_eq!(pieces, &[piece - head, piece, head + 100]);
}

// ---- Tests for the kept-alive state ----

#[test]
fn a_kept_alive_reply_waits_for_the_next_request_with_the_idle_limit() {
    let server = test_server();
    let mut connection = server.connect();
    server.clock.pass(Duration::from_secs(1));
    let paused = server.readable(&mut connection, vec![Bytes(GET_11)]);
    assert!(matches!(paused, Paused::Waiting), "{paused:?}");
    assert_eq!(state(&connection), "Waiting");
    assert!(server.deadline_is(&connection, LIMITS.keep_alive));
    assert!(connection.is_idle());
    let sent = connection.socket.sent_text();
    assert!(sent.contains("Connection: keep-alive\r\nKeep-Alive: timeout=4, max=999\r\n"));
    assert_eq!(connection.socket.no_delay_calls, 1);
}

#[test]
fn an_idle_kept_alive_connection_closes_without_a_word() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Bytes(GET_11)]);
    let answered = connection.socket.sent.len();
    server.clock.pass(LIMITS.keep_alive);
    assert_eq!(
        connection.time_is_up(&server.shared),
        Expired::Close("idle")
    );
    assert_eq!(connection.socket.sent.len(), answered);
}

#[test]
fn a_kept_alive_connection_keeps_its_idle_limit_and_a_byte_starts_the_head_clock() {
    let server = test_server();
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Bytes(GET_11)]);
    // The idle limit is shorter than the busy one here: it stands.
    assert_eq!(
        connection.deadline(&server.shared, true),
        server.now() + LIMITS.keep_alive
    );
    server.clock.pass(Duration::from_secs(1));
    server.readable(&mut connection, vec![Bytes(b"GET")]);
    assert_eq!(state(&connection), "ReceivingHead");
    assert!(server.deadline_is(&connection, LIMITS.head));
}

#[test]
fn pipelined_requests_are_answered_in_turn_with_one_no_delay() {
    let server = test_server();
    let mut connection = server.connect();
    let two = b"GET /hello.txt HTTP/1.1\r\n\r\nGET /hello.txt HTTP/1.1\r\n\r\n";
    connection.socket.reads.push_back(Bytes(two));
    connection.may_read = true;
    assert!(matches!(
        server.advance(&mut connection, Hold::Requests),
        Paused::RequestReady
    ));
    // The first answer leaves the second request's bytes waiting: its head's clock starts.
    connection.may_read = false;
    let paused = server.advance(&mut connection, Hold::Nothing);
    assert!(matches!(paused, Paused::Waiting), "{paused:?}");
    assert_eq!(connection.served, 2);
    assert_eq!(
        connection
            .socket
            .sent_text()
            .matches("HTTP/1.0 200 OK")
            .count(),
        2
    );
    assert_eq!(connection.socket.no_delay_calls, 1);
    assert_eq!(state(&connection), "Waiting");
}

#[test]
fn the_part_of_a_next_request_that_came_early_runs_on_the_head_clock() {
    let server = test_server();
    let mut connection = server.connect();
    connection
        .socket
        .reads
        .push_back(Bytes(b"GET /hello.txt HTTP/1.1\r\n\r\nGET /hel"));
    connection.may_read = true;
    server.advance(&mut connection, Hold::Requests);
    server.clock.pass(Duration::from_secs(1));
    connection.may_read = false;
    server.advance(&mut connection, Hold::Nothing);
    assert_eq!(state(&connection), "ReceivingHead");
    assert!(server.deadline_is(&connection, LIMITS.head));
    assert!(!connection.is_idle());
}

#[test]
fn the_last_request_a_connection_may_carry_closes_it() {
    let server = test_server();
    let mut connection = server.connect();
    connection.served = KEEP_ALIVE_MAX - 1;
    assert_eq!(over(server.answer(&mut connection, GET_11, false)), "done");
    assert!(connection
        .socket
        .sent_text()
        .contains("Connection: close\r\n"));
}

#[test]
fn a_stopping_server_closes_after_the_reply() {
    let server = test_server();
    let mut connection = server.connect();
    server.shared.stopping.store(true, Ordering::SeqCst);
    assert_eq!(over(server.answer(&mut connection, GET_11, false)), "done");
    assert!(connection
        .socket
        .sent_text()
        .contains("Connection: close\r\n"));
    assert_eq!(connection.socket.no_delay_calls, 0);
}

// ---- Tests for the draining state (after an error) ----

/// A connection that has answered `NONSENSE` with a 400 and drains.
fn draining(server: &TestServer) -> TestConnection {
    let mut connection = server.connect();
    server.readable(&mut connection, vec![Bytes(b"NONSENSE\r\n\r\nmore")]);
    assert_eq!(state(&connection), "Draining");
    assert!(!connection.may_read, "the socket was read empty");
    connection
}

#[test]
fn draining_shuts_the_sending_side_and_runs_on_the_linger_clock() {
    let server = test_server();
    let connection = draining(&server);
    assert!(connection.socket.shut);
    assert!(server.deadline_is(&connection, LIMITS.linger));
    assert!(
        connection.received.is_empty(),
        "the unread rest is thrown away"
    );
}

#[test]
fn draining_waits_for_events_and_ends_when_the_client_closes() {
    let server = test_server();
    let mut connection = draining(&server);
    let paused = server.readable(&mut connection, vec![Bytes(b"ignored"), WouldBlock]);
    assert!(matches!(paused, Paused::Waiting));
    let paused = server.readable(&mut connection, vec![End]);
    assert_eq!(over(paused), "a bad request");
}

#[test]
fn draining_stops_after_linger_bytes() {
    static CHUNK: [u8; READ_CHUNK] = [b'x'; READ_CHUNK];
    let server = test_server();
    let mut connection = draining(&server);
    let chunks = LINGER_BYTES / READ_CHUNK + 2;
    let reads = (0..chunks).map(|_| Bytes(&CHUNK)).collect();
    let paused = server.readable(&mut connection, reads);
    assert_eq!(over(paused), "a bad request");
    assert!(
        connection.socket.reads.len() < 2,
        "stopped once over the limit"
    );
}

#[test]
fn draining_ends_at_the_linger_deadline() {
    let server = test_server();
    let mut connection = draining(&server);
    server.clock.pass(LIMITS.linger);
    let expired = connection.time_is_up(&server.shared);
    assert_eq!(expired, Expired::Close("a bad request"));
}

#[test]
fn a_read_error_while_draining_closes() {
    let server = test_server();
    let mut connection = draining(&server);
    let paused = server.readable(&mut connection, vec![Failure]);
    assert_eq!(over(paused), "a bad request");
}

// ---- Tests for the lingering state (closing with bytes maybe unread) ----

#[test]
fn a_closing_reply_with_bytes_left_unread_lingers() {
    let server = test_server();
    let mut connection = server.connect();
    let paused = server.answer(
        &mut connection,
        b"GET /hello.txt HTTP/1.0\r\n\r\nextra",
        false,
    );
    assert!(matches!(paused, Paused::Waiting), "{paused:?}");
    assert_eq!(
        (state(&connection), ending(&connection)),
        ("Draining", "done")
    );
    assert!(connection.socket.shut && connection.received.is_empty());
    assert!(server.deadline_is(&connection, LIMITS.linger));
}

#[test]
fn a_closing_reply_lingers_when_the_socket_may_hold_more() {
    let server = test_server();
    let mut connection = server.connect();
    connection.socket.reads.push_back(Bytes(GET_10));
    connection.may_read = true;
    server.advance(&mut connection, Hold::Requests);
    connection.may_read = true; // an event came while the request was answered
    server.advance(&mut connection, Hold::NewReplies);
    let paused = server.advance(&mut connection, Hold::Nothing);
    assert!(matches!(paused, Paused::Waiting), "{paused:?}");
    assert_eq!(
        (state(&connection), ending(&connection)),
        ("Draining", "done")
    );
}

#[test]
fn lingering_ends_when_the_client_closes_or_at_the_deadline() {
    let server = test_server();
    for client_closes in [true, false] {
        let mut connection = server.connect();
        server.answer(
            &mut connection,
            b"GET /hello.txt HTTP/1.0\r\n\r\nextra",
            false,
        );
        if client_closes {
            assert_eq!(over(server.readable(&mut connection, vec![End])), "done");
        } else {
            server.clock.pass(LIMITS.linger);
            assert_eq!(
                connection.time_is_up(&server.shared),
                Expired::Close("done")
            );
        }
    }
}
