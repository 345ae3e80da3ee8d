//! Basic authentication (RFC 1945 §11.1): a user name and password given in the URL
//! (`http://alice:secret@host/`) travel in an `Authorization` header, as curl and wget send them.
//!
//! The header's value is `Basic ` and then `user:password` in base64 (RFC 4648 §4). Base64 is
//! an encoding, not encryption: anyone who sees the request can read the password back
//! (`echo YWxpY2U6c2VjcmV0 | base64 -d`). Over plain HTTP, Basic authentication hides nothing
//! from the network; `-v` shows the header like any other.

use percent_encoding::percent_decode_str;
use url::Url;

/// The `Authorization` value for the credentials in `url`, if it has any.
///
/// The URL keeps them percent-encoded (`s%40cret` for `s@cret`); they are decoded before
/// encoding, since the server compares the password itself (RFC 1945 §11.1:
/// `basic-cookie` is the base64 of `userid-password`, `userid ":" password`).
pub fn basic_authorization(url: &Url) -> Option<String> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let mut credentials: Vec<u8> = percent_decode_str(url.username()).collect();
    credentials.push(b':');
    credentials.extend(percent_decode_str(url.password().unwrap_or_default()));
    Some(format!("Basic {}", base64(&credentials)))
}

/// The 64 symbols of base64, in order: each stands for six bits.
const BASE64_SYMBOLS: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 (RFC 4648 §4): every three bytes (24 bits) become four symbols of six bits; a last
/// group of one or two bytes is padded with `=` to four symbols.
fn base64(bytes: &[u8]) -> String {
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let bits = group.iter().enumerate().fold(0u32, |bits, (index, &byte)| {
            bits | u32::from(byte) << (16 - 8 * index)
        });
        for place in 0..4 {
            if place <= group.len() {
                let six_bits = (bits >> (18 - 6 * place)) & 0b11_1111;
                encoded.push(char::from(BASE64_SYMBOLS[six_bits as usize]));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        // RFC 4648 §10.
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn credentials_come_from_the_url_decoded() {
        let url = |text: &str| Url::parse(text).expect(text);
        // RFC 1945 §11.1's own example: "Aladdin" with the password "open sesame".
        assert_eq!(
            basic_authorization(&url("http://Aladdin:open%20sesame@host/")).as_deref(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        assert_eq!(
            basic_authorization(&url("http://a@host/")).as_deref(),
            Some("Basic YTo=")
        );
        assert_eq!(basic_authorization(&url("http://host/")), None);
    }
}
