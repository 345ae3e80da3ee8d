//! Showing a body on a terminal safely: is it text at all, and if so, which bytes may reach the
//! screen as they are.
//!
//! A terminal obeys control codes: `ESC [2J` clears it, others move the cursor or retitle the
//! window. A body is data from the network, so before it is printed every control character
//! except newline and tab is written as `\xNN` — carriage return included, which alone sends the
//! cursor back to overwrite the line. A binary body (an image, an archive) is not
//! printed at all: as curl does, we look for a NUL byte in its first bytes, and trust a
//! `Content-Type` that says plainly it is not text.

/// Whether a body looks binary, from its `Content-Type` (if any) and its first bytes.
pub fn is_binary(content_type: Option<&str>, first_bytes: &[u8]) -> bool {
    if first_bytes.contains(&0) {
        return true;
    }
    match content_type {
        Some(content_type) => {
            let media_type = content_type
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let textual = media_type.starts_with("text/")
                || media_type.ends_with("json")
                || media_type.ends_with("xml")
                || media_type.ends_with("javascript")
                || media_type == "application/x-www-form-urlencoded"
                || media_type.is_empty();
            !textual
        }
        // No type given: text if the first bytes are UTF-8 (a character cut at the end is fine).
        None => match std::str::from_utf8(first_bytes) {
            Ok(_) => false,
            Err(error) => error.error_len().is_some(),
        },
    }
}

/// Turns body bytes into text safe for a terminal, piece by piece: a UTF-8 character split
/// between two reads is kept until its end arrives.
#[derive(Debug, Default)]
pub struct TerminalText {
    carry: Vec<u8>,
}

impl TerminalText {
    /// A filter with nothing carried over.
    pub fn new() -> TerminalText {
        TerminalText::default()
    }

    /// The printable text for `bytes`, holding back an unfinished character at the end.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        let mut input = std::mem::take(&mut self.carry);
        input.extend_from_slice(bytes);
        let mut shown = String::with_capacity(input.len());
        let mut rest = &input[..];
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    push_safe(&mut shown, text);
                    break;
                }
                Err(error) => {
                    let (valid, after) = rest.split_at(error.valid_up_to());
                    push_safe(
                        &mut shown,
                        std::str::from_utf8(valid).expect("valid_up_to marks valid UTF-8"),
                    );
                    match error.error_len() {
                        Some(length) => {
                            for byte in &after[..length] {
                                shown.push_str(&format!("\\x{byte:02X}"));
                            }
                            rest = &after[length..];
                        }
                        None => {
                            self.carry = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        shown
    }

    /// Whatever was held back, once the body has ended.
    pub fn finish(&mut self) -> String {
        let carry = std::mem::take(&mut self.carry);
        carry.iter().map(|byte| format!("\\x{byte:02X}")).collect()
    }
}

fn push_safe(shown: &mut String, text: &str) {
    for character in text.chars() {
        if character.is_control() && character != '\n' && character != '\t' {
            shown.push_str(&format!("\\x{:02X}", u32::from(character)));
        } else {
            shown.push(character);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_is_told_from_text() {
        for (content_type, bytes, want) in [
            (Some("text/html; charset=utf-8"), &b"<p>hi</p>"[..], false),
            (Some("application/json"), b"{}", false),
            (Some("image/svg+xml"), b"<svg/>", false),
            (Some("image/png"), b"\x89PNG\r\n\x1a\n", true),
            (Some("application/octet-stream"), b"abc", true),
            (Some("text/plain"), b"a\0b", true),
            (None, b"plain text", false),
            (None, "straße".as_bytes(), false),
            (None, b"\xC3", false),
            (None, b"\xFF\xFE", true),
        ] {
            assert_eq!(
                is_binary(content_type, bytes),
                want,
                "{content_type:?} {bytes:?}"
            );
        }
    }

    #[test]
    fn terminal_text_escapes_control_codes_and_keeps_utf8() {
        for (input, want) in [
            (&b"line\n\ttab"[..], "line\n\ttab"),
            (b"\x1b[2Jclear", "\\x1B[2Jclear"),
            ("grüße 😀".as_bytes(), "grüße 😀"),
            (b"bad \xFF byte", "bad \\xFF byte"),
            ("\u{9b}c1".as_bytes(), "\\x9Bc1"),
            // A lone CR sends the cursor back to overwrite the line: "paid\rdue" would show
            // as "duee"; CR LF line ends show their CR too.
            (b"paid\rdue", "paid\\x0Ddue"),
            (b"a\r\nb", "a\\x0D\nb"),
        ] {
            let mut filter = TerminalText::new();
            let shown = filter.push(input) + &filter.finish();
            assert_eq!(shown, want, "{input:?}");
        }
    }

    #[test]
    fn a_character_split_across_reads_is_joined() {
        let bytes = "é".as_bytes();
        let mut filter = TerminalText::new();
        assert_eq!(filter.push(&bytes[..1]), "");
        assert_eq!(filter.push(&bytes[1..]), "é");
        assert_eq!(filter.finish(), "");
    }
}
