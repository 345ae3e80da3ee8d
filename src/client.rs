//! The GET client behind `httpget`: one URL in, one reply out, every step visible.
//!
//! The exchange, in the order the code does it (one file each, under `src/client/`):
//!
//! 1. [`target`] — parse the URL with the `url` crate and work out host, port, `Request-URI` and
//!    `Host` header. Only `http://`: TLS is another course.
//! 2. `connect.rs` — resolve the name, try each address with a timeout.
//! 3. [`build`] — build the request bytes, in one function ([`build_request`]); `send_request` writes
//!    them in pieces, looking between pieces for an answer that came early (a server refusing a
//!    body, RFC 9112 §9.5), so that the answer is read rather than lost to a broken pipe.
//! 4. [`head`] — read the reply's status line and headers under a size cap and a deadline, parse
//!    them with `httparse` ([`parse_reply_head`]).
//! 5. [`body`] — frame the body: `Content-Length`, chunked ([`chunked`]), or until the server
//!    closes.
//! 6. [`redirect`] — with `-L`, the redirect rule ([`next_hop`]) picks the next URL (RFC 1945
//!    §9.3).
//!
//! [`get`] runs those steps. It never prints: what happens is reported to an [`Observer`] — the
//! [`narrate`] module prints it for `httpget -v` and the prompt, a test records it. What
//! `httpget` does with a reply is here too: [`download`] (one-shot mode: body to stdout or a
//! file, with [`progress`]), [`prompt`] (interactive mode) and [`show`] (a body on a terminal).
//! Every limit is a constant or an [`Options`] field, and each failure is a [`GetError`] with a
//! sentence and curl's exit code.
//!
//! Used from a program, the whole client is:
//!
//! ```no_run
//! use http10::client::{self, Options, Silent};
//!
//! let url = client::parse_input("127.0.0.1:8080/index.html")?;
//! let mut observer = Silent; // or your own Observer, to see each step
//! let mut reply = client::get(&url, &Options::default(), &mut observer)?;
//! println!("{} {}", reply.head.status, reply.head.reason);
//! let mut buffer = vec![0; client::BODY_BUFFER_BYTES];
//! loop {
//!     let count = reply.body.read(&mut buffer)?;
//!     if count == 0 {
//!         break; // the body is complete
//!     }
//!     // … use &buffer[..count] …
//! }
//! # Ok::<(), client::GetError>(())
//! ```
//!
//! Try: `httpget -v --trace-reads http://127.0.0.1:8080/` and compare with
//! `curl -v --http1.0 http://127.0.0.1:8080/`.

pub mod basic_auth;
pub mod body;
pub mod build;
pub mod cancel;
pub mod chunked;
pub mod cli;
mod connect;
pub mod download;
pub mod error;
pub mod form_data;
pub mod head;
pub mod narrate;
pub mod progress;
pub mod prompt;
pub mod redirect;
pub mod show;
pub mod target;
pub mod timing;
pub mod transfer;
mod wire;
pub mod write_out;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use url::Url;

pub use body::{framing, BodyFraming, ReplyBody};
pub use build::{
    build_request, head_length, parse_header_arg, parse_header_value, parse_method_arg, Method,
};
pub use cancel::Cancel;
pub use chunked::{parse_chunk_size, MAX_CHUNK_LINE_BYTES};
pub use error::{Deadline, GetError};
pub use form_data::{form_body, DataArg, FORM_CONTENT_TYPE};
pub use head::{
    parse_reply_head, Parsed, ReplyHead, ReplyVersion, MAX_REPLY_HEADERS, MAX_REPLY_HEAD_BYTES,
};
pub use redirect::{
    headers_for_hop, method_after_redirect, next_hop, same_origin, NextHop, RedirectChain,
    CREDENTIAL_HEADERS, MAX_REDIRECTS,
};
pub use show::{is_binary, TerminalText};
pub use target::{
    parse_input, parse_input_with_star, remote_file_name, star_from_env, star_url, Target,
    DEFAULT_PORT, DEFAULT_URL, STAR_VARIABLE,
};
pub use timing::{Step, Timings};

use wire::Wire;

/// How long to wait for a TCP connection (name lookup included) before giving up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait without receiving a single byte before giving up. Unlike curl, which waits
/// forever by default, a lesson must not hang on a silent server.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the whole reply head (status line and headers) may take to arrive, from the
/// request. The idle timeout alone is per byte: a server sending one byte every few seconds
/// could hold the client for ever.
pub const REPLY_HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// The buffer a body is copied through: large reads mean few system calls, and the memory used
/// is this, whatever the size of the download.
pub const BODY_BUFFER_BYTES: usize = 256 * 1024;

