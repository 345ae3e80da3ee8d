//! httpserve's access log, read from its stderr after raw requests over a real socket: one entry
//! per request that no request line can forge, holding the request line as it arrived.

mod support;

use support::{site, Server, NOTES};

/// The part of a Common Log Format line after the date:
/// `"GET / HTTP/1.0" 200 1234` from `127.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.0" 200 1234`.
fn after_the_date(line: &str) -> &str {
    let (_, rest) = line
        .split_once("] ")
        .unwrap_or_else(|| panic!("no [date] in {line:?}"));
    rest
}

/// RFC 1945 §5.1's request line holds no `"`, but a client can send one anyway, and the log
/// field is quoted: unescaped, `GET /a" 200 0 "forged HTTP/1.0` closed the quotes and the line
/// read as two requests, one for `/a` answered 200.
#[test]
fn a_quote_in_the_request_line_cannot_forge_a_log_entry() {
    let dir = site();
    let server = Server::start(dir.path(), &[]);
    server.exchange(b"GET /a\" 200 0 \"forged HTTP/1.0\r\n\r\n");
    let line = server.wait_for_stderr(|line| line.contains("forged"));
    let entry = after_the_date(&line);
    let (request_line, status_and_size) = entry
        .strip_prefix('"')
        .and_then(|rest| rest.split_once('"'))
        .unwrap_or_else(|| panic!("no quoted request line in {line:?}"));
    assert_eq!(request_line, r"GET /a\x22 200 0 \x22forged HTTP/1.0");
    assert!(status_and_size.starts_with(" 400 "), "{line:?}");
    assert_eq!(line.matches('"').count(), 2, "{line:?}");
}

/// The server reads `GET\t/notes.txt   HTTP/1.2` as `GET /notes.txt HTTP/1.1` (RFC 1945
/// Appendix B's tolerance, and a 1.x it does not know read as the highest it does); the log
/// shows what the client wrote, escaped, not the request rebuilt from what was read.
#[test]
fn the_request_line_is_logged_as_it_arrived() {
    let dir = site();
    let server = Server::start(dir.path(), &[]);
    server.exchange(b"GET\t/notes.txt   HTTP/1.2\r\nConnection: close\r\n\r\n");
    let line = server.wait_for_stderr(|line| line.contains("notes.txt"));
    assert_eq!(
        after_the_date(&line),
        format!(r#""GET\x09/notes.txt   HTTP/1.2" 200 {}"#, NOTES.len())
    );
}
