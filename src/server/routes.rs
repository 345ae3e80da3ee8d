//! Deciding what to answer: the method and the path pick a handler.
//!
//! Two paths are answered by the server itself rather than from the folder — the course's
//! first two socket programs, replayed over HTTP so the same lesson works with `httpget`, curl
//! and a browser form:
//!
//! * **`/upper`** — the uppercase service. `GET /upper?text=hello%20world` answers
//!   `HELLO WORLD`. `POST /upper` takes the text from an HTML form's body
//!   (`Content-Type: application/x-www-form-urlencoded`, field `text`) or, for any other
//!   content type, the raw body. Uppercasing is Unicode's, not ASCII's: `straße` → `STRASSE`.
//! * **`/echo`** — the echo service. The body of the answer is the request exactly as it
//!   arrived: request line, headers in their order and spelling, blank line, body. It shows what
//!   a browser or curl really sends. `/echo?show=crlf` writes each CR as `\r` and each LF as
//!   `\n` (then a real line break), and any other control byte or non-UTF-8 byte as `\xNN`, so
//!   the line ends the protocol requires can be seen.
//!
//! Both answer GET, HEAD (the writer drops the body) and POST, in `text/plain; charset=utf-8`
//! with `X-Content-Type-Options: nosniff`, so a browser shows what it was sent and never runs
//! it as a page. They match on the path alone (the query is ignored for matching), take
//! precedence over files of the same name, and are off with `httpserve --no-routes`.
//!
//! A POST body is read by [`request`](super::request) before it gets here, under its rules: no
//! `Content-Length` → **411 Length Required** (RFC 1945 §7.2.2 says a request with a body must
//! carry one, and answers 400; HTTP/1.1's 411, RFC 9110 §15.5.12, names that exact fault, where
//! 400 would only say "something is wrong"); more than
//! [`MAX_BODY_BYTES`](super::request::MAX_BODY_BYTES) → 413; a body that does not arrive within
//! [`BODY_TIMEOUT`](super::BODY_TIMEOUT) → the connection is closed.
//!
//! Every other path is a file: GET and HEAD are served by [`files::serve`]. Every other method —
//! including lower-case `get`, since methods are case-sensitive (RFC 1945 §5.1.1) — is answered
//! 501 Not Implemented (§5.1.1: a method "unrecognized or not implemented" gets 501).
//!
//! Try: `curl -v --http1.0 'http://127.0.0.1:8080/upper?text=ciao%20%C3%A8'`, then
//! `curl --http1.0 -d 'text=hello+world' http://127.0.0.1:8080/upper`, then
//! `curl --http1.0 -d 'any body' 'http://127.0.0.1:8080/echo?show=crlf'`.

use std::net::SocketAddr;
use std::time::Instant;

use percent_encoding::percent_decode;

use super::error_page;
use super::file_cache::FileCache;
use super::files::{self, FileRequest, Root};
use super::request::Request;
use super::response::Response;
use super::url_path::{parse_target, redirect_authority};
use crate::headers::FORM_CONTENT_TYPE;
use crate::status::Status;

/// What the server serves: the folder, and whether the built-in routes are on.
#[derive(Debug)]
pub struct Site {
    /// The served folder.
    pub root: Root,
    /// Small files kept between requests (`None` with `--no-cache`).
    pub cache: Option<FileCache>,
    /// Whether `/upper` and `/echo` answer (they take precedence over files of those names).
    pub routes_enabled: bool,
    /// Whether names beginning with `.` are served and listed (`--show-hidden`).
    pub show_hidden: bool,
}

/// The path of the uppercase service.
pub const UPPER_PATH: &str = "/upper";
/// The path of the echo service.
pub const ECHO_PATH: &str = "/echo";

/// The one-line hint a `/upper` request without text gets.
pub const UPPER_USAGE: &str =
    "Usage: GET /upper?text=hello, or POST /upper with a form field text=hello or a raw text body.";