/// Which IP versions to connect over (`-4`, `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    /// Whatever the resolver returns.
    Any,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

/// What to send and how long to wait.
#[derive(Debug, Clone)]
pub struct Options {
    /// GET, HEAD for `-I`, POST when there is a body.
    pub method: Method,
    /// `-X`: the word to put in the request line instead of the method's own name.
    pub method_name: Option<String>,
    /// The request body (`-d` and its kin), sent after the head with its `Content-Length`.
    pub body: Option<Vec<u8>>,
    /// The `User-Agent` header's value.
    pub user_agent: String,
    /// Extra headers (`-H`): a name equal to a default header replaces it, an empty value
    /// removes it.
    pub headers: Vec<(String, String)>,
    /// Time allowed to resolve and connect.
    pub connect_timeout: Duration,
    /// Time allowed without receiving a byte.
    pub idle_timeout: Duration,
    /// Time allowed for the reply's whole head to arrive (`--head-timeout`).
    pub head_timeout: Duration,
    /// Time allowed for the whole transfer (`-m`), if limited.
    pub max_time: Option<Duration>,
    /// Which IP versions to use.
    pub family: IpFamily,
    /// `Some(limit)` follows up to `limit` redirects (`-L`); `None` returns the 3xx reply.
    pub follow_redirects: Option<usize>,
    /// `--location-trusted`: send `Authorization` and `Cookie` from `-H` to every host a
    /// redirect leads to, not only to the first URL's.
    pub location_trusted: bool,
    /// `--http0.9`: take a reply without a status line as an HTTP/0.9 body instead of refusing
    /// it as [`GetError::NotHttp`].
    pub allow_http09: bool,
    /// What `*` stands for in a typed URL: [`DEFAULT_URL`], or the server `HTTPGET_STAR` names
    /// ([`star_url`]).
    pub star: String,
    /// A flag that stops the fetch when raised (Ctrl+C at the prompt); [`Cancel::never`] in
    /// one-shot mode.
    pub cancel: Cancel,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            method: Method::Get,
            method_name: None,
            body: None,
            user_agent: format!("httpget/{}", env!("CARGO_PKG_VERSION")),
            headers: Vec::new(),
            connect_timeout: CONNECT_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            head_timeout: REPLY_HEAD_TIMEOUT,
            max_time: None,
            family: IpFamily::Any,
            follow_redirects: None,
            star: DEFAULT_URL.to_string(),
            location_trusted: false,
            allow_http09: false,
            cancel: Cancel::never(),
        }
    }
}

/// Hears about each step of an exchange. Every method does nothing by default, so an observer
/// implements only what it shows.
pub trait Observer {
    /// About to connect to `address` (one of `host`'s addresses).
    fn connecting(&mut self, _host: &str, _address: SocketAddr) {}
    /// The TCP connection to `remote` is open, from `local` (this computer's address and port,
    /// which the server's log names).
    fn connected(&mut self, _remote: SocketAddr, _local: Option<SocketAddr>, _took: Duration) {}
    /// A request for `url` begins `at`: the first, or the next after a redirect.
    fn hop(&mut self, _url: &Url, _at: Instant) {}
    /// The exchange reached `step` `at` (the moments `-w` and the timing view report).
    fn reached(&mut self, _step: Step, _at: Instant) {}
    /// The request went out: `bytes` bytes, head and body.
    fn sent(&mut self, _bytes: usize) {}
    /// These exact bytes are about to be sent.
    fn request(&mut self, _bytes: &[u8]) {}
    /// One `read()` returned `bytes` bytes, `since_request` after the request was sent.
    fn received(&mut self, _bytes: usize, _since_request: Duration) {}
    /// A reply's head arrived (once per hop when following redirects).
    fn reply_head(&mut self, _head: &ReplyHead) {}
    /// Something worth knowing: leniency used, a redirect followed, how the body is framed.
    fn note(&mut self, _text: &str) {}
}

/// An observer that shows nothing.
#[derive(Debug, Default)]
pub struct Silent;

impl Observer for Silent {}

