//! The client library against scripted servers on 127.0.0.1, broken one way each: which
//! `GetError` each fault is, and what it carries. In-process, so a test asserts the variant; the
//! binary's tests (`httpget_protocol.rs`) check the exit code and that the error is one line.

mod support;

use std::error::Error;
use std::time::Duration;

use http10::client::{
    self, BodyFraming, Deadline, GetError, Observer, Options, ReplyHead, Silent,
    MAX_INTERIM_REPLIES,
};
use http10::headers::LengthError;
use support::{send, Scripted, Step};

/// Fetches `url` in-process and reads the body to its end: the body, or the error that stopped
/// the exchange.
fn fetch(url: &str, options: &Options) -> Result<Vec<u8>, GetError> {
    fetch_observed(url, options, &mut Silent)
}

fn fetch_observed(
    url: &str,
    options: &Options,
    observer: &mut dyn Observer,
) -> Result<Vec<u8>, GetError> {
    let url = client::parse_input(url).expect("a valid URL");
    let mut reply = client::get(&url, options, observer)?;
    let mut body = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        match reply.body.read(&mut buffer)? {
            0 => return Ok(body),
            count => body.extend_from_slice(&buffer[..count]),
        }
    }
}

/// The error a server that sends `reply` and closes makes, with default options.
fn error_for(reply: impl AsRef<[u8]>) -> GetError {
    let server = Scripted::once(reply);
    fetch(&server.url("/"), &Options::default()).expect_err("a broken reply")
}

