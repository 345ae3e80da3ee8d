//! Where the body ends: the three ways a reply can frame it, and reading it piece by piece.
//!
//! * `Content-Length: N` — exactly N bytes follow the head (RFC 1945 §7.2.2, §10.4). Fewer is an
//!   error ([`GetError::TruncatedBody`]), never a silently short file.
//! * no `Content-Length` — the body is everything until the server closes (RFC 1945 §7.2.2). The
//!   client cannot tell a finished body from a broken connection: one reason HTTP/1.1 insists on
//!   lengths.
//! * `Transfer-Encoding: chunked` — an HTTP/1.1 framing (RFC 9112 §7.1) a server should not send
//!   to a 1.0 client, but some do: hex size line, that many bytes, CRLF, … until a size of 0.
//!
//! The body is read into the caller's buffer, so a download of any size uses constant memory.

use super::head::{Head, Version};
use super::request::Method;
use super::wire::Wire;
use super::GetError;

/// The longest chunk-size line (or trailer line) read in a chunked body.
pub const MAX_CHUNK_LINE_BYTES: usize = 4096;

/// How a body's end is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
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
pub fn framing(method: Method, head: &Head) -> Result<Framing, GetError> {
    // RFC 1945 §7.2: a reply to HEAD, and 1xx, 204 and 304 replies, never have a body.
    let no_body = method == Method::Head
        || (100..200).contains(&head.status)
        || head.status == 204
        || head.status == 304;
    if no_body {
        return Ok(Framing::Empty);
    }
    if head.version == Version::Http09 {
        return Ok(Framing::UntilClose);
    }
    // RFC 9112 §6.3: when both are present, Transfer-Encoding wins over Content-Length.
    let chunked = head.all("Transfer-Encoding").any(|value| {
        value
            .rsplit(',')
            .next()
            .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
    });
    if chunked {
        return Ok(Framing::Chunked);
    }
    let length = crate::headers::content_length(&head.headers)
        .map_err(|error| GetError::BadResponse(error.to_string()))?;
    Ok(match length {
        Some(length) => Framing::Length(length),
        None => Framing::UntilClose,
    })
}

/// Where a chunked body's reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk, this many data bytes left.
    Data(u64),
    /// After a chunk's data, expecting its CRLF.
    DataEnd,
    /// After the last (size 0) chunk, reading trailer lines until an empty one.
    Trailers,
    /// The body is complete.
    Done,
}

/// A reply's body, read piece by piece with [`Body::read`].
pub struct Body<'o> {
    pub(crate) wire: Wire<'o>,
    framing: Framing,
    /// Bytes received with the head that belong to the body, not yet handed out.
    pending: Vec<u8>,
    pending_start: usize,
    chunk: Chunk,
    received: u64,
}

