//! Making untrusted text safe to show: in an HTML page, and on a terminal or in a log.
//!
//! Anything that came from the network (a path, a header) is data, never markup or a terminal
//! control sequence. These two functions serve both programs: [`html_escape`] for pages,
//! [`escape_control`] for the log and for notes on a terminal. Three more escapers each do
//! one job where it is needed: `client::show::TerminalText` (a body shown on a terminal,
//! which keeps line ends and UTF-8 split across reads), `server::routes::show_line_ends`
//! (`/echo?show=crlf`), and `server::url_path` (percent-encoding for links and headers).

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

/// Writes bytes for a log line or a terminal: printable ASCII as it is, every other byte
/// (control characters, `\r`, `\n`, and bytes of non-ASCII text) as `\xNN`, as nginx does in its
/// access log. A request line can then never forge a second log line or move the cursor.
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
}
