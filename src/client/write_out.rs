//! `httpget -w FORMAT` (`--write-out`): curl's variables, with curl's names and meanings, printed
//! after each transfer, so that a student can swap `curl -w` for `httpget -w` and back.
//!
//! The format is text with variables in it, read by [`WriteOut::parse`] as curl reads it:
//!
//! * `%{name}` — a variable ([`VARIABLES`]): `%{http_code}`, `%{time_total}`, … `%{json}` is
//!   all of them as one JSON object.
//! * `%header{name}` — that header of the last reply (the first, if several).
//! * `%{stderr}`, `%{stdout}` — the rest of the output goes to that stream.
//! * `%%` is `%`; `\n`, `\r`, `\t` are a line feed, a carriage return, a tab. Anything else
//!   (`%x`, `\x`, a `%{` never closed) is printed as it stands.
//! * An unknown `%{name}` prints nothing, and a warning on stderr (curl's
//!   `unknown --write-out variable: 'name'`).
//!
//! `-w @FILE` reads the format from a file, `-w @-` from stdin ([`WriteOut::from_arg`]).
//!
//! Times are seconds since the transfer started, with six decimals (`0.001234`), and
//! cumulative (`timing.rs` says how, with `-L` too). Try:
//! `httpget -o /dev/null -w '%{time_connect} %{time_starttransfer} %{time_total}\n' URL`
//! beside the same `curl -w`.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use super::head::ReplyVersion;
use super::timing::Step;
use super::transfer::Transfer;
use super::GetError;

/// A variable of `%{name}`, as curl names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variable {
    /// The reply's `Content-Type`.
    ContentType,
    /// The error's message, empty on success.
    ErrorMessage,
    /// The exit code.
    ExitCode,
    /// The status code of the last reply, `000` if none came.
    HttpCode,
    /// The last reply's version: `1` for HTTP/1.0 (as curl prints it), `1.1`, `0.9`; `0` if none.
    HttpVersion,
    /// This computer's address on the last connection.
    LocalIp,
    /// This computer's port on the last connection.
    LocalPort,
    /// How many connections were made.
    NumConnects,
    /// How many redirects were followed.
    NumRedirects,
    /// The server's address on the last connection.
    RemoteIp,
    /// The server's port on the last connection.
    RemotePort,
    /// The status code, again (curl's other name for it).
    ResponseCode,
    /// Body bytes received.
    SizeDownload,
    /// Head bytes received, every reply's.
    SizeHeader,
    /// Bytes sent, every request's.
    SizeRequest,
    /// Body bytes per second over the whole transfer.
    SpeedDownload,
    /// Seconds to the TCP connection.
    TimeConnect,
    /// Seconds to the name's addresses.
    TimeNamelookup,
    /// Seconds to just before the request went.
    TimePretransfer,
    /// Seconds spent on the redirects before the last request.
    TimeRedirect,
    /// Seconds to the reply's first byte.
    TimeStarttransfer,
    /// Seconds in all.
    TimeTotal,
    /// The URL given.
    Url,
    /// The URL of the last request.
    UrlEffective,
    /// All of the above as one JSON object.
    Json,
}

/// Every `%{name}` httpget knows, in the alphabetical order of curl's table (and of its
/// `%{json}` object, which lists them all but `json`).
pub const VARIABLES: [(&str, Variable); 25] = [
    ("content_type", Variable::ContentType),
    ("errormsg", Variable::ErrorMessage),
    ("exitcode", Variable::ExitCode),
    ("http_code", Variable::HttpCode),
    ("http_version", Variable::HttpVersion),
    ("json", Variable::Json),
    ("local_ip", Variable::LocalIp),
    ("local_port", Variable::LocalPort),
    ("num_connects", Variable::NumConnects),
    ("num_redirects", Variable::NumRedirects),
    ("remote_ip", Variable::RemoteIp),
    ("remote_port", Variable::RemotePort),
    ("response_code", Variable::ResponseCode),
    ("size_download", Variable::SizeDownload),
    ("size_header", Variable::SizeHeader),
    ("size_request", Variable::SizeRequest),
    ("speed_download", Variable::SpeedDownload),
    ("time_connect", Variable::TimeConnect),
    ("time_namelookup", Variable::TimeNamelookup),
    ("time_pretransfer", Variable::TimePretransfer),
    ("time_redirect", Variable::TimeRedirect),
    ("time_starttransfer", Variable::TimeStarttransfer),
    ("time_total", Variable::TimeTotal),
    ("url", Variable::Url),
    ("url_effective", Variable::UrlEffective),
];