impl<'o> Body<'o> {
    pub(crate) fn new(wire: Wire<'o>, framing: Framing, pending: Vec<u8>) -> Body<'o> {
        Body {
            wire,
            framing,
            pending,
            pending_start: 0,
            chunk: Chunk::Size,
            received: 0,
        }
    }

    /// How the body is framed.
    pub fn framing(&self) -> Framing {
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
            Framing::Empty => 0,
            Framing::UntilClose => self.raw_read(buffer)?,
            Framing::Length(length) => {
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
            Framing::Chunked => self.read_chunked(buffer)?,
        };
        self.received += count as u64;
        Ok(count)
    }

    /// Bytes from what came with the head first, then from the socket.
    fn raw_read(&mut self, buffer: &mut [u8]) -> Result<usize, GetError> {
        let pending = &self.pending[self.pending_start..];
        if pending.is_empty() {
            return self.wire.receive(buffer);
        }
        let count = pending.len().min(buffer.len());
        buffer[..count].copy_from_slice(&pending[..count]);
        self.pending_start += count;
        Ok(count)
    }

    fn read_chunked(&mut self, buffer: &mut [u8]) -> Result<usize, GetError> {
        loop {
            match self.chunk {
                Chunk::Size => {
                    let line = self.read_line()?;
                    // RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF; extensions after ';' are ignored.
                    let size_text = line.split(|&byte| byte == b';').next().unwrap_or(&[]);
                    let size_text = String::from_utf8_lossy(size_text);
                    let size = u64::from_str_radix(size_text.trim(), 16).map_err(|_| {
                        GetError::BadResponse(format!(
                            "chunk size {:?} is not a hex number",
                            crate::escape::escape_control(&line)
                        ))
                    })?;
                    self.chunk = if size == 0 {
                        Chunk::Trailers
                    } else {
                        Chunk::Data(size)
                    };
                }
                Chunk::Data(left) => {
                    let want = buffer
                        .len()
                        .min(usize::try_from(left).unwrap_or(usize::MAX));
                    let count = self.raw_read(&mut buffer[..want])?;
                    if count == 0 {
                        return Err(self.truncated());
                    }
                    let left = left - count as u64;
                    self.chunk = if left == 0 {
                        Chunk::DataEnd
                    } else {
                        Chunk::Data(left)
                    };
                    return Ok(count);
                }
                Chunk::DataEnd => {
                    if !self.read_line()?.is_empty() {
                        return Err(GetError::BadResponse(
                            "a chunk is longer than its size line says".into(),
                        ));
                    }
                    self.chunk = Chunk::Size;
                }
                Chunk::Trailers => {
                    if self.read_line()?.is_empty() {
                        self.chunk = Chunk::Done;
                    }
                }
                Chunk::Done => return Ok(0),
            }
        }
    }

    /// One line of a chunked body, without its CRLF (or bare LF), at most
    /// [`MAX_CHUNK_LINE_BYTES`] long.
    fn read_line(&mut self) -> Result<Vec<u8>, GetError> {
        let mut line = Vec::new();
        loop {
            if self.pending_start == self.pending.len() {
                self.pending.resize(MAX_CHUNK_LINE_BYTES, 0);
                self.pending_start = 0;
                let count = self.wire.receive(&mut self.pending)?;
                self.pending.truncate(count);
                if count == 0 {
                    return Err(self.truncated());
                }
            }
            let pending = &self.pending[self.pending_start..];
            match pending.iter().position(|&byte| byte == b'\n') {
                Some(end) => {
                    line.extend_from_slice(&pending[..end]);
                    self.pending_start += end + 1;
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    return Ok(line);
                }
                None => {
                    line.extend_from_slice(pending);
                    self.pending_start = self.pending.len();
                }
            }
            if line.len() > MAX_CHUNK_LINE_BYTES {
                return Err(GetError::BadResponse(format!(
                    "a chunk-size line is longer than {MAX_CHUNK_LINE_BYTES} bytes"
                )));
            }
        }
    }

    fn truncated(&self) -> GetError {
        GetError::TruncatedBody {
            received: self.received,
            expected: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: u16, headers: &[(&str, &str)]) -> Head {
        Head {
            version: Version::Http10,
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
                Framing::Length(5),
            ),
            (
                Method::Get,
                200,
                &[("content-length", " 0 ")],
                Framing::Length(0),
            ),
            (Method::Get, 200, &[], Framing::UntilClose),
            (
                Method::Get,
                200,
                &[("Transfer-Encoding", "chunked")],
                Framing::Chunked,
            ),
            (
                Method::Get,
                200,
                &[
                    ("Content-Length", "5"),
                    ("Transfer-Encoding", "gzip, chunked"),
                ],
                Framing::Chunked,
            ),
            (
                Method::Get,
                200,
                &[("Content-Length", "5"), ("Content-Length", "5")],
                Framing::Length(5),
            ),
            (
                Method::Head,
                200,
                &[("Content-Length", "5")],
                Framing::Empty,
            ),
            (Method::Get, 304, &[("Content-Length", "5")], Framing::Empty),
            (Method::Get, 204, &[], Framing::Empty),
            (
                Method::Get,
                404,
                &[("Content-Length", "9")],
                Framing::Length(9),
            ),
        ] {
            assert_eq!(
                framing(method, &head(status, headers)).expect("valid"),
                want,
                "{method:?} {status} {headers:?}"
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
}
