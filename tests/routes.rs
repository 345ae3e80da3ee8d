//! The `/upper` and `/echo` routes over real sockets: raw bytes first, then `httpget` and curl
//! as a student would use them.
//!
//! Every server here serves a folder that also holds files named `upper` and `echo`, so each
//! test also shows that the routes win over files of the same name (and `--no-routes` undoes it).

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use support::{curl, read_one_response, read_to_close, Fixture, Reply, Server};

/// The largest body the routes accept (`http10::server::request::MAX_BODY_BYTES`).
const MAX_BODY: usize = 64 * 1024;

/// A folder with files that the routes shadow, and an index page.
fn fixture() -> Fixture {
    let fixture = Fixture::new();
    fixture
        .write("upper", "the file named upper\n")
        .write("echo", "the file named echo\n")
        .write("index.html", "<p>index</p>\n");
    fixture
}

/// `POST target` with these extra header lines and body, Content-Length filled in.
fn post(target: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {target} HTTP/1.0\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

#[test]
fn get_upper_answers_the_query_text_in_capitals_as_plain_text() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let reply = server.get("GET /upper?text=hello%20world HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.header("Content-Type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        reply.header("X-Content-Type-Options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(reply.text(), "HELLO WORLD");
    assert_eq!(reply.header("Content-Length").as_deref(), Some("11"));
}

#[test]
fn upper_is_unicode_aware_not_ascii_only() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    for (query, want) in [
        ("text=stra%C3%9Fe", "STRASSE"),
        ("text=ciao+%C3%A8", "CIAO È"),
        ("text=Gr%C3%BC%C3%9Fe%2C%20%F0%9F%98%80", "GRÜSSE, 😀"),
        ("lang=it&text=%C3%A0+b%C3%A8", "À BÈ"),
    ] {
        let reply = server.get(&format!("GET /upper?{query} HTTP/1.0\r\n\r\n"));
        assert_eq!(
            (reply.status(), reply.text().as_str()),
            (200, want),
            "{query}"
        );
    }
}

#[test]
fn post_upper_reads_a_form_field_whatever_the_content_type_parameters() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let form = "Content-Type: Application/X-WWW-Form-URLEncoded; charset=UTF-8\r\n";
    let reply = Reply::parse(&server.exchange(&post(
        "/upper",
        form,
        b"text=hello+w%C3%B6rld&go=Uppercase",
    )));
    assert_eq!(
        (reply.status(), reply.text().as_str()),
        (200, "HELLO WÖRLD")
    );
}

#[test]
fn post_upper_takes_any_other_body_raw() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    for headers in ["Content-Type: text/plain\r\n", ""] {
        let body = "straße\ntext=a+b\n".as_bytes();
        let reply = Reply::parse(&server.exchange(&post("/upper", headers, body)));
        assert_eq!(reply.status(), 200, "{headers:?}");
        assert_eq!(reply.text(), "STRASSE\nTEXT=A+B\n", "{headers:?}");
    }
}

#[test]
fn upper_without_text_is_400_with_a_one_line_usage_hint() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let requests = [
        b"GET /upper HTTP/1.0\r\n\r\n".to_vec(),
        b"GET /upper?txt=typo HTTP/1.0\r\n\r\n".to_vec(),
        // An empty text is no text (README: "No text → 400").
        b"GET /upper?text= HTTP/1.0\r\n\r\n".to_vec(),
        post("/upper", form, b"text="),
        post("/upper", form, b"other=1"),
        post("/upper", "Content-Type: text/plain\r\n", b""),
    ];
    for request in requests {
        let reply = Reply::parse(&server.exchange(&request));
        let shown = String::from_utf8_lossy(&request).into_owned();
        assert_eq!(reply.status(), 400, "{shown:?}");
        let text = reply.text();
        assert!(text.starts_with("Usage: GET /upper?text="), "{text:?}");
        assert_eq!(text.lines().count(), 1, "{text:?}");
    }
}

#[test]
fn upper_with_text_that_is_not_utf8_is_400() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let requests = [
        post("/upper", "Content-Type: text/plain\r\n", b"caf\xe9"),
        post("/upper", form, b"text=caf%E9"),
        b"GET /upper?text=%FF HTTP/1.0\r\n\r\n".to_vec(),
    ];
    for request in requests {
        let reply = Reply::parse(&server.exchange(&request));
        assert_eq!(
            reply.status(),
            400,
            "{:?}",
            String::from_utf8_lossy(&request)
        );
        assert_eq!(reply.text(), "The text is not valid UTF-8.\n");
    }
}

#[test]
fn post_without_content_length_is_411_length_required() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    for target in ["/upper", "/echo"] {
        let mut stream = server.connect();
        let request = format!("POST {target} HTTP/1.0\r\nContent-Type: text/plain\r\n\r\nhello");
        support::send_and_half_close(&mut stream, request.as_bytes());
        let reply = Reply::parse(&read_to_close(&mut stream));
        assert_eq!(reply.status(), 411, "{target}");
        assert!(reply.text().contains("Content-Length"), "{target}");
    }
}