/// Which stream the output goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output, where it starts.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One piece of a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text printed as it stands (escapes already turned into their characters).
    Text(String),
    /// `%{name}`.
    Variable(Variable),
    /// `%header{name}`.
    Header(String),
    /// `%{name}` with a name httpget does not know: nothing, and a warning.
    Unknown(String),
    /// `%{stdout}` or `%{stderr}`: the rest goes there.
    SwitchTo(Stream),
}

/// A parsed `-w` format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOut {
    /// The format's pieces, in order.
    pub pieces: Vec<Piece>,
}

/// A variable's value, printed one way in text and another in JSON.
enum Value {
    /// A string: as is in text, quoted and escaped in JSON.
    Text(String),
    /// A string that may be absent: empty in text, `null` in JSON.
    Maybe(Option<String>),
    /// A count.
    Number(u64),
    /// A status code: three digits in text (`000` when no reply came), a number in JSON.
    Code(u64),
    /// Seconds, six decimals.
    Seconds(f64),
}

impl WriteOut {
    /// The format given with `-w`: `@FILE` reads it from a file, `@-` from stdin, anything
    /// else is the format itself.
    pub fn from_arg(arg: &str) -> Result<WriteOut, GetError> {
        let Some(path) = arg.strip_prefix('@') else {
            return Ok(WriteOut::parse(arg));
        };
        let mut text = String::new();
        let read = if path == "-" {
            io::stdin().read_to_string(&mut text)
        } else {
            std::fs::File::open(path).and_then(|mut file| file.read_to_string(&mut text))
        };
        match read {
            Ok(_) => Ok(WriteOut::parse(&text)),
            Err(source) => Err(GetError::ReadFormat {
                path: PathBuf::from(path),
                source,
            }),
        }
    }

