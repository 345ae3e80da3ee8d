//! Showing a body on a terminal safely: is it text at all, and if so, which bytes may reach the
//! screen as they are.
//!
//! A terminal obeys control codes: `ESC [2J` clears it, others move the cursor or retitle the
//! window. A body is data from the network, so before it is printed every control character
//! except newline and tab is written as `\xNN` — carriage return included, which alone sends the
//! cursor back to overwrite the line. A binary body (an image, an archive) is not
//! printed at all: as curl does, we look at its first bytes ([`is_binary`]).

/// Whether a body is binary, judged by its first block of bytes as curl does: a NUL byte, or
/// bytes that are not UTF-8 text (a character cut off at the end of the block is fine).
///
/// The `Content-Type` is not asked: servers label text `application/octet-stream` and binary
/// `text/plain` often enough, and the bytes are what would reach the terminal.
pub fn is_binary(first_bytes: &[u8]) -> bool {
    if first_bytes.contains(&0) {
        return true;
    }
    match std::str::from_utf8(first_bytes) {
        Ok(_) => false,
        Err(error) => error.error_len().is_some(),
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
    fn binary_is_told_from_text_by_the_bytes_alone() {
        for (bytes, want) in [
            (&b"<p>hi</p>"[..], false),
            (b"{}", false),
            (b"plain text\r\n", false),
            ("straße".as_bytes(), false),
            (b"\xC3", false),
            (b"", false),
            (b"\x89PNG\r\n\x1a\n", true),
            (b"a\0b", true),
            (b"\xFF\xFE", true),
        ] {
            assert_eq!(is_binary(bytes), want, "{bytes:?}");
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
