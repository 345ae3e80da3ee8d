//! Making untrusted text safe to show: in an HTML page, and on a terminal or in a log.
//!
//! Anything that came from the network (a path, a header) is data, never markup or a terminal
//! control sequence. These three functions serve both programs: [`html_escape`] for pages,
//! [`escape_control`] for notes on a terminal, [`escape_log_field`] for a quoted field of the
//! access log. Three more escapers each do
//! one job where it is needed: `client::show::TerminalText` (a body shown on a terminal,
//! which keeps line ends and UTF-8 split across reads), `server::routes::show_line_ends`
//! (`/echo?show=crlf`), and `server::url_path` (percent-encoding for links and headers).

/// RFC 3986 §2.3's unreserved characters (letters, digits, `-`, `.`, `_`, `~`): what
/// percent-encoding leaves as it is, for a link in a listing and for `--data-urlencode`, as
/// curl does. Everything else is escaped, so a name with `#`, `?`, `%`, quotes or spaces still
/// leads to the right file.
pub const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Escapes the five characters that mean something in HTML text and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Writes bytes for a terminal or a line of narration: printable ASCII as it is, every other
/// byte (control characters, `\r`, `\n`, and bytes of non-ASCII text) as `\xNN`, and `\` as
/// `\\`, so that an `\xNN` the bytes themselves held cannot pass for an escape. Text from the
/// network can then never forge a second line or move the cursor. Quotes stay as they are, for
/// reading (`ETag: "v1"`); a field between quotes needs [`escape_log_field`].
pub fn escape_control(bytes: &[u8]) -> String {
    let mut escaped = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte == b'\\' {
            escaped.push_str("\\\\");
        } else if (0x20..0x7f).contains(&byte) {
            escaped.push(byte as char);
        } else {
            escaped.push_str(&format!("\\x{byte:02X}"));
        }
    }
    escaped
}

/// Writes bytes for a field between double quotes in the access log, by nginx's rule: its
/// CHANGES for 0.7.0 say "now the 0x00-0x1F, '"' and '\' characters are escaped as \xXX in an
/// access_log", and since 1.1.6 DEL and the bytes above it are too. Every escape then has one
/// form, and no byte the client sent can close the quotes: a request line holding `" 200 0 "`
/// cannot make its log line read as two requests.
pub fn escape_log_field(bytes: &[u8]) -> String {
    let mut escaped = String::with_capacity(bytes.len());
    for &byte in bytes {
        if (0x20..0x7f).contains(&byte) && byte != b'"' && byte != b'\\' {
            escaped.push(byte as char);
        } else {
            escaped.push_str(&format!("\\x{byte:02X}"));
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escape_neutralises_markup() {
        for (input, want) in [
            ("plain", "plain"),
            ("<script>", "&lt;script&gt;"),
            ("a & b", "a &amp; b"),
            ("\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"),
            ("straße 😀", "straße 😀"),
        ] {
            assert_eq!(html_escape(input), want);
        }
    }

    #[test]
    fn escape_control_keeps_one_line() {
        for (input, want) in [
            (&b"GET / HTTP/1.0"[..], "GET / HTTP/1.0"),
            (b"a\r\nb", "a\\x0D\\x0Ab"),
            (b"\x1b[2J", "\\x1B[2J"),
            (b"back\\slash", "back\\\\slash"),
            ("é".as_bytes(), "\\xC3\\xA9"),
        ] {
            assert_eq!(escape_control(input), want);
        }
    }

    #[test]
    fn escape_log_field_gives_every_escape_one_form_and_keeps_the_quotes_closed() {
        for (input, want) in [
            (&b"GET / HTTP/1.0"[..], "GET / HTTP/1.0"),
            (
                b"GET /a\" 200 0 \"forged HTTP/1.0",
                "GET /a\\x22 200 0 \\x22forged HTTP/1.0",
            ),
            (b"a\r\nb\tc", "a\\x0D\\x0Ab\\x09c"),
            (b"\x1b[2J\x7f", "\\x1B[2J\\x7F"),
            // A backslash is escaped too: the \x41 a client typed cannot pass for an "A".
            (b"back\\slash \\x41", "back\\x5Cslash \\x5Cx41"),
            ("é".as_bytes(), "\\xC3\\xA9"),
            (b"\xff\x00", "\\xFF\\x00"),
        ] {
            assert_eq!(escape_log_field(input), want);
        }
    }
}
