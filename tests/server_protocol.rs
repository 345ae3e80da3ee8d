//! httpserve's protocol rules (RFC 1945), checked with raw bytes over real sockets.

mod support;

use std::fs;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::path::Path;
use std::time::{Duration, SystemTime};

use support::{read_one_response, read_to_close, site, Reply, Server, NOTES, PATIENCE};

fn start(dir: &Path) -> Server {
    Server::start(dir, &["--quiet"])
}

#[test]
fn every_full_response_starts_with_an_http_1_0_status_line() {
    let dir = site();
    let server = start(dir.path());
    for (request, status_line) in [
        ("GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK"),
        (
            "GET /notes.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "HTTP/1.0 200 OK",
        ),
        ("GET /missing HTTP/1.0\r\n\r\n", "HTTP/1.0 404 Not Found"),
        (
            "GET /sub HTTP/1.0\r\n\r\n",
            "HTTP/1.0 301 Moved Permanently",
        ),
    ] {
        let reply = server.get(request);
        assert_eq!(reply.head.lines().next(), Some(status_line), "{request:?}");
    }
}

#[test]
fn responses_carry_date_server_length_and_type() {
    let dir = site();
    let server = start(dir.path());
    let reply = server.get("GET /notes.txt HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status(), 200);
    let date = reply.header("Date").expect("Date");
    assert!(
        date.ends_with(" GMT") && httpdate::parse_http_date(&date).is_ok(),
        "{date}"
    );
    assert_eq!(
        reply.header("Server").as_deref(),
        Some(concat!("http10/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        reply.header("Content-Length"),
        Some(reply.body.len().to_string())
    );
    assert_eq!(
        reply.header("Content-Type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(reply.body, NOTES.as_bytes());
    assert!(reply.header("Last-Modified").is_some());
}

#[test]
fn last_modified_is_never_later_than_date() {
    let dir = site();
    let future = dir.path().join("future.txt");
    fs::write(&future, "from the future\n").expect("write");
    let next_year = SystemTime::now() + Duration::from_secs(365 * 24 * 3600);
    fs::File::options()
        .write(true)
        .open(&future)
        .and_then(|file| file.set_modified(next_year))
        .expect("set mtime");
    let server = start(dir.path());
    let reply = server.get("GET /future.txt HTTP/1.0\r\n\r\n");
    let date = httpdate::parse_http_date(&reply.header("Date").expect("Date")).expect("date");
    let modified =
        httpdate::parse_http_date(&reply.header("Last-Modified").expect("Last-Modified"))
            .expect("date");
    assert!(modified <= date, "Last-Modified after Date: {}", reply.head);
}

#[test]
fn head_sends_the_same_headers_as_get_and_no_body() {
    let dir = site();
    let server = start(dir.path());
    for path in ["/notes.txt", "/", "/sub/", "/missing"] {
        let get = server.get(&format!("GET {path} HTTP/1.0\r\n\r\n"));
        let head = server.get(&format!("HEAD {path} HTTP/1.0\r\n\r\n"));
        assert_eq!(head.status(), get.status(), "{path}");
        assert!(head.body.is_empty(), "HEAD {path} had a body");
        for name in ["Content-Length", "Content-Type", "Last-Modified", "Server"] {
            assert_eq!(head.header(name), get.header(name), "{name} for {path}");
        }
    }
}

#[test]
fn a_simple_request_gets_the_body_alone_then_close() {
    let dir = site();
    let server = start(dir.path());
    let reply = server.exchange(b"GET /notes.txt\r\n");
    assert_eq!(reply, NOTES.as_bytes());
    let missing = server.exchange(b"GET /missing\n");
    assert!(
        !missing.starts_with(b"HTTP/"),
        "HTTP/0.9 answers carry no status line"
    );
    assert!(String::from_utf8_lossy(&missing).contains("404 Not Found"));
}

#[test]
fn bare_lf_line_ends_and_leading_blank_lines_are_accepted() {
    let dir = site();
    let server = start(dir.path());
    for request in [
        "GET /notes.txt HTTP/1.0\n\n",
        "GET /notes.txt HTTP/1.0\nUser-Agent: lf-only\n\n",
        "GET /notes.txt HTTP/1.0\r\nUser-Agent: mixed\n\r\n",
        "\r\n\r\nGET /notes.txt HTTP/1.0\r\n\r\n",
    ] {
        let reply = server.get(request);
        assert_eq!(reply.status(), 200, "{request:?}");
        assert_eq!(reply.body, NOTES.as_bytes());
    }
}

#[test]
fn header_names_are_case_insensitive() {
    let dir = site();
    let server = start(dir.path());
    let modified = server
        .get("GET /notes.txt HTTP/1.0\r\n\r\n")
        .header("Last-Modified")
        .expect("lm");
    let reply = server.get(&format!(
        "GET /notes.txt HTTP/1.0\r\nif-MODIFIED-since: {modified}\r\n\r\n"
    ));
    assert_eq!(reply.status(), 304);
    let mut stream = server.connect();
    stream
        .write_all(b"GET /notes.txt HTTP/1.0\r\nCONNECTION: Keep-Alive\r\n\r\n")
        .expect("send");
    let first = read_one_response(&mut stream);
    assert_eq!(first.header("Connection").as_deref(), Some("keep-alive"));
}

#[test]
fn methods_other_than_get_and_head_are_not_implemented() {
    let dir = site();
    let server = start(dir.path());
    for request in [
        "get / HTTP/1.0\r\n\r\n",
        "Get / HTTP/1.0\r\n\r\n",
        "PUT /notes.txt HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
        "DELETE /notes.txt HTTP/1.0\r\n\r\n",
        "BREW /pot HTTP/1.0\r\n\r\n",
        "POST /notes.txt HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi",
    ] {
        assert_eq!(server.get(request).status(), 501, "{request:?}");
    }
}

/// RFC 1945 Appendix B: "accept any amount of SP or HT characters between fields", as a
/// request typed by hand into `nc` may have them.
#[test]
fn extra_spaces_and_tabs_in_the_request_line_are_tolerated() {
    let dir = site();
    let server = start(dir.path());
    for request in [
        "GET  / HTTP/1.0\r\n\r\n",
        "GET\t/\tHTTP/1.0\r\n\r\n",
        "GET /   HTTP/1.0  \r\n\r\n",
    ] {
        assert_eq!(server.get(request).status(), 200, "{request:?}");
    }
}

#[test]
fn malformed_requests_get_400() {
    let dir = site();
    let server = start(dir.path());
    for request in [
        "GET\r\n\r\n",
        "GET / HTTP/1.0 extra\r\n\r\n",
        "GET / HTTP/1\r\n\r\n",
        "GET / HTTP/x.y\r\n\r\n",
        "GET / HTTPS/1.0\r\n\r\n",
        "G@T / HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.0\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.0\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.0\r\n: no name\r\n\r\n",
        "POST /x\r\n",
        "GET index.html HTTP/1.0\r\n\r\n",
        "GET /\x1b[2J HTTP/1.0\r\n\r\n",
    ] {
        assert_eq!(server.get(request).status(), 400, "{request:?}");
    }
}

#[test]
fn http_2_and_above_get_505() {
    let dir = site();
    let server = start(dir.path());
    for version in ["HTTP/2.0", "HTTP/3.0", "HTTP/2", "HTTP/0.9"] {
        let request = format!("GET / {version}\r\n\r\n");
        let expected = if version == "HTTP/2" { 400 } else { 505 };
        assert_eq!(server.get(&request).status(), expected, "{version}");
    }
}

#[test]
fn a_target_over_8_kib_gets_414() {
    let dir = site();
    let server = start(dir.path());
    let just_fits = format!("GET /{} HTTP/1.0\r\n\r\n", "a".repeat(8 * 1024 - 1));
    assert_eq!(server.get(&just_fits).status(), 404);
    let too_long = format!("GET /{} HTTP/1.0\r\n\r\n", "a".repeat(8 * 1024));
    assert_eq!(server.get(&too_long).status(), 414);
    // Even when the line never ends, the server does not wait for more.
    let mut stream = server.connect();
    stream
        .write_all(format!("GET /{}", "b".repeat(9000)).as_bytes())
        .expect("send");
    assert_eq!(read_one_response(&mut stream).status(), 414);
}

#[test]
fn a_head_over_16_kib_or_100_lines_gets_431() {
    let dir = site();
    let server = start(dir.path());
    let hundred = format!("GET / HTTP/1.0\r\n{}\r\n", "X-A: b\r\n".repeat(100));
    assert_eq!(server.get(&hundred).status(), 200);
    let too_many = format!("GET / HTTP/1.0\r\n{}\r\n", "X-A: b\r\n".repeat(101));
    assert_eq!(server.get(&too_many).status(), 431);
    let too_big = format!("GET / HTTP/1.0\r\nX-Big: {}\r\n\r\n", "y".repeat(17 * 1024));
    assert_eq!(server.get(&too_big).status(), 431);
    // A head that never ends is cut off at the limit, not read forever.
    let mut stream = server.connect();
    stream
        .write_all(format!("GET / HTTP/1.0\r\nX-Big: {}", "z".repeat(20 * 1024)).as_bytes())
        .expect("send");
    assert_eq!(read_one_response(&mut stream).status(), 431);
}

#[test]
fn endless_blank_lines_before_a_request_are_cut_off_at_the_head_limit() {
    let dir = site();
    let server = start(dir.path());
    let mut stream = server.connect();
    // Blank lines before a request are skipped (RFC 9112 §2.2), but not without limit.
    let blank_lines = vec![b'\n'; 64 * 1024];
    let _ = stream.write_all(&blank_lines);
    assert_eq!(read_one_response(&mut stream).status(), 431);
}

#[test]
fn errors_are_one_line_of_plain_text_for_nc_curl_and_httpget() {
    let dir = site();
    let server = start(dir.path());
    for accept in ["", "Accept: */*\r\n", "Accept: text/plain\r\n"] {
        let request = format!("GET /it's%20%3Cnot%3E%20here HTTP/1.0\r\n{accept}\r\n");
        let reply = server.get(&request);
        assert_eq!(reply.status(), 404);
        assert_eq!(
            reply.header("Content-Type").as_deref(),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(
            reply.header("Content-Length"),
            Some(reply.body.len().to_string())
        );
        assert_eq!(
            reply.text(),
            "404 Not Found: There is nothing at /it's <not> here on this server.\n",
            "{accept:?}"
        );
    }
    // Errors made before any header was read are plain too.
    let reply = server.get("GET /a b c d HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status(), 400);
    assert!(
        reply.text().starts_with("400 Bad Request: "),
        "{}",
        reply.text()
    );
    assert_eq!(reply.text().lines().count(), 1, "{}", reply.text());
}

#[test]
fn error_pages_for_browsers_are_html_with_exact_length_escaped_echoes_and_a_way_home() {
    let dir = site();
    let server = start(dir.path());
    let reply = server.get(
        "GET /%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n\r\n",
    );
    assert_eq!(reply.status(), 404);
    assert_eq!(
        reply.header("Content-Type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        reply.header("Content-Length"),
        Some(reply.body.len().to_string())
    );
    let page = reply.text();
    assert!(page.contains("404 Not Found"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)"), "{page}");
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("<a href=\"/\">"), "{page}");
    assert!(page.contains("<style>"), "{page}");
    let head = server.get("HEAD /missing HTTP/1.0\r\nAccept: text/html\r\n\r\n");
    assert!(head.body.is_empty());
}

#[test]
fn if_modified_since_answers_304_only_when_the_copy_is_current() {
    let dir = site();
    let server = start(dir.path());
    let first = server.get("GET /notes.txt HTTP/1.0\r\n\r\n");
    let modified = first.header("Last-Modified").expect("Last-Modified");
    let cases = [
        (modified.clone(), 304),
        ("Thu, 01 Jan 1970 00:00:00 GMT".to_string(), 200),
        ("not a date".to_string(), 200),
        ("Fri, 01 Jan 2100 00:00:00 GMT".to_string(), 200),
    ];
    for (since, status) in cases {
        let reply = server.get(&format!(
            "GET /notes.txt HTTP/1.0\r\nIf-Modified-Since: {since}\r\n\r\n"
        ));
        assert_eq!(reply.status(), status, "If-Modified-Since: {since}");
        if status == 304 {
            assert!(reply.body.is_empty(), "a 304 has no body");
            // RFC 9110 §15.4.5: no representation metadata but what guides the cache.
            assert_eq!(reply.header("Content-Type"), None, "a 304 names no type");
            assert_eq!(reply.header("Last-Modified"), Some(modified.clone()));
        } else {
            assert_eq!(reply.body, first.body);
        }
    }
}

/// RFC 1945 §8.2: "There is no \"conditional HEAD\" request"; an If-Modified-Since on an
/// HTTP/1.0 HEAD is ignored. HTTP/1.1 made HEAD conditional (RFC 9110 §13.1.3).
#[test]
fn a_head_is_conditional_only_when_sent_as_http_1_1() {
    let dir = site();
    let server = start(dir.path());
    let first = server.get("GET /notes.txt HTTP/1.0\r\n\r\n");
    let modified = first.header("Last-Modified").expect("Last-Modified");

    let head_1_0 = server.get(&format!(
        "HEAD /notes.txt HTTP/1.0\r\nIf-Modified-Since: {modified}\r\n\r\n"
    ));
    assert_eq!(
        head_1_0.status(),
        200,
        "an HTTP/1.0 HEAD is never conditional"
    );
    assert!(head_1_0.body.is_empty(), "a HEAD has no body");
    let length = first.body.len().to_string();
    assert_eq!(head_1_0.header("Content-Length"), Some(length));
    assert_eq!(head_1_0.header("Last-Modified"), Some(modified.clone()));

    let head_1_1 = server.get(&format!(
        "HEAD /notes.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         If-Modified-Since: {modified}\r\n\r\n"
    ));
    assert_eq!(
        head_1_1.status(),
        304,
        "an HTTP/1.1 HEAD may be conditional"
    );
    assert!(head_1_1.body.is_empty());
}

#[test]
fn http_1_0_closes_after_each_response_by_default() {
    let dir = site();
    let server = start(dir.path());
    let mut stream = server.connect();
    stream
        .write_all(b"GET /notes.txt HTTP/1.0\r\n\r\n")
        .expect("send");
    let reply = Reply::parse(&read_to_close(&mut stream));
    assert_eq!(reply.header("Connection").as_deref(), Some("close"));
}

#[test]
fn keep_alive_carries_two_requests_on_one_socket() {
    let dir = site();
    let server = start(dir.path());
    for opening in [
        "GET /notes.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET /notes.txt HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        let mut stream = server.connect();
        stream.write_all(opening.as_bytes()).expect("send");
        let first = read_one_response(&mut stream);
        assert_eq!(first.status(), 200);
        assert_eq!(first.header("Connection").as_deref(), Some("keep-alive"));
        let keep_alive = first.header("Keep-Alive").expect("Keep-Alive header");
        assert!(
            keep_alive.starts_with("timeout=") && keep_alive.contains("max="),
            "{keep_alive}"
        );
        assert_eq!(first.body, NOTES.as_bytes());

        stream
            .write_all(b"GET /style.css HTTP/1.0\r\nConnection: close\r\n\r\n")
            .expect("send second");
        let second = Reply::parse(&read_to_close(&mut stream));
        assert_eq!(second.status(), 200);
        assert_eq!(second.body, b"body { color: black }\n");
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let dir = site();
    let server = start(dir.path());
    let mut stream = server.connect();
    stream
        .write_all(
            b"GET /notes.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .expect("send");
    let first = read_one_response(&mut stream);
    assert_eq!(first.body, NOTES.as_bytes());
    let second = Reply::parse(&read_to_close(&mut stream));
    assert_eq!(second.body, b"body { color: black }\n");
}

#[test]
fn a_request_followed_at_once_by_the_clients_close_is_answered_and_closed_at_once() {
    // `printf 'GET …' | nc -N`: the last request and the end of the client's side arrive
    // together. The server must answer, then see the end-of-file and close, rather than hold
    // the kept-alive connection until its idle timeout.
    let dir = site();
    let server = start(dir.path());
    for round in 0..20 {
        let mut stream = server.connect();
        // Well under the server's keep-alive timeout: a close that waits for it fails.
        let bound = http10::server::KEEP_ALIVE_TIMEOUT / 2;
        stream.set_read_timeout(Some(bound)).expect("timeout");
        stream
            .write_all(b"GET /notes.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("send");
        assert_eq!(read_one_response(&mut stream).status(), 200);
        stream
            .write_all(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("send");
        stream.shutdown(Shutdown::Write).expect("half-close");
        let mut rest = Vec::new();
        let ended = stream.read_to_end(&mut rest);
        assert!(
            ended.is_ok(),
            "round {round}: the connection was still open after {bound:?}: {ended:?}"
        );
        let reply = Reply::parse(&rest);
        assert_eq!(reply.status(), 200, "round {round}");
        assert_eq!(reply.body, b"body { color: black }\n", "round {round}");
    }
}

#[test]
fn an_unimplemented_method_closes_the_connection_so_its_body_is_never_a_request() {
    let dir = site();
    let server = start(dir.path());
    let mut stream = server.connect();
    // Without Content-Length the server cannot know where a PUT's body ends; what follows
    // must not be taken as a second request.
    stream
        .write_all(
            b"PUT /notes.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /notes.txt HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .expect("send");
    let raw = read_to_close(&mut stream);
    let reply = Reply::parse(&raw);
    assert_eq!(reply.status(), 501);
    assert_eq!(reply.header("Connection").as_deref(), Some("close"));
    assert!(
        !reply.text().contains("HTTP/1.0 200"),
        "the body was answered as a request"
    );
}

#[test]
fn http_1_1_with_connection_close_is_closed() {
    let dir = site();
    let server = start(dir.path());
    let mut stream = server.connect();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("send");
    let reply = Reply::parse(&read_to_close(&mut stream));
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.header("Connection").as_deref(), Some("close"));
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_its_announced_timeout() {
    let dir = site();
    let server = Server::start(dir.path(), &["--quiet", "--keep-alive-timeout", "1"]);
    let mut stream = server.connect();
    stream
        .write_all(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .expect("send");
    let first = read_one_response(&mut stream);
    let timeout: u64 = first
        .header("Keep-Alive")
        .and_then(|value| {
            value
                .strip_prefix("timeout=")?
                .split(',')
                .next()?
                .parse()
                .ok()
        })
        .expect("Keep-Alive: timeout=N");
    stream
        .set_read_timeout(Some(Duration::from_secs(timeout) + PATIENCE))
        .expect("timeout");
    let mut rest = Vec::new();
    let closed = stream.read_to_end(&mut rest);
    assert!(
        closed.is_ok(),
        "the server did not close the idle connection: {closed:?}"
    );
    assert!(rest.is_empty());
}