/// Answers one request, which had arrived in full at `arrived_at` (the file cache needs to
/// know: see [`file_cache`](super::file_cache)). `arrived_on` gives the server's own address
/// for this connection, which a redirect names when the request has no usable `Host`; it is
/// asked only then.
///
/// An error is one line of plain text, unless the request's `Accept` names `text/html` (a
/// browser): then it is a page ([`error_page`] says why).
pub fn respond(
    site: &Site,
    request: &Request,
    arrived_at: Instant,
    arrived_on: &dyn Fn() -> Option<SocketAddr>,
) -> Response {
    let response = answer(site, request, arrived_at, arrived_on);
    if response.may_become_a_page() && error_page::wants_html(request.header("Accept")) {
        response.for_html_client()
    } else {
        response
    }
}

/// [`respond`], before the error's form is chosen. The target is split and decoded once
/// ([`parse_target`]); the route picks a handler; the handler serves it.
fn answer(
    site: &Site,
    request: &Request,
    arrived_at: Instant,
    arrived_on: &dyn Fn() -> Option<SocketAddr>,
) -> Response {
    let target = parse_target(request.target());
    if let (true, Ok(target)) = (site.routes_enabled, &target) {
        match target.raw_path {
            UPPER_PATH => return route(request, target.query, upper),
            ECHO_PATH => return route(request, target.query, echo),
            _ => {}
        }
    }
    match (request.method(), target) {
        (method @ ("GET" | "HEAD"), Ok(target)) => {
            let authority = || redirect_authority(request.header("Host"), arrived_on);
            let file_request = FileRequest {
                target: &target,
                method,
                version: request.version,
                if_modified_since: request.header("If-Modified-Since"),
                authority: &authority,
            };
            let cache = site.cache.as_ref();
            files::serve(
                &site.root,
                cache,
                site.show_hidden,
                &file_request,
                arrived_at,
            )
        }
        ("GET" | "HEAD", Err(error)) => Response::error(error.status(), error.explain()),
        (method, _) => not_implemented(method, "it serves files with GET and HEAD"),
    }
}

/// Runs a route's handler for the methods the routes know; 501 for the rest.
fn route(
    request: &Request,
    query: Option<&str>,
    handler: fn(&Request, Option<&str>) -> Response,
) -> Response {
    match request.method() {
        "GET" | "HEAD" | "POST" => handler(request, query)
            // The answer repeats what the client sent: tell browsers to take the type at its
            // word, so text that looks like HTML is shown, never run.
            .with_header("X-Content-Type-Options", "nosniff"),
        _ => not_implemented(
            request.method(),
            "/upper and /echo answer GET, HEAD and POST",
        ),
    }
}

fn not_implemented(method: &str, what_works: &str) -> Response {
    Response::error(
        Status::NotImplemented,
        &format!("This server does not implement the method {method}; {what_works}."),
    )
}

/// The uppercase service: the text, in capitals, or 400 with a hint.
fn upper(request: &Request, query: Option<&str>) -> Response {
    match upper_text(request, query) {
        Ok(text) => Response::text(Status::Ok, uppercase(&text)),
        Err(error) => Response::text(Status::BadRequest, format!("{error}\n")),
    }
}

/// Unicode's full uppercase mapping: one character may become several (`ß` → `SS`).
pub fn uppercase(text: &str) -> String {
    text.to_uppercase()
}

/// Why `/upper` found no text to work on. Each is answered 400 Bad Request.
#[derive(Debug, PartialEq, Eq)]
pub enum UpperError {
    /// No `text` field in the query or form, an empty one, or an empty raw body.
    MissingText,
    /// The body, or a decoded field, is not UTF-8.
    NotUtf8,
}

impl std::fmt::Display for UpperError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpperError::MissingText => f.write_str(UPPER_USAGE),
            UpperError::NotUtf8 => f.write_str("The text is not valid UTF-8."),
        }
    }
}

/// Where `/upper` finds its text: the query for GET and HEAD; for POST, the form field or the
/// raw body, as the `Content-Type` says. Empty text (`/upper?text=`) is no text: 400 with the
/// usage line, as for a missing field.
pub fn upper_text(request: &Request, query: Option<&str>) -> Result<String, UpperError> {
    match find_upper_text(request, query) {
        Ok(text) if text.is_empty() => Err(UpperError::MissingText),
        found => found,
    }
}

