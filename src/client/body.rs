//! Where the body ends: the three ways a reply can frame it, and reading it piece by piece.
//!
//! * `Content-Length: N` — exactly N bytes follow the head (RFC 1945 §7.2.2, §10.4). Fewer is an
//!   error ([`GetError::TruncatedBody`]), never a silently short file.
//! * no `Content-Length` — the body is everything until the server closes (RFC 1945 §7.2.2). The
//!   client cannot tell a finished body from a broken connection: one reason HTTP/1.1 insists on
//!   lengths.
//! * `Transfer-Encoding: chunked` — an HTTP/1.1 framing (RFC 9112 §7.1) a server should not send
//!   to a 1.0 client, but some do: hex size line, that many bytes, CRLF, … until a size of 0.
//!   Decoded in `chunked.rs` ([`ReplyBody::decode_chunked`](super::ReplyBody)). Any other last
//!   coding (`gzip`, `chunked, gzip`) leaves the end to the close, as without a length.
//!
//! The body is read into the caller's buffer, so a download of any size uses constant memory.

use super::build::Method;
use super::chunked::ChunkState;
use super::head::{ReplyHead, ReplyVersion};
use super::wire::Wire;
use super::{GetError, Observer};

/// How a body's end is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// There is no body (HEAD, 1xx, 204, 304).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// Decides how the body of a reply is framed.
pub fn framing(method: Method, head: &ReplyHead) -> Result<BodyFraming, GetError> {
    // RFC 1945 §7.2: a reply to HEAD, and 1xx, 204 and 304 replies, never have a body.
    let no_body = method == Method::Head
        || (100..200).contains(&head.status)
        || head.status == 204
        || head.status == 304;
    if no_body {
        return Ok(BodyFraming::Empty);
    }
    if head.version == ReplyVersion::Http09 {
        return Ok(BodyFraming::UntilClose);
    }
    // RFC 9112 §6.3 decides by the last coding alone, and a present Transfer-Encoding
    // overrides Content-Length: "If a Transfer-Encoding header field is present in a response
    // and the chunked transfer coding is not the final encoding, the message body length is
    // determined by reading the connection until it is closed by the server." Several
    // Transfer-Encoding lines make one list, in order (RFC 9110 §5.3), so the final coding is
    // the last one of the last line; empty list elements do not count (RFC 9110 §5.6.1).
    if head.header("Transfer-Encoding").is_some() {
        let last = head
            .all("Transfer-Encoding")
            .flat_map(|value| value.split(','))
            .map(crate::headers::trim_ows)
            .filter(|coding| !coding.is_empty())
            .last();
        return Ok(match last {
            Some(coding) if coding.eq_ignore_ascii_case("chunked") => BodyFraming::Chunked,
            _ => BodyFraming::UntilClose,
        });
    }
    let length =
        crate::headers::content_length(&head.headers).map_err(GetError::BadContentLength)?;
    Ok(match length {
        Some(length) => BodyFraming::Length(length),
        None => BodyFraming::UntilClose,
    })
}

/// A reply's body, read piece by piece with [`ReplyBody::read`].
pub struct ReplyBody<'o> {
    pub(crate) wire: Wire<'o>,
    framing: BodyFraming,
    /// Bytes received but not yet handed out (at first, those that came with the head).
    pub(super) pending: Vec<u8>,
    pub(super) pending_start: usize,
    /// Where the chunked decoder is ([`BodyFraming::Chunked`] only).
    pub(super) chunk: ChunkState,
    /// The chunk-size or trailer line being read: one buffer for every line of the body.
    pub(super) chunk_line: Vec<u8>,
    received: u64,
}