#[test]
fn a_body_over_64_kib_is_413_and_exactly_64_kib_is_accepted() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);

    // The server refuses on the head alone; it does not wait for 64 KiB + 1 bytes.
    let too_big = format!(
        "POST /upper HTTP/1.0\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY + 1
    );
    let reply = server.get(&too_big);
    assert_eq!(reply.status(), 413);

    let full = vec![b'a'; MAX_BODY];
    let reply = Reply::parse(&server.exchange(&post("/upper", "", &full)));
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.body, vec![b'A'; MAX_BODY]);
}

#[test]
fn a_body_slower_than_the_deadline_is_answered_408() {
    let dir = fixture();
    let limit = Duration::from_millis(500);
    let server = Server::start(dir.path(), &["--body-timeout", "0.5"]);
    let mut stream = server.connect();
    let started = Instant::now();
    // Ten bytes announced, three sent, then silence (the write half stays open).
    stream
        .write_all(b"POST /echo HTTP/1.0\r\nContent-Length: 10\r\n\r\nabc")
        .expect("send a partial body");
    let reply = Reply::parse(&read_to_close(&mut stream));
    let waited = started.elapsed();
    assert_eq!(reply.status(), 408);
    assert!(reply.text().contains("--body-timeout"), "{}", reply.text());
    assert!(
        waited >= limit,
        "answered after {waited:?}, before the body deadline"
    );
    server.wait_for_stderr(|line| line.contains("\"POST /echo HTTP/1.0\" 408 "));
}

#[test]
fn head_on_both_routes_sends_the_length_a_get_would_and_no_body() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);

    let reply = server.get("HEAD /upper?text=abc HTTP/1.0\r\n\r\n");
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.header("Content-Length").as_deref(), Some("3"));
    assert!(reply.body.is_empty());

    let request = "HEAD /echo HTTP/1.0\r\nX-Probe: 1\r\n\r\n";
    let reply = server.get(request);
    assert_eq!(reply.status(), 200);
    let length = request.len().to_string();
    assert_eq!(reply.header("Content-Length"), Some(length));
    assert!(reply.body.is_empty());
}

#[test]
fn a_kept_alive_connection_carries_a_post_between_two_gets() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let mut stream = server.connect();

    stream
        .write_all(b"GET /upper?text=one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .expect("send the first request");
    let first = read_one_response(&mut stream);
    assert_eq!((first.status(), first.text().as_str()), (200, "ONE"));
    assert_eq!(first.header("Connection").as_deref(), Some("keep-alive"));

    let second_request = post("/echo", "Connection: keep-alive\r\n", b"two\r\nlines");
    stream
        .write_all(&second_request)
        .expect("send the POST request");
    let second = read_one_response(&mut stream);
    assert_eq!(second.status(), 200);
    assert_eq!(second.body, second_request);

    // The body was consumed exactly: the next request starts where it ended.
    stream
        .write_all(b"GET /upper?text=three HTTP/1.0\r\n\r\n")
        .expect("send the last request");
    let third = Reply::parse(&read_to_close(&mut stream));
    assert_eq!((third.status(), third.text().as_str()), (200, "THREE"));
    assert_eq!(third.header("Connection").as_deref(), Some("close"));
}

#[test]
fn echo_returns_the_request_byte_for_byte_with_odd_spelling_and_order() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let mut request = b"POST /echo?a=1&b=%20 HTTP/1.1\r\n\
        x-lower: first\r\n\
        HOST: 127.0.0.1\r\n\
        X-Spaces:    padded   \r\n\
        Connection: close\r\n\
        content-LENGTH: 11\r\n\
        X-Empty:\r\n\
        \r\n"
        .to_vec();
    request.extend_from_slice(b"a\r\nb\n\xff\x00<i>z");
    let reply = Reply::parse(&server.exchange(&request));
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.body, request);
}

#[test]
fn echo_keeps_bare_line_feeds_as_they_arrived() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let request = b"GET /echo HTTP/1.0\nUser-Agent: nc\n\n";
    let reply = Reply::parse(&server.exchange(request));
    assert_eq!(reply.body, request);
}

#[test]
fn echo_show_crlf_makes_line_ends_visible() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let reply = server.get("GET /echo?show=crlf HTTP/1.0\r\nHost: x\r\nX-Bare: lf\n\r\n");
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.text(),
        "GET /echo?show=crlf HTTP/1.0\\r\\n\nHost: x\\r\\n\nX-Bare: lf\\n\n\\r\\n\n"
    );
}

#[test]
fn an_http09_echo_is_the_bare_request_line() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    assert_eq!(server.exchange(b"GET /echo\r\n"), b"GET /echo\r\n");
}

#[test]
fn other_methods_on_the_routes_and_post_elsewhere_are_501() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    for request in [
        "PUT /echo HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
        "DELETE /upper?text=x HTTP/1.0\r\n\r\n",
        "post /upper HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
        "POST /index.html HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
    ] {
        assert_eq!(server.get(request).status(), 501, "{request:?}");
    }
}