#[test]
fn a_status_line_that_is_not_http_is_named_with_the_line() {
    match error_for("HTTP/1.0 two-hundred OK\r\n\r\n") {
        GetError::BadStatusLine { line, source } => {
            assert_eq!(line, b"HTTP/1.0 two-hundred OK");
            assert_eq!(source, httparse::Error::Status);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_status_code_outside_100_to_599_is_named_with_the_code() {
    let error = error_for("HTTP/1.0 600 Beyond\r\n\r\n");
    assert!(
        matches!(error, GetError::StatusOutOfRange { status: 600 }),
        "{error:?}"
    );
}

#[test]
fn a_bad_header_line_is_named_not_the_status_line_before_it() {
    match error_for("HTTP/1.0 200 OK\r\nX-Good: 1\r\nX-Bad: a\x1bb\r\n\r\nbody") {
        GetError::BadHeaderLine { line, source } => {
            assert_eq!(line, b"X-Bad: a\x1bb");
            assert_eq!(source, httparse::Error::HeaderValue);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_head_cut_off_by_the_close_says_how_much_arrived() {
    let error = error_for("HTTP/1.0 200 OK\r\nContent-Le");
    assert!(
        matches!(error, GetError::TruncatedHead { received: 27 }),
        "{error:?}"
    );
}

#[test]
fn a_head_over_64_kib_is_too_large() {
    let server = Scripted::start(1, |_| {
        let mut steps = vec![send("HTTP/1.0 200 OK\r\n")];
        for _ in 0..40 {
            steps.push(send(format!("X-Padding: {}\r\n", "p".repeat(4000))));
        }
        steps
    });
    let error = fetch(&server.url("/"), &Options::default()).expect_err("too large");
    assert!(matches!(error, GetError::HeadTooLarge), "{error:?}");
}

#[test]
fn a_content_length_that_is_not_a_number_is_named() {
    let error = error_for("HTTP/1.0 200 OK\r\nContent-Length: five\r\n\r\nhello");
    match error {
        GetError::BadContentLength(LengthError::NotANumber(value)) => assert_eq!(value, "five"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_body_cut_short_of_its_content_length_says_how_much_came() {
    let error = error_for("HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..");
    assert!(
        matches!(
            error,
            GetError::TruncatedBody {
                received: 10,
                expected: Some(100)
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_chunked_body_without_its_last_chunk_is_truncated() {
    let error = error_for("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    assert!(
        matches!(
            error,
            GetError::TruncatedBody {
                received: 5,
                expected: None
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_chunk_size_that_is_not_hex_is_named_with_its_line() {
    for (body, size_line) in [("zz\r\n", &b"zz"[..]), ("+2\r\nhi\r\n0\r\n\r\n", b"+2")] {
        let reply = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{body}");
        match error_for(reply) {
            GetError::BadChunkSize { line } => assert_eq!(line, size_line),
            other => panic!("{body:?}: {other:?}"),
        }
    }
}

#[test]
fn a_chunk_longer_than_its_size_is_named() {
    let error =
        error_for("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n");
    assert!(matches!(error, GetError::ChunkLongerThanSize), "{error:?}");
}

#[test]
fn a_location_that_is_no_url_is_named_with_the_url_crates_reason() {
    let server = Scripted::once("HTTP/1.0 302 Found\r\nLocation: http://[::1/\r\n\r\n");
    let options = Options {
        follow_redirects: Some(5),
        ..Options::default()
    };
    match fetch(&server.url("/"), &options).expect_err("a bad Location") {
        GetError::BadLocation { location, source } => {
            assert_eq!(location, "http://[::1/");
            assert_eq!(source, url::ParseError::InvalidIpv6Address);
        }
        other => panic!("{other:?}"),
    }
}

/// Reports the status of each reply head it is shown.
#[derive(Default)]
struct Heads(Vec<u16>);

impl Observer for Heads {
    fn reply_head(&mut self, head: &ReplyHead) {
        self.0.push(head.status);
    }
}

/// RFC 9110 §15.2: a client passes over 1xx replies to the final one; the observer is shown
/// each (`-v` prints them).
#[test]
fn interim_replies_are_shown_then_passed_over() {
    let server = Scripted::once(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n\
         HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
    );
    let mut heads = Heads::default();
    let body = fetch_observed(&server.url("/"), &Options::default(), &mut heads).expect("reply");
    assert_eq!(body, b"hi");
    assert_eq!(heads.0, [100, 102, 200]);
}

#[test]
fn endless_interim_replies_are_refused_at_the_limit() {
    let error = error_for("HTTP/1.1 100 Continue\r\n\r\n".repeat(50));
    match error {
        GetError::TooManyInterimReplies { limit } => assert_eq!(limit, MAX_INTERIM_REPLIES),
        other => panic!("{other:?}"),
    }
}

/// RFC 1945 §7.2.2: with no `Content-Length`, the body ends when the server closes.
#[test]
fn a_body_without_content_length_is_framed_by_the_close() {
    let server = Scripted::start(1, |_| {
        vec![
            send("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst "),
            Step::Pause(Duration::from_millis(50)),
            send("second"),
        ]
    });
    let url = client::parse_input(&server.url("/")).expect("url");
    let mut observer = Silent;
    let reply = client::get(&url, &Options::default(), &mut observer).expect("reply");
    assert_eq!(reply.body.framing(), BodyFraming::UntilClose);
}

#[test]
fn a_server_that_never_answers_runs_out_the_max_time() {
    let server = Scripted::start(1, |_| vec![Step::Hang]);
    let options = Options {
        max_time: Some(Duration::from_millis(500)),
        ..Options::default()
    };
    let error = fetch(&server.url("/"), &options).expect_err("timed out");
    assert!(
        matches!(error, GetError::Timeout(Deadline::MaxTime { .. })),
        "{error:?}"
    );
}

#[test]
fn a_head_dribbled_past_the_head_timeout_names_that_limit() {
    let server = Scripted::start(1, |_| {
        let mut steps = Vec::new();
        for &byte in b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi" {
            steps.push(Step::Pause(Duration::from_millis(100)));
            steps.push(send([byte]));
        }
        steps
    });
    let limit = Duration::from_millis(500);
    let options = Options {
        head_timeout: limit,
        ..Options::default()
    };
    let error = fetch(&server.url("/"), &options).expect_err("timed out");
    assert!(
        matches!(error, GetError::Timeout(Deadline::Head { limit: got }) if got == limit),
        "{error:?}"
    );
}

/// A variant that wraps another error gives it as its `source()`, for a program to look at;
/// one whose fault is the reply's own has none.
#[test]
fn errors_with_a_cause_give_it_as_their_source() {
    let bad_status = error_for("HTTP/1.0 two-hundred OK\r\n\r\n");
    let cause = bad_status.source().expect("a cause");
    assert_eq!(
        cause.downcast_ref::<httparse::Error>(),
        Some(&httparse::Error::Status)
    );
    let bad_length = error_for("HTTP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    let cause = bad_length.source().expect("a cause");
    assert_eq!(
        cause.downcast_ref::<LengthError>(),
        Some(&LengthError::Conflicting)
    );
    let truncated = error_for("HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\nshort");
    assert!(truncated.source().is_none(), "{truncated:?}");
}