impl<'o> ReplyBody<'o> {
    pub(crate) fn new(wire: Wire<'o>, framing: BodyFraming, pending: Vec<u8>) -> ReplyBody<'o> {
        ReplyBody {
            wire,
            framing,
            pending,
            pending_start: 0,
            chunk: ChunkState::Size,
            chunk_line: Vec::new(),
            received: 0,
        }
    }

    /// A body read from `reader` instead of a socket, `pending` being the bytes that came
    /// with the head. The decoders then see the reads `reader` gives, in the sizes it chooses:
    /// how tests and the fuzz targets (`fuzz/`) check that a body decodes the same however TCP
    /// splits it.
    pub fn from_reader(
        reader: impl std::io::Read + 'o,
        framing: BodyFraming,
        pending: Vec<u8>,
        observer: &'o mut dyn Observer,
    ) -> ReplyBody<'o> {
        ReplyBody::new(Wire::from_reader(reader, observer), framing, pending)
    }

    /// How the body is framed.
    pub fn framing(&self) -> BodyFraming {
        self.framing
    }

    /// Body bytes handed out so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Reads the next piece of the body into `buffer`; `Ok(0)` means the body is complete.
    pub fn read(&mut self, buffer: &mut [u8]) -> Result<usize, GetError> {
        if buffer.is_empty() {
            return Ok(0);
        }
        let count = match self.framing {
            BodyFraming::Empty => 0,
            BodyFraming::UntilClose => self.raw_read(buffer)?,
            BodyFraming::Length(length) => {
                let left = length - self.received;
                if left == 0 {
                    return Ok(0);
                }
                let want = buffer
                    .len()
                    .min(usize::try_from(left).unwrap_or(usize::MAX));
                let count = self.raw_read(&mut buffer[..want])?;
                if count == 0 {
                    return Err(GetError::TruncatedBody {
                        received: self.received,
                        expected: Some(length),
                    });
                }
                count
            }
            BodyFraming::Chunked => self.decode_chunked(buffer)?,
        };
        self.received += count as u64;
        Ok(count)
    }

    /// Bytes from what came with the head first, then from the socket.
    pub(super) fn raw_read(&mut self, buffer: &mut [u8]) -> Result<usize, GetError> {
        let pending = &self.pending[self.pending_start..];
        if pending.is_empty() {
            return self.wire.receive(buffer);
        }
        let count = pending.len().min(buffer.len());
        buffer[..count].copy_from_slice(&pending[..count]);
        self.pending_start += count;
        Ok(count)
    }

