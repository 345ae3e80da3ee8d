//! httpget against scripted servers, one reply shape each: how the body is framed, how a broken
//! or hostile reply fails, and what the request looks like on the wire.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use http10::client::{self, Observer, Options, ReplyHead, Target};
use support::{
    closed_port, httpget, httpget_with_input, ipv6_listener, ok_reply, send, Scripted, Step,
};

/// Bytes 0..=255 repeated: every byte value, NUL included, so any text handling shows.
fn every_byte(length: usize) -> Vec<u8> {
    (0..length).map(|index| (index % 256) as u8).collect()
}

#[test]
fn request_is_get_host_user_agent_accept_and_crlfs() {
    let server = Scripted::once(ok_reply(b"x"));
    let run = httpget(&[&server.url("/path/a%20b?q=1#not-sent")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let want = format!(
        "GET /path/a%20b?q=1 HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nUser-Agent: httpget/{}\r\n\
         Accept: */*\r\n\r\n",
        server.port,
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(server.request(), want);
}

#[test]
fn content_length_body_is_written_byte_exact() {
    let body = every_byte(70_000);
    let server = Scripted::once(ok_reply(&body));
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, body);
    assert_eq!(run.stderr, "");
}

#[test]
fn body_with_nul_bytes_goes_to_a_pipe_unchanged() {
    let body = b"\0\0a\0\xff\r\n\0".to_vec();
    let server = Scripted::once(ok_reply(&body));
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, body);
}

#[test]
fn reply_without_content_length_ends_when_the_server_closes() {
    let server = Scripted::start(1, |_| {
        vec![
            send("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst "),
            Step::Pause(Duration::from_millis(50)),
            send("second"),
        ]
    });
    let run = httpget(&["-v", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "first second");
}

#[test]
fn head_dribbled_one_byte_per_write_is_reassembled() {
    let reply = ok_reply(b"dribbled body");
    let reply_length = reply.len();
    let server = Scripted::start(1, move |_| {
        let mut steps = Vec::new();
        for byte in &reply {
            steps.push(Step::Send(vec![*byte]));
            steps.push(Step::Pause(Duration::from_millis(1)));
        }
        steps
    });
    let run = httpget(&["--trace-reads", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, b"dribbled body");
    // How the bytes fall into reads depends on timing; what they add up to does not: every
    // byte of the reply, each read shown once.
    let read_bytes: usize = run
        .stderr
        .lines()
        .filter_map(|line| {
            line.split_once("read #")?
                .1
                .split_once(": ")?
                .1
                .split_once(' ')
        })
        .map(|(count, _)| count.parse::<usize>().expect("a byte count"))
        .sum();
    assert_eq!(read_bytes, reply_length, "{}", run.stderr);
}

#[test]
fn chunked_http11_reply_is_decoded_with_a_note() {
    let server = Scripted::start(1, |_| {
        vec![
            send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"),
            Step::Pause(Duration::from_millis(20)),
            send("lo\r\n7;name=value\r\n, world\r\n"),
            Step::Pause(Duration::from_millis(20)),
            send("0\r\nX-Trailer: t\r\n\r\n"),
        ]
    });
    let run = httpget(&["-v", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "hello, world");
    assert!(run.stderr.contains("chunked"), "{}", run.stderr);
    assert!(run.stderr.contains("HTTP/1.1"), "{}", run.stderr);
}

#[test]
fn chunked_reply_without_its_last_chunk_exits_18() {
    let server =
        Scripted::once("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(18), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn chunk_size_that_is_not_hex_exits_8() {
    let server = Scripted::once("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(8), "{}", run.stderr);
}

#[test]
fn chunk_size_with_a_plus_sign_exits_8_as_content_length_would() {
    let server = Scripted::once(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+2\r\nhi\r\n0\r\n\r\n",
    );
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(8), "{}", run.stderr);
}

/// A reply sent one byte per write, `pause` before each.
fn dribbled(reply: &'static [u8], pause: Duration) -> Vec<Step> {
    let mut steps = Vec::new();
    for &byte in reply {
        steps.push(Step::Pause(pause));
        steps.push(send([byte]));
    }
    steps
}

#[test]
fn head_dribbled_past_the_head_timeout_exits_28() {
    let server = Scripted::start(1, |_| {
        dribbled(
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
            Duration::from_millis(100),
        )
    });
    let run = httpget(&["--head-timeout", "0.5", &server.url("/")]);
    assert_eq!(run.code, Some(28), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn body_dribbled_past_the_head_timeout_still_arrives() {
    let server = Scripted::start(1, |_| {
        let mut steps = vec![send("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n")];
        steps.extend(dribbled(b"0123456789", Duration::from_millis(80)));
        steps
    });
    let run = httpget(&["--head-timeout", "0.3", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "0123456789");
}

#[test]
fn http09_reply_is_all_body_with_a_note_when_http09_is_allowed() {
    let server = Scripted::once("<html>no status line</html>\n");
    let run = httpget(&["-v", "--http0.9", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "<html>no status line</html>\n");
    assert!(run.stderr.contains("HTTP/0.9"), "{}", run.stderr);
}

#[test]
fn reply_that_is_not_http_exits_1_like_curl_without_http09() {
    for reply in [
        &b"SSH-2.0-OpenSSH_9.2\r\n"[..],
        b"SPDY/9 garbage\r\nServer: x\r\nContent-Length: 2\r\n\r\nhi",
        b"<html>no status line</html>\n",
        b"HT",
    ] {
        let server = Scripted::once(reply);
        let run = httpget(&[&server.url("/")]);
        assert_eq!(run.code, Some(1), "{:?}: {}", reply, run.stderr);
        assert!(run.stdout.is_empty(), "{:?}", reply);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains("--http0.9"), "{}", run.stderr);
    }
}

#[test]
fn reply_that_is_not_http_is_the_body_with_http09() {
    let server = Scripted::once("SSH-2.0-OpenSSH_9.2\r\n");
    let run = httpget(&["--http0.9", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, b"SSH-2.0-OpenSSH_9.2\r\n");
}

#[test]
fn the_prompt_refuses_a_reply_that_is_not_http() {
    let server = Scripted::once("SSH-2.0-OpenSSH_9.2\r\n");
    let run = httpget_with_input(&[], format!("{}\n", server.url("/")).as_bytes());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.text().contains("--http0.9"), "{}", run.text());
    assert!(!run.text().contains("OpenSSH_9.2\n"), "{}", run.text());
}

#[test]
fn head_with_bare_lf_line_ends_is_accepted_with_a_note() {
    let server = Scripted::once("HTTP/1.0 200 OK\nContent-Length: 3\n\nabc");
    let run = httpget(&["-v", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "abc");
    assert!(run.stderr.contains("bare LF"), "{}", run.stderr);
}

#[test]
fn five_mib_body_arrives_whole() {
    let body = every_byte(5 * 1024 * 1024);
    let server = Scripted::once(ok_reply(&body));
    let run = httpget(&[&server.url("/big")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.len(), body.len());
    assert!(run.stdout == body, "the 5 MiB body differs");
}

#[test]
fn reply_cut_short_of_content_length_exits_18() {
    let server = Scripted::once("HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..");
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(18), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn malformed_status_line_exits_8() {
    let server = Scripted::once("HTTP/1.0 two-hundred OK\r\n\r\n");
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(8), "{}", run.stderr);
    assert!(run.stderr.starts_with("httpget: "), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
}

#[test]
fn oversized_head_exits_8_without_reading_on() {
    let server = Scripted::start(1, |_| {
        let mut steps = vec![send("HTTP/1.0 200 OK\r\n")];
        for _ in 0..40 {
            steps.push(send(format!("X-Padding: {}\r\n", "p".repeat(4000))));
        }
        steps
    });
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(8), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn server_closing_without_a_byte_exits_52() {
    let server = Scripted::start(1, |_| Vec::new());
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(52), "{}", run.stderr);
}

#[test]
fn server_that_never_answers_times_out_with_exit_28() {
    let server = Scripted::start(1, |_| vec![Step::Hang]);
    let run = httpget(&["-m", "0.5", &server.url("/")]);
    assert_eq!(run.code, Some(28), "{}", run.stderr);
    assert!(run.took < Duration::from_secs(5), "took {:?}", run.took);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn body_slower_than_max_time_exits_28() {
    let server = Scripted::start(1, |_| {
        vec![
            send("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nab"),
            Step::Hang,
        ]
    });
    let run = httpget(&["-m", "0.5", &server.url("/")]);
    assert_eq!(run.code, Some(28), "{}", run.stderr);
    assert_eq!(run.stdout, b"ab", "what arrived was written");
}

#[test]
#[cfg_attr(not(has_ipv6), ignore = "no IPv6 loopback on this machine")]
fn ipv6_literal_url_connects_and_brackets_the_host_header() {
    let listener = ipv6_listener();
    let server = Scripted::serve(listener, 1, |_| vec![send(ok_reply(b"six"))]);
    let url = format!("http://[::1]:{}/", server.port);
    let run = httpget(&["-6", &url]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, b"six");
    let host_line = format!("Host: [::1]:{}\r\n", server.port);
    assert!(server.request().contains(&host_line));
}

#[test]
fn ipv4_only_refuses_an_ipv6_literal_with_exit_6() {
    let run = httpget(&["-4", &format!("http://[::1]:{}/", closed_port())]);
    assert_eq!(run.code, Some(6), "{}", run.stderr);
    assert!(run.stderr.contains("IPv4"), "{}", run.stderr);
}

#[test]
fn status_404_with_a_body_exits_0_and_writes_the_body() {
    let server = Scripted::once("HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here\n");
    let run = httpget(&[&server.url("/missing")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "not here\n");
}

#[test]
fn status_404_with_fail_exits_22_and_writes_nothing() {
    let server = Scripted::once("HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here\n");
    let run = httpget(&["-f", &server.url("/missing")]);
    assert_eq!(run.code, Some(22), "{}", run.stderr);
    assert_eq!(run.stdout, b"");
    assert!(run.stderr.contains("404 Not Found"), "{}", run.stderr);
}

#[test]
fn head_request_prints_the_head_and_reads_no_body() {
    // The server wrongly sends a body with its HEAD reply; a HEAD reply never has one.
    let server = Scripted::start(1, |_| {
        vec![
            send("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n"),
            Step::Pause(Duration::from_millis(20)),
            send("extra"),
        ]
    });
    let run = httpget(&["-I", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n");
    assert!(server.request().starts_with("HEAD / HTTP/1.0\r\n"));
}

/// Records what the library reports, in order, as short strings.
#[derive(Default)]
struct Recorder {
    events: Vec<String>,
    request: Vec<u8>,
}

impl Observer for Recorder {
    fn connecting(&mut self, host: &str, address: SocketAddr) {
        self.events.push(format!("connecting {host} {address}"));
    }
    fn connected(&mut self, _remote: SocketAddr, _local: Option<SocketAddr>, _took: Duration) {
        self.events.push("connected".into());
    }
    fn request(&mut self, bytes: &[u8]) {
        self.request = bytes.to_vec();
        self.events.push("request".into());
    }
    fn received(&mut self, bytes: usize, _since_request: Duration) {
        self.events.push(format!("read {bytes}"));
    }
    fn reply_head(&mut self, head: &ReplyHead) {
        self.events.push(format!("head {}", head.status));
    }
}

#[test]
fn library_reports_each_step_to_its_observer_in_order() {
    let server = Scripted::start(1, |_| {
        vec![
            send("HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\n"),
            Step::Pause(Duration::from_millis(30)),
            send("abcdef"),
        ]
    });
    let url = client::parse_input(&server.url("/lib")).expect("url");
    let options = Options::default();
    let mut recorder = Recorder::default();
    let mut response = client::get(&url, &options, &mut recorder).expect("reply");
    assert_eq!(response.head.status, 200);
    let mut buffer = [0; 64];
    let mut body = Vec::new();
    loop {
        let count = response.body.read(&mut buffer).expect("body");
        if count == 0 {
            break;
        }
        body.extend_from_slice(&buffer[..count]);
    }
    drop(response);
    assert_eq!(body, b"abcdef");
    let target = Target::from_url(&url).expect("target");
    assert_eq!(recorder.request, client::build_request(&target, &options));
    let address = format!("connecting 127.0.0.1 127.0.0.1:{}", server.port);
    let want = [address.as_str(), "connected", "request"];
    assert_eq!(recorder.events[..3], want);
    assert!(recorder.events.contains(&"head 200".to_string()));
    assert_eq!(
        recorder.events.last().map(String::as_str),
        Some("read 6"),
        "Content-Length says when to stop: no wait for the close"
    );
}

/// RFC 9110 §15.2: a client must be able to read 1xx replies sent before the final one, even
/// unasked (HTTP/1.0 has none: RFC 1945 §9.1, but an HTTP/1.1 server may send `100 Continue`).
/// The final reply is the answer; the interim one is shown with `-v`.
#[test]
fn an_interim_1xx_reply_is_skipped_for_the_final_one() {
    let server = Scripted::once(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n\
         HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
    );
    let run = httpget(&["-v", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "hi");
    assert!(
        run.stderr.contains("< HTTP/1.1 100 Continue"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("< HTTP/1.1 200 OK"), "{}", run.stderr);
}

/// A server that sends nothing but interim replies is refused, not followed for ever.
#[test]
fn endless_interim_replies_are_a_bad_response() {
    let server = Scripted::once("HTTP/1.1 100 Continue\r\n\r\n".repeat(50));
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(8), "{}", run.stderr);
}

/// A head httparse refuses: one line, exit 8 (`tests/httpget_errors.rs` checks it names the
/// header line at fault, and `head.rs` that the line is quoted escaped once).
#[test]
fn a_bad_header_line_exits_8_with_one_line() {
    let server = Scripted::once("HTTP/1.0 200 OK\r\nX-Good: 1\r\nX-Bad: a\x1bb\r\n\r\nbody");
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(8), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

/// `http://user:password@host/`: the credentials go in an `Authorization: Basic` header (RFC
/// 1945 §11.1), base64 of `user:password` after percent-decoding, as curl and wget send them;
/// they were dropped without a word.
#[test]
fn credentials_in_the_url_are_sent_as_basic_authorization() {
    let server = Scripted::once(ok_reply(b"ok"));
    let url = format!("http://alice:s%40cret@127.0.0.1:{}/private", server.port);
    let run = httpget(&[&url]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let request = server.request();
    assert!(
        request.contains("\r\nAuthorization: Basic YWxpY2U6c0BjcmV0\r\n"),
        "{request}"
    );
    assert!(
        request.starts_with("GET /private HTTP/1.0\r\n"),
        "{request}"
    );
    assert!(!request.contains("alice@"), "{request}");
}
