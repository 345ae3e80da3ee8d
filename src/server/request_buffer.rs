//! Step 1c: collecting a request off a non-blocking socket. TCP delivers bytes, not messages:
//! one `read` may return half a line or two requests. A [`RequestBuffer`] keeps what has
//! arrived, says whether a whole request is there yet ([`Gathering`]), and gives up with a
//! status code when the client sends too much. Time limits are kept by the server loop, which
//! owns the clock.

use std::io::{self, Read};

use super::request::{
    body_length, parse_head, rejected, too_large_head, HeadStatus, Rejected, Request, RequestError,
    MAX_HEAD_BYTES, MAX_REQUEST_LINE_BYTES,
};

/// How much [`RequestBuffer::read_from`] asks the kernel for in one `read`.
pub const READ_CHUNK: usize = 4096;

/// How far the bytes received so far go towards the next request.
#[derive(Debug)]
pub enum Gathering {
    /// Not yet a whole head (perhaps nothing at all): read more.
    NeedHead,
    /// A whole head, but not yet all of the body its `Content-Length` announces: read more.
    NeedBody,
    /// A whole request, now taken off the front of the buffer.
    Complete(Request),
}

/// The bytes a client has sent and the server has not used yet.
///
/// TCP is a stream: the server reads whatever has arrived ([`read_from`](Self::read_from)),
/// then asks whether a whole request is there yet ([`take_request`](Self::take_request)).
/// Neither call waits, so one thread can keep a buffer like this for each of many clients and
/// read from whichever socket has bytes. Anything after a complete request (a second,
/// pipelined request) stays in the buffer for the next call.
#[derive(Debug, Default)]
pub struct RequestBuffer {
    received: Vec<u8>,
    /// How much of `received` was looked at without finding the end of a line; a head can
    /// only become complete (or wrong) where a line ends, so those bytes need no second look.
    examined: usize,
    /// A head already complete whose body is still arriving, with the head's length and the
    /// body's.
    awaiting_body: Option<(Request, usize, usize)>,
}

impl RequestBuffer {
    /// An empty buffer.
    pub fn new() -> RequestBuffer {
        RequestBuffer::default()
    }

    /// Whether nothing is waiting to be used: no part of a next request has arrived.
    pub fn is_empty(&self) -> bool {
        self.received.is_empty()
    }

    /// One `read` from `source` into `scratch` (any size; the server passes one
    /// [`READ_CHUNK`] buffer shared by all its connections), keeping only the bytes that
    /// arrived; `Ok(0)` means the client closed its side.
    pub fn read_from(&mut self, source: &mut impl Read, scratch: &mut [u8]) -> io::Result<usize> {
        let count = source.read(scratch)?;
        self.received.extend_from_slice(&scratch[..count]);
        Ok(count)
    }

    /// The first line of what has arrived (at most a bounded length), for the access log of
    /// a request that never arrived in full.
    pub fn first_line(&self) -> Vec<u8> {
        let after_blanks = self
            .received
            .iter()
            .position(|&byte| byte != b'\r' && byte != b'\n')
            .unwrap_or(self.received.len());
        rejected(RequestError::HeadTooLarge, &self.received[after_blanks..]).first_line
    }

    /// Takes the next whole request off the front of the buffer, if it has all arrived; says
    /// what is still missing otherwise. A request that breaks a rule is [`Rejected`].
    pub fn take_request(&mut self) -> Result<Gathering, Rejected> {
        if let Some((request, head_length, body_length)) = self.awaiting_body.take() {
            return Ok(self.with_body(request, head_length, body_length));
        }
        if is_tls_handshake(&self.received) {
            return Err(Rejected {
                error: RequestError::TlsHandshake,
                first_line: TLS_LOG_LINE.to_vec(),
            });
        }
        let no_new_line_end = !self.received[self.examined..].contains(&b'\n');
        let under_limits =
            self.received.len() < MAX_HEAD_BYTES && self.received.len() <= MAX_REQUEST_LINE_BYTES;
        if no_new_line_end && under_limits {
            self.examined = self.received.len();
            return Ok(Gathering::NeedHead);
        }
        match parse_head(&self.received)? {
            HeadStatus::Complete(head) => {
                let body_length = body_length(&head.request)?;
                Ok(self.with_body(head.request, head.length, body_length))
            }
            // Checked on the whole buffer, blank lines before the request included, so no
            // input can make it grow past the limit.
            HeadStatus::Partial if self.received.len() >= MAX_HEAD_BYTES => {
                Err(too_large_head(&self.received))
            }
            HeadStatus::Partial => {
                self.examined = self.received.len();
                Ok(Gathering::NeedHead)
            }
        }
    }

    /// The request whose head is complete, once its body has arrived too.
    fn with_body(
        &mut self,
        mut request: Request,
        head_length: usize,
        body_length: usize,
    ) -> Gathering {
        let end = head_length + body_length;
        if self.received.len() < end {
            self.awaiting_body = Some((request, head_length, body_length));
            return Gathering::NeedBody;
        }
        request.body = self.received[head_length..end].to_vec();
        self.received.drain(..end);
        self.examined = 0;
        Gathering::Complete(request)
    }
}

/// What the access log shows instead of the request line of a TLS handshake.
pub const TLS_LOG_LINE: &[u8] = b"TLS handshake on a plain-HTTP port";

/// Whether the bytes start a TLS record carrying a handshake: a browser or curl asked for
/// `https://` on this plain-HTTP port. RFC 8446 §5.1: a record starts with its content type
/// (22 is `handshake`) and a legacy version whose first byte is 3 (SSL 3.0, TLS 1.0 … 1.3 all
/// write 3.x there).
pub fn is_tls_handshake(received: &[u8]) -> bool {
    received.starts_with(&[22, 3])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tls_client_hello_is_named_not_parsed() {
        // The first bytes curl sends to https://127.0.0.1:8080/ (a TLS 1.0 record header,
        // a ClientHello's type and length).
        let hello = [22, 3, 1, 2, 0, 1, 0, 1, 252, 3, 3];
        let mut buffer = RequestBuffer::new();
        let mut source: &[u8] = &hello;
        buffer.read_from(&mut source, &mut [0; 64]).expect("read");
        match buffer.take_request() {
            Err(Rejected { error, first_line }) => {
                assert_eq!(error, RequestError::TlsHandshake);
                assert_eq!(first_line, TLS_LOG_LINE);
            }
            other => panic!("not named as TLS: {other:?}"),
        }
        assert!(!is_tls_handshake(b"GET / HTTP/1.0\r\n"));
        assert!(!is_tls_handshake(&[22]));
    }
}