    pub(super) fn truncated(&self) -> GetError {
        GetError::TruncatedBody {
            received: self.received,
            expected: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: u16, headers: &[(&str, &str)]) -> ReplyHead {
        ReplyHead {
            version: ReplyVersion::Http10,
            status,
            reason: String::new(),
            headers: headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            raw: Vec::new(),
        }
    }

    #[test]
    fn framing_follows_rfc_1945_section_7_2() {
        for (method, status, headers, want) in [
            (
                Method::Get,
                200,
                &[("Content-Length", "5")][..],
                BodyFraming::Length(5),
            ),
            (
                Method::Get,
                200,
                &[("content-length", " 0 ")],
                BodyFraming::Length(0),
            ),
            (Method::Get, 200, &[], BodyFraming::UntilClose),
            (
                Method::Get,
                200,
                &[("Transfer-Encoding", "chunked")],
                BodyFraming::Chunked,
            ),
            (
                Method::Get,
                200,
                &[
                    ("Content-Length", "5"),
                    ("Transfer-Encoding", "gzip, chunked"),
                ],
                BodyFraming::Chunked,
            ),
            (
                Method::Get,
                200,
                &[("Content-Length", "5"), ("Content-Length", "5")],
                BodyFraming::Length(5),
            ),
            (
                Method::Head,
                200,
                &[("Content-Length", "5")],
                BodyFraming::Empty,
            ),
            (
                Method::Get,
                304,
                &[("Content-Length", "5")],
                BodyFraming::Empty,
            ),
            (Method::Get, 204, &[], BodyFraming::Empty),
            // A no-break space is not white space in a header: this names no known coding.
            (
                Method::Get,
                200,
                &[("Transfer-Encoding", "\u{a0}chunked")],
                BodyFraming::UntilClose,
            ),
            (
                Method::Get,
                404,
                &[("Content-Length", "9")],
                BodyFraming::Length(9),
            ),
        ] {
            assert_eq!(
                framing(method, &head(status, headers)).expect("valid"),
                want,
                "{method:?} {status} {headers:?}"
            );
        }
    }

    /// RFC 9112 §6.3: a Transfer-Encoding whose final coding is not chunked leaves the body's
    /// end to the close, whatever Content-Length says; only the last coding of the last line
    /// counts.
    #[test]
    fn chunked_that_is_not_the_final_coding_reads_until_close() {
        for (headers, want) in [
            (
                &[("Content-Length", "5"), ("Transfer-Encoding", "gzip")][..],
                BodyFraming::UntilClose,
            ),
            (
                &[
                    ("Transfer-Encoding", "chunked, gzip"),
                    ("Content-Length", "5"),
                ],
                BodyFraming::UntilClose,
            ),
            (
                &[
                    ("Transfer-Encoding", "chunked"),
                    ("Transfer-Encoding", "gzip"),
                ],
                BodyFraming::UntilClose,
            ),
            (
                &[
                    ("Transfer-Encoding", "gzip"),
                    ("Transfer-Encoding", "chunked"),
                ],
                BodyFraming::Chunked,
            ),
            (&[("Transfer-Encoding", "chunked, ,")], BodyFraming::Chunked),
            // Present, but it names no coding: nothing says the body is chunked.
            (
                &[("Transfer-Encoding", ""), ("Content-Length", "5")],
                BodyFraming::UntilClose,
            ),
        ] {
            assert_eq!(
                framing(Method::Get, &head(200, headers)).expect("valid"),
                want,
                "{headers:?}"
            );
        }
    }

    #[test]
    fn unreadable_content_lengths_are_bad_responses() {
        for headers in [
            &[("Content-Length", "five")][..],
            &[("Content-Length", "-1")],
            &[("Content-Length", "+5")],
            &[("Content-Length", "99999999999999999999999")],
            &[("Content-Length", "5"), ("Content-Length", "6")],
        ] {
            let error = framing(Method::Get, &head(200, headers)).expect_err("bad");
            assert_eq!(error.exit_code(), 8, "{headers:?}");
        }
    }

    /// A reader that gives one byte per `read`, as a slow network might.
    struct ByteByByte<'a>(&'a [u8]);

    impl std::io::Read for ByteByByte<'_> {
        fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
            let Some((&first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            match buffer.first_mut() {
                Some(slot) => {
                    *slot = first;
                    self.0 = rest;
                    Ok(1)
                }
                None => Ok(0),
            }
        }
    }

    fn read_all(body: &mut ReplyBody<'_>) -> Result<Vec<u8>, GetError> {
        let mut all = Vec::new();
        let mut buffer = [0; 3];
        loop {
            match body.read(&mut buffer)? {
                0 => return Ok(all),
                count => all.extend_from_slice(&buffer[..count]),
            }
        }
    }

    #[test]
    fn a_body_read_one_byte_at_a_time_decodes_the_same() {
        let mut observer = crate::client::Silent;
        let chunked = b"5\r\nhello\r\n1;x=y\r\n!\r\n0\r\nTrailer: t\r\n\r\n";
        let mut body = ReplyBody::from_reader(
            ByteByByte(chunked),
            BodyFraming::Chunked,
            b"".to_vec(),
            &mut observer,
        );
        assert_eq!(read_all(&mut body).expect("valid"), b"hello!");

        let mut observer = crate::client::Silent;
        let mut body = ReplyBody::from_reader(
            ByteByByte(b"llo, and more"),
            BodyFraming::Length(5),
            b"he".to_vec(),
            &mut observer,
        );
        assert_eq!(read_all(&mut body).expect("complete"), b"hello");
    }
}
