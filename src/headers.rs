//! Header rules that the client and the server share: one place each.
//!
//! A header line is `Name: value` (RFC 1945 §4.2). The name is a *token* (§2.2) and is compared
//! without regard to case, so `content-length`, `Content-Length` and `CONTENT-LENGTH` are the
//! same header. Some headers hold a comma-separated list (`Connection: keep-alive, Upgrade`).
//! And one header decides where a body ends: `Content-Length` (§7.2.2, §10.4).
//!
//! Headers are kept as `(name, value)` pairs in the order they came, so a student can print
//! them exactly as sent; these functions look things up in such a list.

use std::fmt;

/// The media type an HTML form sends by default, and `httpget -d` with it (HTML Living
/// Standard, "URL-encoded form data"): `/upper` reads a body of this type as form fields.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Whether a byte may appear in a token — a method or a header name (RFC 1945 §2.2: any
/// visible ASCII character except the separators `()<>@,;:\"/[]?={}`, space and tab).
pub fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// `text` without the spaces and tabs around it: the only white space a header value may be
/// padded with (RFC 9110 §5.6.3 OWS; RFC 1945 §2.2 LWS, folding aside). `str::trim` would
/// also drop Unicode's spaces, such as U+00A0, which no other HTTP reader treats as space.
pub fn trim_ows(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// [`trim_ows`] for a value still in bytes.
pub fn trim_ows_bytes(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// Whether a header line's name is `name`: names are compared without regard to case. The
/// name may still be bytes (a token is ASCII, so no conversion to text is needed).
pub fn is_named(field: impl AsRef<[u8]>, name: &str) -> bool {
    field.as_ref().eq_ignore_ascii_case(name.as_bytes())
}

/// Every value of the headers called `name`, in the order they came.
pub fn values<'a, N: AsRef<str>, V: AsRef<str>>(
    headers: &'a [(N, V)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(field, _)| is_named(field.as_ref(), name))
        .map(|(_, value)| value.as_ref())
}

/// The first value of the header called `name`, if there is one.
pub fn first<'a, N: AsRef<str>, V: AsRef<str>>(
    headers: &'a [(N, V)],
    name: &str,
) -> Option<&'a str> {
    headers
        .iter()
        .find(|(field, _)| is_named(field.as_ref(), name))
        .map(|(_, value)| value.as_ref())
}

/// Whether the value of a comma-separated header such as `Connection` (`keep-alive,
/// Upgrade`) lists `token`, in any case. A token is ASCII, so the bytes are compared as they
/// are, with no conversion to text.
pub fn value_lists_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&byte| byte == b',')
        .any(|item| trim_ows_bytes(item).eq_ignore_ascii_case(token.as_bytes()))
}

/// Why `Content-Length` does not say where a body ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LengthError {
    /// The value is not a plain decimal number (`five`, `-1`, `+5`, empty).
    NotANumber(String),
    /// Digits only, but more than any body could hold (beyond `u64`).
    TooLarge(String),
    /// Two `Content-Length` headers that disagree: no one knows where the body ends.
    Conflicting,
}

impl fmt::Display for LengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LengthError::NotANumber(value) => write!(f, "Content-Length {value:?} is not a number"),
            LengthError::TooLarge(value) => write!(f, "Content-Length {value:?} is too large"),
            LengthError::Conflicting => f.write_str("two different Content-Length headers"),
        }
    }
}

impl std::error::Error for LengthError {}

/// The body length the headers announce: `None` without `Content-Length`. The value must be
/// digits only (RFC 1945 §10.4: `1*DIGIT`); the same length repeated is allowed.
pub fn content_length<N: AsRef<str>>(headers: &[(N, String)]) -> Result<Option<u64>, LengthError> {
    content_length_of(values(headers, "Content-Length"))
}

/// [`content_length`] from the values of the `Content-Length` headers alone.
pub fn content_length_of<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Option<u64>, LengthError> {
    let mut length = None;
    for value in values {
        let value = trim_ows(value);
        if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(LengthError::NotANumber(value.to_string()));
        }
        let parsed: u64 = value
            .parse()
            .map_err(|_| LengthError::TooLarge(value.to_string()))?;
        if length.is_some_and(|earlier| earlier != parsed) {
            return Err(LengthError::Conflicting);
        }
        length = Some(parsed);
    }
    Ok(length)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn names_compare_without_regard_to_case() {
        let list = headers(&[("HOST", "a"), ("x-b", "1"), ("X-B", "2")]);
        assert_eq!(first(&list, "host"), Some("a"));
        assert_eq!(values(&list, "X-b").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(first(&list, "Accept"), None);
    }

    #[test]
    fn token_lists_are_split_on_commas() {
        let value = b"Upgrade, \tKeep-Alive ";
        assert!(value_lists_token(value, "keep-alive"));
        assert!(value_lists_token(value, "upgrade"));
        assert!(!value_lists_token(value, "close"));
        assert!(!value_lists_token(b"keep-alive-ish", "keep-alive"));
    }

    #[test]
    fn tokens_exclude_separators() {
        for (byte, want) in [
            (b'G', true),
            (b'-', true),
            (b'~', true),
            (b'(', false),
            (b':', false),
            (b' ', false),
        ] {
            assert_eq!(is_token_byte(byte), want, "{}", byte as char);
        }
    }

    #[test]
    fn content_length_is_digits_only_and_agreed() {
        let too_large = "99999999999999999999999";
        for (pairs, want) in [
            (&[][..], Ok(None)),
            (&[("Content-Length", "12")], Ok(Some(12))),
            (&[("content-length", " 0 ")], Ok(Some(0))),
            (
                &[("Content-Length", "5"), ("Content-Length", "5")],
                Ok(Some(5)),
            ),
            (
                &[("Content-Length", "5"), ("Content-Length", "6")],
                Err(LengthError::Conflicting),
            ),
            (
                &[("Content-Length", "five")],
                Err(LengthError::NotANumber("five".into())),
            ),
            (
                &[("Content-Length", "-1")],
                Err(LengthError::NotANumber("-1".into())),
            ),
            (
                &[("Content-Length", "+5")],
                Err(LengthError::NotANumber("+5".into())),
            ),
            (
                &[("Content-Length", "")],
                Err(LengthError::NotANumber(String::new())),
            ),
            (
                &[("Content-Length", too_large)],
                Err(LengthError::TooLarge(too_large.into())),
            ),
            // Only spaces and tabs are white space around a value (RFC 9110 §5.6.3, OWS), not
            // Unicode's no-break or ideographic spaces.
            (
                &[("Content-Length", "\u{a0}5")],
                Err(LengthError::NotANumber("\u{a0}5".into())),
            ),
            (
                &[("Content-Length", "\t5\u{3000}")],
                Err(LengthError::NotANumber("5\u{3000}".into())),
            ),
        ] {
            assert_eq!(content_length(&headers(pairs)), want, "{pairs:?}");
        }
    }
}