/// A reply whose head has been read; the body is read by the caller from [`Reply::body`].
pub struct Reply<'o> {
    /// The URL this reply answers (after any redirects).
    pub url: Url,
    /// The status line and headers.
    pub head: ReplyHead,
    /// The heads of the redirect replies followed to get here, in order (empty without `-L`).
    pub redirects: Vec<ReplyHead>,
    /// The body, still on the wire.
    pub body: ReplyBody<'o>,
}

impl<'o> Reply<'o> {
    /// Gives the observer back, for the next hop of a redirect chain.
    fn into_observer(self) -> &'o mut dyn Observer {
        self.body.wire.observer
    }
}

/// Fetches `url`: connects, sends the request, reads the head, and follows redirects when
/// [`Options::follow_redirects`] says so. The body is left for the caller to read.
pub fn get<'o>(
    url: &Url,
    options: &Options,
    observer: &'o mut dyn Observer,
) -> Result<Reply<'o>, GetError> {
    let deadline = options.max_time.map(|limit| Instant::now() + limit);
    let first = url.clone();
    let mut url = url.clone();
    let mut chain = RedirectChain::new(&url, options.follow_redirects.unwrap_or(0));
    let mut observer = observer;
    let mut redirects = Vec::new();
    // What changes from one hop to the next: the method, and with it the body.
    let mut hop = options.clone();
    loop {
        observer.hop(&url, Instant::now());
        let target = Target::from_url(&url)?;
        let mut reply = exchange(&target, &hop, deadline, observer)?;
        let next = match options.follow_redirects {
            None => NextHop::Arrived,
            Some(_) => next_hop(&url, &reply.head)?,
        };
        let next = match next {
            NextHop::To(next) => next,
            NextHop::Arrived => {
                reply.redirects = redirects;
                return Ok(reply);
            }
            NextHop::MissingLocation => {
                reply
                    .body
                    .wire
                    .note("a redirect without a Location header: nothing to follow");
                reply.redirects = redirects;
                return Ok(reply);
            }
        };
        chain.step(&next)?;
        let status = reply.head.status;
        redirects.push(reply.head.clone());
        observer = reply.into_observer();
        let method = method_after_redirect(status, hop.method);
        if method != hop.method {
            observer.note(&format!(
                "a {status} after a POST: the next request is a GET, without the body"
            ));
            hop.method = method;
            hop.method_name = None;
            hop.body = None;
        }
        observer.note(&format!("following the redirect to {next}"));
        let (headers, dropped) =
            headers_for_hop(&options.headers, &first, &next, options.location_trusted);
        if !dropped.is_empty() {
            observer.note(&format!(
                "{next} is on another server: not sending {} (--location-trusted would)",
                dropped.join(", ")
            ));
        }
        hop.headers = headers;
        url = next;
    }
}

/// One request and the head of its reply, on a new connection: HTTP/1.0 uses one connection per
/// request (RFC 1945 §1.3).
fn exchange<'o>(
    target: &Target,
    options: &Options,
    deadline: Option<Instant>,
    observer: &'o mut dyn Observer,
) -> Result<Reply<'o>, GetError> {
    let stream = connect::open(
        target,
        options.family,
        options.connect_timeout,
        deadline,
        &options.cancel,
        observer,
    )?;

    let request = build_request(target, options);
    let head_end = head_length(&request);
    observer.reached(Step::Pretransfer, Instant::now());
    observer.request(&request[..head_end]);
    if head_end < request.len() {
        observer.note(&format!(
            "the head is followed by {} body bytes",
            request.len() - head_end
        ));
    }
    let sent = send_request(&stream, &request, options.idle_timeout)?;
    observer.reached(Step::Sent, Instant::now());
    observer.sent(sent);
    if sent < request.len() {
        observer.note(&format!(
            "the server answered after {} of the {} body bytes: stopped sending the rest \
             (RFC 9112 §9.5)",
            sent.saturating_sub(head_end),
            request.len() - head_end
        ));
    }

    let mut wire = Wire::new(
        stream,
        deadline,
        options.idle_timeout,
        options.cancel.clone(),
        observer,
    );
    wire.set_head_limit(Some(options.head_timeout));
    let (head, rest) = read_final_head(&mut wire, options.allow_http09)?;
    wire.set_head_limit(None);
    wire.observer.reply_head(&head);
    note_leniency(&mut wire, &head);
    let framing = framing(options.method, &head)?;
    match framing {
        BodyFraming::Chunked => wire.note(
            "the body is chunked (Transfer-Encoding, HTTP/1.1): decoding it, \
             though an HTTP/1.0 client should not be sent it",
        ),
        BodyFraming::UntilClose if head.header("Transfer-Encoding").is_some() => wire.note(
            "Transfer-Encoding does not end with chunked: the body ends when the server \
             closes the connection (RFC 9112 §6.3)",
        ),
        BodyFraming::UntilClose if head.version != ReplyVersion::Http09 => wire.note(
            "no Content-Length: the body ends when the server closes the connection \
             (RFC 1945 §7.2.2)",
        ),
        _ => {}
    }
    Ok(Reply {
        url: target.url.clone(),
        head,
        redirects: Vec::new(),
        body: ReplyBody::new(wire, framing, rest),
    })
}