    /// Reads a format as curl does: every byte that is not a variable or an escape is text.
    pub fn parse(format: &str) -> WriteOut {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = format;
        while let Some(c) = rest.chars().next() {
            rest = &rest[c.len_utf8()..];
            match c {
                '%' if rest.starts_with('%') => {
                    text.push('%');
                    rest = &rest[1..];
                }
                '%' => match variable_at(rest) {
                    Some((piece, after)) => {
                        if !text.is_empty() {
                            pieces.push(Piece::Text(std::mem::take(&mut text)));
                        }
                        pieces.push(piece);
                        rest = after;
                    }
                    None => text.push('%'),
                },
                '\\' => {
                    let escaped = match rest.chars().next() {
                        Some('n') => Some('\n'),
                        Some('r') => Some('\r'),
                        Some('t') => Some('\t'),
                        _ => None,
                    };
                    match (escaped, rest.chars().next()) {
                        (Some(escaped), _) => {
                            text.push(escaped);
                            rest = &rest[1..];
                        }
                        // curl prints an unknown escape whole, both characters.
                        (None, Some(next)) => {
                            text.push('\\');
                            text.push(next);
                            rest = &rest[next.len_utf8()..];
                        }
                        (None, None) => text.push('\\'),
                    }
                }
                other => text.push(other),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        WriteOut { pieces }
    }

    /// Prints the format for `transfer`: to `stdout` until a `%{stderr}` says otherwise.
    /// Warnings about unknown variables go to `stderr`. A failed write is ignored, as the
    /// transfer itself is over.
    pub fn write(&self, transfer: &Transfer, stdout: &mut dyn Write, stderr: &mut dyn Write) {
        let mut to = Stream::Stdout;
        for piece in &self.pieces {
            let text = match piece {
                Piece::Text(text) => text.clone(),
                Piece::Variable(Variable::Json) => json(transfer),
                Piece::Variable(variable) => text_of(value(*variable, transfer)),
                Piece::Header(name) => header(transfer, name),
                Piece::Unknown(name) => {
                    let _ = writeln!(stderr, "httpget: unknown --write-out variable: '{name}'");
                    continue;
                }
                Piece::SwitchTo(stream) => {
                    to = *stream;
                    continue;
                }
            };
            let _ = match to {
                Stream::Stdout => stdout.write_all(text.as_bytes()),
                Stream::Stderr => stderr.write_all(text.as_bytes()),
            };
        }
        let _ = stdout.flush();
    }
}

/// The variable after a `%` (`{name}` or `header{name}`) and what follows it, or `None` when
/// `rest` holds no closed one: then the `%` is text.
fn variable_at(rest: &str) -> Option<(Piece, &str)> {
    if let Some(after) = rest.strip_prefix("header{") {
        let (name, after) = after.split_once('}')?;
        return Some((Piece::Header(name.to_string()), after));
    }
    let (name, after) = rest.strip_prefix('{')?.split_once('}')?;
    let piece = match name {
        "stdout" => Piece::SwitchTo(Stream::Stdout),
        "stderr" => Piece::SwitchTo(Stream::Stderr),
        _ => match VARIABLES.iter().find(|(known, _)| *known == name) {
            Some((_, variable)) => Piece::Variable(*variable),
            None => Piece::Unknown(name.to_string()),
        },
    };
    Some((piece, after))
}

/// The value of `variable` for `transfer`.
fn value(variable: Variable, transfer: &Transfer) -> Value {
    let head = transfer.head.as_ref();
    let timings = &transfer.timings;
    let seconds = |step| Value::Seconds(timings.seconds(step));
    let status = head.map_or(0, |head| u64::from(head.status));
    match variable {
        Variable::ContentType => Value::Maybe(
            head.and_then(|head| head.header("Content-Type"))
                .map(|value| crate::headers::trim_ows(value).to_string()),
        ),
        Variable::ErrorMessage => Value::Maybe(transfer.error.clone()),
        Variable::ExitCode => Value::Number(u64::from(transfer.exit_code)),
        Variable::HttpCode | Variable::ResponseCode => Value::Code(status),
        Variable::HttpVersion => Value::Text(
            match head.map(|head| head.version) {
                None => "0",
                Some(ReplyVersion::Http09) => "0.9",
                Some(ReplyVersion::Http10) => "1",
                Some(ReplyVersion::Http11) => "1.1",
            }
            .to_string(),
        ),
        Variable::LocalIp => Value::Text(ip(transfer.local)),
        Variable::LocalPort => Value::Number(port(transfer.local)),
        Variable::NumConnects => Value::Number(transfer.connects),
        Variable::NumRedirects => Value::Number(timings.hops().saturating_sub(1) as u64),
        Variable::RemoteIp => Value::Text(ip(transfer.remote)),
        Variable::RemotePort => Value::Number(port(transfer.remote)),
        Variable::SizeDownload => Value::Number(transfer.size_download),
        Variable::SizeHeader => Value::Number(transfer.size_header),
        Variable::SizeRequest => Value::Number(transfer.size_request),
        Variable::SpeedDownload => {
            let total = timings.total_seconds();
            let speed = if total > 0.0 {
                (transfer.size_download as f64 / total) as u64
            } else {
                0
            };
            Value::Number(speed)
        }
        Variable::TimeConnect => seconds(Step::Connected),
        Variable::TimeNamelookup => seconds(Step::Resolved),
        Variable::TimePretransfer => seconds(Step::Pretransfer),
        Variable::TimeRedirect => Value::Seconds(timings.redirect_seconds()),
        Variable::TimeStarttransfer => seconds(Step::FirstByte),
        Variable::TimeTotal => Value::Seconds(timings.total_seconds()),
        Variable::Url => Value::Text(
            transfer
                .url
                .as_ref()
                .map_or(String::new(), |u| u.to_string()),
        ),
        Variable::UrlEffective => Value::Text(
            transfer
                .url_effective
                .as_ref()
                .map_or(String::new(), |url| url.to_string()),
        ),
        // All of them at once is `json`, handled by the caller.
        Variable::Json => Value::Text(String::new()),
    }
}

fn ip(address: Option<std::net::SocketAddr>) -> String {
    address.map_or(String::new(), |address| address.ip().to_string())
}

fn port(address: Option<std::net::SocketAddr>) -> u64 {
    address.map_or(0, |address| u64::from(address.port()))
}

fn text_of(value: Value) -> String {
    match value {
        Value::Text(text) | Value::Maybe(Some(text)) => text,
        Value::Maybe(None) => String::new(),
        Value::Number(number) => number.to_string(),
        Value::Code(code) => format!("{code:03}"),
        Value::Seconds(seconds) => format!("{seconds:.6}"),
    }
}

/// `%header{name}`: the last reply's first header of that name, as curl prints it (curl asks
/// its header API for occurrence 0).
fn header(transfer: &Transfer, name: &str) -> String {
    match transfer.head.as_ref().and_then(|head| head.header(name)) {
        Some(value) => crate::headers::trim_ows(value).to_string(),
        None => String::new(),
    }
}

/// `%{json}`: every variable as one JSON object, in curl's order, numbers bare and strings
/// escaped; what is not known is `null`.
fn json(transfer: &Transfer) -> String {
    let mut object = String::from("{");
    for (name, variable) in VARIABLES {
        if variable == Variable::Json {
            continue;
        }
        let value = match value(variable, transfer) {
            Value::Text(text) | Value::Maybe(Some(text)) => json_string(&text),
            Value::Maybe(None) => "null".to_string(),
            Value::Number(number) | Value::Code(number) => number.to_string(),
            Value::Seconds(seconds) => format!("{seconds:.6}"),
        };
        object.push_str(&format!("\"{name}\":{value},"));
    }
    // curl ends with its own version; httpget names itself the same way.
    object.push_str(&format!(
        "\"httpget_version\":\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    ));
    object
}

/// A JSON string (RFC 8259 §7): `"` and `\` escaped, and every control character below
/// U+0020, which "MUST be escaped" — the usual ones by their short forms, the rest as `\u00XX`.
pub fn json_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '\u{8}' => quoted.push_str("\\b"),
            '\u{c}' => quoted.push_str("\\f"),
            c if c < ' ' => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::head::ReplyHead;
    use std::time::{Duration, Instant};

    fn text(text: &str) -> Piece {
        Piece::Text(text.to_string())
    }

    #[test]
    fn the_format_is_read_as_curl_reads_it() {
        use Piece::{Header, SwitchTo, Unknown, Variable as Var};
        for (format, want) in [
            ("", vec![]),
            ("plain", vec![text("plain")]),
            ("%{http_code}\\n", vec![Var(Variable::HttpCode), text("\n")]),
            (
                "a%{time_total}b",
                vec![text("a"), Var(Variable::TimeTotal), text("b")],
            ),
            ("\\t\\r\\n", vec![text("\t\r\n")]),
            // curl prints an unknown escape as both characters, and `\\` too.
            ("\\x \\\\r \\", vec![text("\\x \\\\r \\")]),
            ("100%% %x %", vec![text("100% %x %")]),
            // A brace never closed is text.
            ("%{http_code", vec![text("%{http_code")]),
            ("%{", vec![text("%{")]),
            ("%header{", vec![text("%header{")]),
            (
                "%header{Content-Type}%header{}",
                vec![Header("Content-Type".to_string()), Header(String::new())],
            ),
            (
                "%{nope}%{json}",
                vec![Unknown("nope".to_string()), Var(Variable::Json)],
            ),
            (
                "%{stderr}e%{stdout}o",
                vec![
                    SwitchTo(Stream::Stderr),
                    text("e"),
                    SwitchTo(Stream::Stdout),
                    text("o"),
                ],
            ),
            ("é%{url}ü", vec![text("é"), Var(Variable::Url), text("ü")]),
        ] {
            assert_eq!(WriteOut::parse(format).pieces, want, "{format:?}");
        }
    }

    #[test]
    fn every_variable_is_named_once_in_alphabetical_order() {
        for pair in VARIABLES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} {:?}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn json_strings_escape_what_rfc_8259_section_7_says_must_be() {
        for (input, want) in [
            ("plain", "\"plain\""),
            ("a\"b\\c", "\"a\\\"b\\\\c\""),
            ("\n\r\t\u{8}\u{c}", "\"\\n\\r\\t\\b\\f\""),
            ("\u{0}\u{1f}", "\"\\u0000\\u001f\""),
            ("/é\u{7f}", "\"/é\u{7f}\""),
        ] {
            assert_eq!(json_string(input), want, "{input:?}");
        }
    }

    fn a_transfer() -> Transfer {
        let raw = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\nx-a: 2\r\n\r\n";
        let head = ReplyHead {
            version: ReplyVersion::Http10,
            status: 200,
            reason: "OK".to_string(),
            headers: vec![
                ("Content-Type".to_string(), "text/plain".to_string()),
                ("X-A".to_string(), "1".to_string()),
                ("x-a".to_string(), "2".to_string()),
            ],
            raw: raw.to_vec(),
        };
        let start = Instant::now();
        let mut transfer = Transfer {
            url: url::Url::parse("http://h:81/a").ok(),
            url_effective: url::Url::parse("http://h:81/b\"").ok(),
            remote: Some("127.0.0.1:81".parse().expect("address")),
            local: Some("127.0.0.1:5000".parse().expect("address")),
            connects: 1,
            size_request: 40,
            size_header: raw.len() as u64,
            head: Some(head),
            size_download: 500,
            ..Transfer::default()
        };
        transfer.timings.start_hop(start);
        transfer.timings.mark(Step::Resolved, start);
        transfer.timings.finish(start + Duration::from_millis(250));
        transfer
    }

    fn render(format: &str, transfer: &Transfer) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        WriteOut::parse(format).write(transfer, &mut out, &mut err);
        (
            String::from_utf8(out).expect("text"),
            String::from_utf8(err).expect("text"),
        )
    }

    #[test]
    fn each_variable_prints_as_curl_prints_it() {
        let transfer = a_transfer();
        for (format, want) in [
            ("%{http_code} %{response_code}", "200 200"),
            ("%{http_version}", "1"),
            ("%{time_total} %{time_connect}", "0.250000 0.000000"),
            ("%{speed_download}", "2000"),
            (
                "%{remote_ip}:%{remote_port} %{local_port}",
                "127.0.0.1:81 5000",
            ),
            ("%header{x-a}|%header{nope}", "1|"),
            ("%{content_type}|%{errormsg}|%{exitcode}", "text/plain||0"),
            ("%{num_redirects} %{num_connects}", "0 1"),
        ] {
            assert_eq!(render(format, &transfer).0, want, "{format}");
        }
        let (out, err) = render("%{nope}a%{stderr}b%{stdout}c", &transfer);
        assert_eq!(out, "ac");
        assert_eq!(err, "httpget: unknown --write-out variable: 'nope'\nb");
    }

    #[test]
    fn a_transfer_that_got_no_reply_prints_zeros_and_the_error() {
        let transfer = Transfer {
            exit_code: 7,
            error: Some("could not connect".to_string()),
            ..Transfer::default()
        };
        let (out, _) = render(
            "%{http_code} %{http_version} %{remote_ip}|%{exitcode} %{errormsg}",
            &transfer,
        );
        assert_eq!(out, "000 0 |7 could not connect");
        let (json, _) = render("%{json}", &transfer);
        assert!(json.contains("\"http_code\":0,"), "{json}");
        assert!(json.contains("\"content_type\":null,"), "{json}");
        assert!(
            json.contains("\"errormsg\":\"could not connect\","),
            "{json}"
        );
    }

    #[test]
    fn json_holds_every_variable_once_with_strings_escaped() {
        let (json, _) = render("%{json}", &a_transfer());
        assert!(json.starts_with("{\"content_type\":\"text/plain\",\"errormsg\":null,"));
        assert!(json.ends_with('}'), "{json}");
        for (name, variable) in VARIABLES {
            let key = format!("\"{name}\":");
            let want = usize::from(variable != Variable::Json);
            assert_eq!(json.matches(&key).count(), want, "{name} in {json}");
        }
        assert!(
            json.contains("\"url_effective\":\"http://h:81/b%22\""),
            "{json}"
        );
        assert!(json.contains("\"time_total\":0.250000,"), "{json}");
    }
}
