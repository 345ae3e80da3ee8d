//! The client's chunked decoding: `Transfer-Encoding: chunked` (RFC 9112 §7.1).
//!
//! Chunked framing is HTTP/1.1's: a server should never send it to an HTTP/1.0 client, but some
//! do, so `httpget` decodes it (and `-v` says so). The body arrives as
//!
//! ```text
//! 5\r\n            chunk-size in hex, maybe followed by ";extension"
//! hello\r\n        that many bytes, then CRLF
//! 0\r\n            the last chunk: size 0
//! \r\n             optional trailer lines, then an empty line
//! ```
//!
//! `ReplyBody::decode_chunked` hands out the data bytes and nothing else; [`parse_chunk_size`]
//! reads one size line, as strictly as `Content-Length` is read.

use super::body::ReplyBody;
use super::GetError;

/// The longest chunk-size line (or trailer line) read in a chunked body.
pub const MAX_CHUNK_LINE_BYTES: usize = 4096;

/// Where a chunked body's decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChunkState {
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

/// The size in a chunk-size line (its CRLF already removed).
///
/// RFC 9112 §7.1: `chunk-size = 1*HEXDIG`, then optional `;name=value` extensions (which we
/// ignore), with optional spaces or tabs before the `;`. Only hex digits count: `+5`, ` 5` or
/// `0x5` are refused, as strictly as a `Content-Length` that is not all digits.
pub fn parse_chunk_size(line: &[u8]) -> Result<u64, GetError> {
    let size_text = line.split(|&byte| byte == b';').next().unwrap_or(&[]);
    // The spaces and tabs allowed before ';' (RFC 9112's BWS); none before the digits. Only
    // those two: `trim_ascii_end` would also take a form feed or a stray CR.
    let blanks = size_text
        .iter()
        .rev()
        .take_while(|&&byte| byte == b' ' || byte == b'\t')
        .count();
    let digits = &size_text[..size_text.len() - blanks];
    let not_hex = || GetError::BadChunkSize {
        line: line.to_vec(),
    };
    if digits.is_empty() {
        return Err(not_hex());
    }
    let mut size: u64 = 0;
    for &byte in digits {
        let digit = char::from(byte).to_digit(16).ok_or_else(not_hex)?;
        size = size
            .checked_mul(16)
            .and_then(|size| size.checked_add(u64::from(digit)))
            .ok_or_else(not_hex)?;
    }
    Ok(size)
}