/// Reads the reply's head, passing over interim replies (1xx) on the way, and returns it with
/// the bytes read past it.
///
/// HTTP/1.0 defines no 1xx replies (RFC 1945 §9.1), but an HTTP/1.1 server may send one
/// (`100 Continue`) before the final reply, and a client must be able to read and pass them
/// (RFC 9110 §15.2); `-v` shows each. 101 is not one of them: it answers an Upgrade, which we
/// never ask for.
fn read_final_head(
    wire: &mut Wire<'_>,
    allow_http09: bool,
) -> Result<(ReplyHead, Vec<u8>), GetError> {
    let (mut head, mut rest) = head::read_reply_head(wire, allow_http09, Vec::new())?;
    let mut interim = 0;
    while (100..200).contains(&head.status) && head.status != 101 {
        interim += 1;
        if interim > MAX_INTERIM_REPLIES {
            return Err(GetError::TooManyInterimReplies {
                limit: MAX_INTERIM_REPLIES,
            });
        }
        wire.observer.reply_head(&head);
        wire.note("an interim 1xx reply (HTTP/1.1): the final one follows (RFC 9110 §15.2)");
        (head, rest) = head::read_reply_head(wire, false, rest)?;
    }
    Ok((head, rest))
}

/// How many bytes of a request are written between two looks for an early answer.
const SEND_PIECE: usize = 64 * 1024;

/// How many interim (1xx) replies may come before the final one.
pub const MAX_INTERIM_REPLIES: usize = 10;

/// Sends the request, and returns how many of its bytes went: all of them, unless the server
/// answered first. A server that stops reading cannot make us wait for ever.
///
/// A server may refuse a body while it arrives (413, too large) and stop reading it. So a
/// client sending a body "SHOULD monitor the network connection for an error response while
/// it is transmitting the request", and stop sending when one comes (RFC 9112 §9.5): between
/// pieces we look, without waiting, whether any answer is there. Without that look, the
/// server would close with our bytes still arriving, and the answer would be lost to a
/// "Broken pipe".
fn send_request(
    mut stream: &std::net::TcpStream,
    request: &[u8],
    timeout: Duration,
) -> Result<usize, GetError> {
    use std::io::Write;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(GetError::Send)?;
    let mut sent = 0;
    for piece in request.chunks(SEND_PIECE) {
        match stream.write_all(piece) {
            Ok(()) => sent += piece.len(),
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(GetError::Timeout(Deadline::Send { limit: timeout }))
            }
            // The server closed while we sent: if it answered first, that answer is the news.
            Err(_) if sent > 0 && server_has_answered(stream) => return Ok(sent),
            Err(error) => return Err(GetError::Send(error)),
        }
        if sent < request.len() && server_has_answered(stream) {
            return Ok(sent);
        }
    }
    Ok(sent)
}

/// Whether the server has sent something (or closed) already, looked at without waiting.
fn server_has_answered(stream: &std::net::TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut first_byte = [0; 1];
    let answered = match stream.peek(&mut first_byte) {
        Ok(_) => true, // bytes, or the end (0): either way, the answer is there to read
        Err(error) => error.kind() != std::io::ErrorKind::WouldBlock,
    };
    let _ = stream.set_nonblocking(false);
    answered
}

/// Says when the reply needed a tolerant reading (RFC 1945 Appendix B).
fn note_leniency(wire: &mut Wire<'_>, head: &ReplyHead) {
    if head.version == ReplyVersion::Http11 {
        wire.note("the server answered HTTP/1.1 to our HTTP/1.0 request: fine, it reads the same");
    }
    let bare_lf = head
        .raw
        .iter()
        .enumerate()
        .any(|(index, &byte)| byte == b'\n' && (index == 0 || head.raw[index - 1] != b'\r'));
    if bare_lf {
        wire.note("the head's lines end in a bare LF instead of CR LF: accepted");
    }
}
