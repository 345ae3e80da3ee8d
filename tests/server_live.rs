//! `httpserve --live` over raw sockets: the event stream's framing, how soon a request shows,
//! the cap on viewers, a viewer that never reads, and `/_live` as an ordinary path without
//! `--live`. (The page itself, in a real browser, is checked in `tests/browser.rs`.)

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::{read_to_close, site, Fixture, Reply, Server, PATIENCE};

/// The cap on viewers (`MAX_VIEWERS` in `src/server/live.rs`).
const MAX_VIEWERS: usize = 4;

/// Reads from `stream` until what has arrived satisfies `done`, or `limit` passes; returns
/// everything read, and whether `done` was satisfied.
fn read_until(
    stream: &mut TcpStream,
    limit: Duration,
    done: impl Fn(&str) -> bool,
) -> (String, bool) {
    let deadline = Instant::now() + limit;
    let mut text = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if done(&String::from_utf8_lossy(&text)) {
            return (String::from_utf8_lossy(&text).into_owned(), true);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (String::from_utf8_lossy(&text).into_owned(), false);
        }
        stream
            .set_read_timeout(Some(left.min(Duration::from_millis(50))))
            .expect("timeout");
        match stream.read(&mut buffer) {
            Ok(0) => return (String::from_utf8_lossy(&text).into_owned(), false),
            Ok(count) => text.extend_from_slice(&buffer[..count]),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) => panic!("reading the event stream: {error}"),
        }
    }
}

/// A viewer: `GET /_live/events`, read as far as the first event (`hello`).
fn open_viewer(server: &Server) -> (TcpStream, String) {
    let mut viewer = server.connect();
    viewer
        .write_all(b"GET /_live/events HTTP/1.0\r\n\r\n")
        .expect("send");
    let (text, got) = read_until(&mut viewer, PATIENCE, |text| text.contains("event: hello"));
    assert!(got, "no hello event: {text:?}");
    (viewer, text)
}

#[test]
fn the_event_stream_is_an_http_1_0_body_that_ends_at_the_close() {
    let dir = site();
    let server = Server::start(dir.path(), &["--live", "--quiet"]);
    let (_viewer, text) = open_viewer(&server);
    let head = text.split("\r\n\r\n").next().expect("a head");
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
    assert!(
        head.contains("\r\nContent-Type: text/event-stream\r\n"),
        "{head}"
    );
    // RFC 1945 §7.2.2: no Content-Length, so the body ends when the server closes.
    assert!(!head.contains("Content-Length"), "{head}");
    assert!(head.contains("\r\nConnection: close"), "{head}");
}

#[test]
fn events_for_a_request_arrive_within_a_second() {
    let dir = site();
    let server = Server::start(dir.path(), &["--live", "--quiet"]);
    let (mut viewer, _) = open_viewer(&server);
    let asked = Instant::now();
    let reply = server.get("GET /notes.txt?seen-live HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status(), 200);
    let (text, got) = read_until(&mut viewer, Duration::from_secs(1), |text| {
        text.contains("GET /notes.txt?seen-live HTTP/1.0")
    });
    assert!(
        got,
        "no row for the request within 1 s ({:?}): {text}",
        asked.elapsed()
    );
    let row = text
        .lines()
        .find(|line| line.contains("seen-live"))
        .expect("found above");
    assert!(row.contains("\"status\":200"), "{row}");
    assert!(row.contains("\"served\":1"), "{row}");
}

#[test]
fn a_connection_with_no_request_yet_shows_as_connected() {
    let dir = site();
    let server = Server::start(dir.path(), &["--live", "--quiet"]);
    let (mut viewer, _) = open_viewer(&server);
    // A browser's pre-connect: a socket opened and left waiting.
    let preconnect = server.connect();
    let port = preconnect.local_addr().expect("local address").port();
    let peer = format!("\"peer\":\"127.0.0.1:{port}\",\"state\":\"connected\"");
    let (text, got) = read_until(&mut viewer, PATIENCE, |text| text.contains(&peer));
    assert!(got, "no row {peer}: {text}");
}

#[test]
fn a_fifth_viewer_gets_503_and_a_freed_place_is_taken_again() {
    let dir = site();
    let server = Server::start(dir.path(), &["--live", "--quiet"]);
    let mut viewers: Vec<TcpStream> = (0..MAX_VIEWERS).map(|_| open_viewer(&server).0).collect();
    let refused = server.get("GET /_live/events HTTP/1.0\r\n\r\n");
    assert_eq!(refused.status(), 503, "{}", refused.text());

    // One viewer leaves; once the server has seen it go, its place is free.
    drop(viewers.pop());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut next = server.connect();
        next.write_all(b"GET /_live/events HTTP/1.0\r\n\r\n")
            .expect("send");
        let (text, _) = read_until(&mut next, PATIENCE, |text| text.contains("\r\n\r\n"));
        if text.starts_with("HTTP/1.0 200") {
            break;
        }
        assert!(text.starts_with("HTTP/1.0 503"), "{text}");
        assert!(
            Instant::now() < deadline,
            "the freed place was never given again"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_viewer_that_never_reads_does_not_slow_the_server() {
    let dir = site();
    let server = Server::start(dir.path(), &["--live", "--quiet"]);
    // It asks for the stream and never reads a byte of it.
    let mut stuck = server.connect();
    stuck
        .write_all(b"GET /_live/events HTTP/1.0\r\n\r\n")
        .expect("send");
    let (mut watching, _) = open_viewer(&server);

    // Many connections, so many rows and updates for the stuck viewer to leave unread. A
    // server that waited for it would stop answering once its socket filled: each `get`
    // waits a bounded time for its reply.
    for request in 0..300 {
        let reply = server.get(&format!("GET /notes.txt?n={request} HTTP/1.0\r\n\r\n"));
        assert_eq!(reply.status(), 200, "request {request}");
    }
    // The other viewer is still served, up to the last request.
    let (text, got) = read_until(&mut watching, PATIENCE, |text| text.contains("?n=299 "));
    assert!(got, "the reading viewer fell behind: {} bytes", text.len());
    drop(stuck);
}

#[test]
fn without_live_the_path_is_an_ordinary_file() {
    let fixture = Fixture::new();
    fixture.write("_live", "a file named _live\n");
    let server = Server::start(&fixture.root(), &["--quiet"]);
    let reply = server.get("GET /_live HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.text(), "a file named _live\n");
    let events = server.get("GET /_live/events HTTP/1.0\r\n\r\n");
    assert_eq!(events.status(), 404);
}

#[test]
fn with_live_the_page_comes_from_the_program_not_the_folder() {
    let fixture = Fixture::new();
    fixture.write("_live", "a file named _live\n");
    let server = Server::start(&fixture.root(), &["--live", "--quiet"]);
    let mut stream = server.connect();
    stream
        .write_all(b"GET /_live HTTP/1.0\r\n\r\n")
        .expect("send");
    let reply = Reply::parse(&read_to_close(&mut stream));
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.header("Content-Type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let page = reply.text();
    assert!(
        page.contains("new EventSource(\"/_live/events\")"),
        "{page}"
    );
    // Nothing from outside: no absolute URL is loaded.
    for outside in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!page.contains(outside), "the page loads {outside}…");
    }
}