#[test]
fn routes_win_over_files_of_the_same_name_and_no_routes_gives_the_files_back() {
    let dir = fixture();
    let with_routes = Server::start(dir.path(), &[]);
    assert_eq!(
        with_routes.get("GET /upper?text=x HTTP/1.0\r\n\r\n").text(),
        "X"
    );
    // Only the exact paths are routes: this is the file-server's 404 for a missing folder.
    assert_eq!(
        with_routes.get("GET /upper/ HTTP/1.0\r\n\r\n").status(),
        404
    );

    let without = Server::start(dir.path(), &["--no-routes"]);
    let upper = without.get("GET /upper?text=x HTTP/1.0\r\n\r\n");
    assert_eq!(
        (upper.status(), upper.text().as_str()),
        (200, "the file named upper\n")
    );
    assert_eq!(
        without.get("GET /echo HTTP/1.0\r\n\r\n").text(),
        "the file named echo\n"
    );
    let posted = Reply::parse(&without.exchange(&post("/upper", "", b"x")));
    assert_eq!(posted.status(), 501);
}

#[test]
fn route_requests_are_in_the_access_log() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    server.exchange(&post("/upper", "", b"ok"));
    server.get("GET /upper HTTP/1.0\r\n\r\n");
    server.wait_for_stderr(|line| line.contains("\"POST /upper HTTP/1.0\" 200 2"));
    server.wait_for_stderr(|line| line.contains("\"GET /upper HTTP/1.0\" 400 "));
}

/// Runs `httpget ARGS`, returns (exit code, stdout).
fn httpget(args: &[&str]) -> (Option<i32>, Vec<u8>) {
    let run = support::httpget(args);
    (run.code, run.stdout)
}

#[test]
fn httpget_fetches_upper_in_unicode_capitals() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let url = server.url("/upper?text=ciao%20%C3%A8%2C%20stra%C3%9Fe");
    let (code, stdout) = httpget(&["-s", "-m", "10", &url]);
    assert_eq!(code, Some(0));
    assert_eq!(String::from_utf8_lossy(&stdout), "CIAO È, STRASSE");

    let (code, stdout) = httpget(&["-s", "-f", "-m", "10", &server.url("/upper")]);
    assert_eq!(code, Some(22), "-f and a 400");
    assert!(stdout.is_empty());
}

#[test]
fn httpget_sees_its_own_request_in_echo() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let url = server.url("/echo");
    let (code, stdout) = httpget(&[
        "-s",
        "-m",
        "10",
        "-A",
        "lesson-1",
        "-H",
        "X-Student: Ada",
        &url,
    ]);
    assert_eq!(code, Some(0));
    let echoed = String::from_utf8_lossy(&stdout);
    assert!(echoed.starts_with("GET /echo HTTP/1.0\r\n"), "{echoed:?}");
    assert!(
        echoed.contains("\r\nUser-Agent: lesson-1\r\n"),
        "{echoed:?}"
    );
    assert!(echoed.contains("\r\nX-Student: Ada\r\n"), "{echoed:?}");
    assert!(echoed.ends_with("\r\n\r\n"), "{echoed:?}");

    let (code, stdout) = httpget(&["-s", "-I", "-m", "10", &url]);
    assert_eq!(code, Some(0));
    let head = String::from_utf8_lossy(&stdout);
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head:?}");
}

#[test]
#[cfg_attr(
    other_os,
    ignore = "built for another OS (run under wine): this machine's curl cannot be started"
)]
#[cfg_attr(all(not(has_curl), not(other_os)), ignore = "curl not found on PATH")]
fn curl_posts_a_form_to_upper_as_a_browser_would() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let url = server.url("/upper");
    let args = [
        "-s",
        "--http1.0",
        "-m",
        "10",
        "--data-urlencode",
        "text=ciao è & straße",
        &url,
    ];
    let stdout = curl(&args);
    assert_eq!(String::from_utf8_lossy(&stdout), "CIAO È & STRASSE");
}

#[test]
#[cfg_attr(
    other_os,
    ignore = "built for another OS (run under wine): this machine's curl cannot be started"
)]
#[cfg_attr(all(not(has_curl), not(other_os)), ignore = "curl not found on PATH")]
fn curl_sees_its_own_request_and_body_in_echo() {
    let dir = fixture();
    let server = Server::start(dir.path(), &[]);
    let url = server.url("/echo");
    let args = ["-s", "--http1.0", "-m", "10", "--data-binary", "a=1", &url];
    let stdout = curl(&args);
    let echoed = String::from_utf8_lossy(&stdout);
    assert!(echoed.starts_with("POST /echo HTTP/1.0\r\n"), "{echoed:?}");
    assert!(echoed.contains("\r\nUser-Agent: curl/"), "{echoed:?}");
    assert!(echoed.contains("\r\nContent-Length: 3\r\n"), "{echoed:?}");
    assert!(echoed.ends_with("\r\n\r\na=1"), "{echoed:?}");
}