impl ReplyBody<'_> {
    /// Reads the next data bytes of a chunked body into `buffer`; `Ok(0)` after the last chunk
    /// and its trailers.
    pub(super) fn decode_chunked(&mut self, buffer: &mut [u8]) -> Result<usize, GetError> {
        loop {
            match self.chunk {
                ChunkState::Size => {
                    let size = parse_chunk_size(self.read_chunk_line()?)?;
                    self.chunk = if size == 0 {
                        ChunkState::Trailers
                    } else {
                        ChunkState::Data(size)
                    };
                }
                ChunkState::Data(left) => {
                    let want = buffer
                        .len()
                        .min(usize::try_from(left).unwrap_or(usize::MAX));
                    let count = self.raw_read(&mut buffer[..want])?;
                    if count == 0 {
                        return Err(self.truncated());
                    }
                    let left = left - count as u64;
                    self.chunk = if left == 0 {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left)
                    };
                    return Ok(count);
                }
                ChunkState::DataEnd => {
                    if !self.read_chunk_line()?.is_empty() {
                        return Err(GetError::ChunkLongerThanSize);
                    }
                    self.chunk = ChunkState::Size;
                }
                ChunkState::Trailers => {
                    if self.read_chunk_line()?.is_empty() {
                        self.chunk = ChunkState::Done;
                    }
                }
                ChunkState::Done => return Ok(0),
            }
        }
    }

    /// One line of a chunked body, without its CRLF (or bare LF), at most
    /// [`MAX_CHUNK_LINE_BYTES`] long. It is gathered in `chunk_line`, which keeps its memory
    /// from one line to the next: no allocation per chunk.
    fn read_chunk_line(&mut self) -> Result<&[u8], GetError> {
        self.chunk_line.clear();
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
            let line = &mut self.chunk_line;
            match pending.iter().position(|&byte| byte == b'\n') {
                Some(end) => {
                    line.extend_from_slice(&pending[..end]);
                    self.pending_start += end + 1;
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    // Checked on every line, however it arrived: whole with the head, or in
                    // reads that split it anywhere.
                    if line.len() > MAX_CHUNK_LINE_BYTES {
                        return Err(GetError::ChunkLineTooLong);
                    }
                    return Ok(&self.chunk_line);
                }
                None => {
                    line.extend_from_slice(pending);
                    self.pending_start = self.pending.len();
                }
            }
            // Unfinished, and longer than the limit even if its last byte is a CR to drop:
            // no need to read the rest of it.
            if self.chunk_line.len() > MAX_CHUNK_LINE_BYTES + 1 {
                return Err(GetError::ChunkLineTooLong);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_size_lines_are_hex_with_optional_extensions() {
        for (line, want) in [
            (&b"0"[..], 0),
            (b"5", 5),
            (b"1a", 26),
            (b"FF", 255),
            (b"10;name=value", 16),
            (b"10 ;name=value", 16),
            (b"00000000000000000005", 5),
        ] {
            assert_eq!(parse_chunk_size(line).expect("valid"), want, "{line:?}");
        }
    }

    #[test]
    fn chunk_size_lines_that_are_not_hex_are_bad_responses() {
        for line in [
            &b""[..],
            b"zz",
            b"-1",
            b"+5",
            b"+0",
            b" 5",
            b"0x10",
            b"5 5",
            b"11111111111111111",
            // Only spaces and tabs may follow the digits (RFC 9112's BWS): not a form feed,
            // not a second CR (`5\r\r\n` on the wire), not a vertical tab.
            b"5\x0c",
            b"5\r",
            b"5\x0b;x",
        ] {
            let error = parse_chunk_size(line).expect_err("invalid");
            assert!(
                matches!(&error, GetError::BadChunkSize { line: quoted } if quoted == line),
                "{line:?}: {error:?}"
            );
        }
    }

    /// Decodes `body`, of which `with_head` bytes came with the head and the rest arrives in
    /// reads of at most 4 KiB; the error if the decoder refuses it.
    fn decode(body: &[u8], with_head: usize) -> Result<Vec<u8>, GetError> {
        let mut observer = crate::client::Silent;
        let (pending, later) = body.split_at(with_head);
        let framing = crate::client::BodyFraming::Chunked;
        let mut reply = ReplyBody::from_reader(later, framing, pending.to_vec(), &mut observer);
        let mut data = Vec::new();
        let mut buffer = [0; 100];
        loop {
            match reply.read(&mut buffer) {
                Ok(0) => return Ok(data),
                Ok(count) => data.extend_from_slice(&buffer[..count]),
                Err(error) => return Err(error),
            }
        }
    }

    #[test]
    fn a_chunk_line_over_the_limit_is_refused_however_it_arrived() {
        // The limit held only for a line still unfinished at the end of a read: a line that
        // came whole with the head, or ended in the read after one that filled the buffer,
        // was taken at any length (seen while writing the reply_bodies fuzz target's
        // reference decoder, which holds every line to the limit).
        let zeros = "0".repeat(MAX_CHUNK_LINE_BYTES - 1);
        let fits = format!("{zeros}5\r\nhello\r\n0\r\n\r\n");
        let too_long = format!("0{zeros}5\r\nhello\r\n0\r\n\r\n");
        let long_trailer = format!("0\r\nX: {}\r\n\r\n", "t".repeat(MAX_CHUNK_LINE_BYTES));
        for with_head in [0, 1, 100, MAX_CHUNK_LINE_BYTES + 3] {
            let decoded = decode(fits.as_bytes(), with_head).expect("fits");
            assert_eq!(decoded, b"hello", "{with_head} bytes with the head");
            for refused in [&too_long, &long_trailer] {
                let error = decode(refused.as_bytes(), with_head).expect_err("too long");
                assert!(
                    matches!(error, GetError::ChunkLineTooLong),
                    "{with_head}: {error:?}"
                );
            }
        }
    }
}