fn find_upper_text(request: &Request, query: Option<&str>) -> Result<String, UpperError> {
    if request.method() != "POST" {
        return form_field(query.unwrap_or_default().as_bytes(), "text");
    }
    let content_type = request.header("Content-Type").unwrap_or_default();
    if media_type_essence(content_type) == FORM_CONTENT_TYPE {
        return form_field(&request.body, "text");
    }
    if request.body.is_empty() {
        return Err(UpperError::MissingText);
    }
    match std::str::from_utf8(&request.body) {
        Ok(text) => Ok(text.to_string()),
        Err(_) => Err(UpperError::NotUtf8),
    }
}

/// The media type without its parameters, in lower case: `Text/HTML; charset=UTF-8` →
/// `text/html` (RFC 1945 §3.6: type and subtype are case-insensitive; parameters follow `;`).
pub fn media_type_essence(content_type: &str) -> String {
    let essence = content_type.split(';').next().unwrap_or_default();
    crate::headers::trim_ows(essence).to_ascii_lowercase()
}

/// The first value of `name` in URL-encoded form data: `text=hello+w%C3%B6rld&x=1`.
///
/// The rules (HTML Living Standard and the WHATWG URL standard, "application/x-www-form-urlencoded
/// parsing"): pairs are split on `&`, name from value on the first `=`, then `+` becomes a
/// space and `%XX` becomes the byte XX. A `%` not followed by two hex digits stays as it is.
/// Written out here rather than with a lenient library parser because the result must be
/// refused, not patched with U+FFFD, when its bytes are not UTF-8.
pub fn form_field(data: &[u8], name: &str) -> Result<String, UpperError> {
    for pair in data.split(|&byte| byte == b'&') {
        let (field, value) = match pair.iter().position(|&byte| byte == b'=') {
            Some(equals) => (&pair[..equals], &pair[equals + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        if form_decode(field)? == name {
            return form_decode(value);
        }
    }
    Err(UpperError::MissingText)
}

/// `+` → space, then percent-decoding, then UTF-8.
fn form_decode(encoded: &[u8]) -> Result<String, UpperError> {
    let with_spaces: Vec<u8> = encoded
        .iter()
        .map(|&byte| if byte == b'+' { b' ' } else { byte })
        .collect();
    let bytes: Vec<u8> = percent_decode(&with_spaces).collect();
    String::from_utf8(bytes).map_err(|_| UpperError::NotUtf8)
}

/// The echo service: the request's own bytes, plain or with line ends made visible.
fn echo(request: &Request, query: Option<&str>) -> Response {
    let mut received = request.raw_head().to_vec();
    received.extend_from_slice(&request.body);
    let body = if wants_visible_line_ends(query.unwrap_or_default()) {
        show_line_ends(&received).into_bytes()
    } else {
        received
    };
    // Not `Response::text`, which takes a String: the bytes a client sent need not be UTF-8,
    // and the plain echo must return them unchanged.
    Response::new(Status::Ok)
        .with_header("Content-Type", "text/plain; charset=utf-8")
        .with_body(body)
}

/// Whether the query asks for `show=crlf`.
fn wants_visible_line_ends(query: &str) -> bool {
    matches!(form_field(query.as_bytes(), "show"), Ok(value) if value == "crlf")
}

/// The bytes as readable text: CR as `\r`, LF as `\n` followed by a real line break, tab as
/// `\t`, backslash as `\\`, any other control byte and any byte that is not part of UTF-8 text
/// as `\xNN`. Text, including non-ASCII letters, stays as it is.
pub fn show_line_ends(bytes: &[u8]) -> String {
    let mut shown = String::with_capacity(bytes.len() + bytes.len() / 8);
    for chunk in bytes.utf8_chunks() {
        for character in chunk.valid().chars() {
            match character {
                '\r' => shown.push_str("\\r"),
                '\n' => shown.push_str("\\n\n"),
                '\t' => shown.push_str("\\t"),
                '\\' => shown.push_str("\\\\"),
                c if c.is_ascii_control() => shown.push_str(&format!("\\x{:02X}", c as u32)),
                c => shown.push(c),
            }
        }
        for byte in chunk.invalid() {
            shown.push_str(&format!("\\x{byte:02X}"));
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::request::tests::parsed;
    use crate::server::response::Body;

    /// The request a client sending these lines (and a `Content-Length` for a body) makes.
    fn request(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
        let mut sent = format!("{method} {target} HTTP/1.0\r\n");
        for (name, value) in headers {
            sent.push_str(&format!("{name}: {value}\r\n"));
        }
        if method == "POST" {
            sent.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        sent.push_str("\r\n");
        let mut sent = sent.into_bytes();
        sent.extend_from_slice(body);
        parsed(&sent)
    }

    /// A site over an empty folder: whatever answers is a route, or a 404 from the files.
    fn site(routes_enabled: bool) -> (Site, tempfile::TempDir) {
        let folder = tempfile::tempdir().expect("create a temporary folder");
        let root = Root::open(folder.path()).expect("open the temporary folder");
        let site = Site {
            root,
            cache: None,
            routes_enabled,
            show_hidden: false,
        };
        (site, folder)
    }

    fn body_text(response: &Response) -> String {
        match &response.body {
            Body::Bytes(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            other => panic!("a route answers from memory, not {other:?}"),
        }
    }

    #[test]
    fn uppercasing_follows_unicode_not_ascii() {
        for (input, want) in [
            ("hello world", "HELLO WORLD"),
            ("straße", "STRASSE"),
            ("ciao è", "CIAO È"),
            ("ǆ", "Ǆ"),
            ("Grüße, 😀!", "GRÜSSE, 😀!"),
            ("", ""),
        ] {
            assert_eq!(uppercase(input), want, "{input:?}");
        }
    }

    #[test]
    fn form_fields_decode_plus_then_percent() {
        let cases: [(&[u8], Result<&str, UpperError>); 11] = [
            (b"text=hello", Ok("hello")),
            (b"text=hello+world", Ok("hello world")),
            (b"text=hello%20world", Ok("hello world")),
            (b"text=a%2Bb", Ok("a+b")),
            (b"text=stra%C3%9Fe", Ok("straße")),
            (b"x=1&text=second&text=third", Ok("second")),
            (b"text=", Ok("")),
            (b"te%78t=encoded+name", Ok("encoded name")),
            (b"text=100%", Ok("100%")),
            (b"texts=no&xtext=no", Err(UpperError::MissingText)),
            (b"text=%FF", Err(UpperError::NotUtf8)),
        ];
        for (input, want) in cases {
            let got = form_field(input, "text");
            assert_eq!(
                got,
                want.map(String::from),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        assert_eq!(form_field(b"", "text"), Err(UpperError::MissingText));
        assert_eq!(form_field(b"text", "text"), Ok(String::new()));
    }

    #[test]
    fn content_types_compare_by_essence() {
        for (input, want) in [
            (
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded",
            ),
            (
                "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
                "application/x-www-form-urlencoded",
            ),
            ("  text/plain ;charset=utf-8", "text/plain"),
            ("", ""),
        ] {
            assert_eq!(media_type_essence(input), want, "{input:?}");
        }
    }

    #[test]
    fn upper_finds_its_text_where_the_method_and_type_say() {
        let form = [("Content-Type", "application/x-www-form-urlencoded")];
        let plain = [("Content-Type", "text/plain")];
        let cases: Vec<(Request, Result<&str, UpperError>)> = vec![
            (
                request("GET", "/upper?text=hi%20there", &[], b""),
                Ok("hi there"),
            ),
            (request("HEAD", "/upper?text=hi", &[], b""), Ok("hi")),
            (
                request("GET", "/upper", &[], b""),
                Err(UpperError::MissingText),
            ),
            (
                request("GET", "/upper?", &[], b""),
                Err(UpperError::MissingText),
            ),
            (
                request("GET", "/upper?text=", &[], b""),
                Err(UpperError::MissingText),
            ),
            (
                request("POST", "/upper", &form, b"text="),
                Err(UpperError::MissingText),
            ),
            (request("POST", "/upper", &form, b"text=a+b"), Ok("a b")),
            (
                request("POST", "/upper", &plain, b"text=a+b"),
                Ok("text=a+b"),
            ),
            (request("POST", "/upper", &[], "è".as_bytes()), Ok("è")),
            (
                request("POST", "/upper", &form, b"other=1"),
                Err(UpperError::MissingText),
            ),
            (
                request("POST", "/upper", &plain, b""),
                Err(UpperError::MissingText),
            ),
            (
                request("POST", "/upper", &plain, b"\xff\xfe"),
                Err(UpperError::NotUtf8),
            ),
            // POST reads the body only; a query is not a second source of text.
            (
                request("POST", "/upper?text=q", &plain, b""),
                Err(UpperError::MissingText),
            ),
        ];
        for (input, want) in cases {
            let query =
                crate::server::url_path::split_target(input.target()).and_then(|parts| parts.query);
            let got = upper_text(&input, query);
            assert_eq!(
                got,
                want.map(String::from),
                "{} {}",
                input.method(),
                input.target()
            );
        }
    }

    #[test]
    fn line_ends_and_odd_bytes_are_made_visible() {
        for (input, want) in [
            (
                &b"GET / HTTP/1.0\r\n\r\n"[..],
                "GET / HTTP/1.0\\r\\n\n\\r\\n\n",
            ),
            (b"a\nb", "a\\n\nb"),
            (b"tab\there", "tab\\there"),
            (b"back\\slash", "back\\\\slash"),
            (b"\x00\x1b[31m\x7f", "\\x00\\x1B[31m\\x7F"),
            (b"\xff ok \xc3", "\\xFF ok \\xC3"),
            ("Grüße 😀".as_bytes(), "Grüße 😀"),
        ] {
            assert_eq!(show_line_ends(input), want, "{input:?}");
        }
    }

    #[test]
    fn routes_match_on_the_path_and_answer_three_methods() {
        let (site, _folder) = site(true);
        let cases = [
            ("GET", "/upper?text=x", 200),
            ("HEAD", "/upper?text=x", 200),
            ("POST", "/upper", 200),
            ("GET", "/upper", 400),
            ("GET", "/echo", 200),
            ("GET", "/echo?show=crlf", 200),
            ("HEAD", "/echo", 200),
            ("POST", "/echo", 200),
            ("GET", "http://example.org/echo?x", 200),
            ("PUT", "/echo", 501),
            ("DELETE", "/upper?text=x", 501),
            ("post", "/upper", 501),
            ("POST", "/index.html", 501),
            ("GET", "/upper/", 404),
            ("GET", "/echo/x", 404),
            // Neither a path nor an http URI: nothing to look up.
            ("GET", "*", 400),
            ("HEAD", "ftp://h/echo", 400),
            ("OPTIONS", "*", 501),
        ];
        for (method, target, want) in cases {
            let answer = respond(
                &site,
                &request(method, target, &[], b"body"),
                Instant::now(),
                &|| None,
            );
            assert_eq!(answer.status.code(), want, "{method} {target}");
        }
    }

    #[test]
    fn route_answers_are_plain_text_never_sniffed() {
        let (site, _folder) = site(true);
        for target in ["/upper?text=<b>", "/upper", "/echo"] {
            let answer = respond(
                &site,
                &request("GET", target, &[], b""),
                Instant::now(),
                &|| None,
            );
            assert_eq!(
                answer.header("Content-Type"),
                Some("text/plain; charset=utf-8")
            );
            assert_eq!(answer.header("X-Content-Type-Options"), Some("nosniff"));
        }
    }

    #[test]
    fn echo_returns_the_head_and_body_as_received() {
        let (site, _folder) = site(true);
        let sent = request("POST", "/echo", &[("x-ODD", "1"), ("Host", "h")], b"a\r\nb");
        let answer = respond(&site, &sent, Instant::now(), &|| None);
        let mut want = sent.raw_head().to_vec();
        want.extend_from_slice(b"a\r\nb");
        match answer.body {
            Body::Bytes(bytes) => assert_eq!(bytes, want),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn with_routes_off_the_paths_are_files_again() {
        let (site, _folder) = site(false);
        let get = respond(
            &site,
            &request("GET", "/upper?text=x", &[], b""),
            Instant::now(),
            &|| None,
        );
        assert_eq!(get.status, Status::NotFound);
        let post = respond(
            &site,
            &request("POST", "/echo", &[], b"x"),
            Instant::now(),
            &|| None,
        );
        assert_eq!(post.status, Status::NotImplemented);
        assert_ne!(body_text(&get), "X");
    }
}
