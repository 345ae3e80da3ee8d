//! httpget reading a reply's body: the framing decision (`framing`) and `ReplyBody::read`,
//! chunked decoding included, with the bytes in reads of fuzzer-chosen sizes (some of them
//! already received with the head), read into buffers of a fuzzer-chosen size.
//!
//! Each body is checked against a reference written here, small enough to be obviously right:
//! a strict chunked decoder (RFC 9112 §7.1 as `chunked.rs` documents it) and the three other
//! framings. The bytes handed out must equal the reference's, and both must agree on whether
//! the body is complete or broken.
//!
//! Input: a mode byte, a byte for how much arrived with the head, a byte for the read buffer's
//! size, then read sizes and the bytes (see `split_input`). Modes: a chunked body; a body of
//! `Content-Length` near the bytes' length; a body until the server closes; a whole reply
//! (head, then body) framed as its head says, for GET or HEAD.

#![no_main]

use http10::client::{
    framing, parse_reply_head, BodyFraming, GetError, Method, Parsed, ReplyBody, ReplyHead, Silent,
    MAX_CHUNK_LINE_BYTES,
};
use http10_fuzz::{split_input, Pieces};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [mode, with_head, buffer_size, rest @ ..] = data else {
        return;
    };
    let (sizes, stream) = split_input(rest);
    let buffer_size = match *buffer_size {
        0..=199 => usize::from(*buffer_size) + 1,
        big => usize::from(big - 199) * 1024,
    };
    let (body_framing, body) = match mode % 4 {
        0 => (BodyFraming::Chunked, stream),
        1 => {
            let length = (stream.len() + usize::from(mode >> 2)).saturating_sub(32);
            (BodyFraming::Length(length as u64), stream)
        }
        2 => (BodyFraming::UntilClose, stream),
        _ => {
            let Ok(Parsed::Complete(head, length)) = parse_reply_head(stream) else {
                return;
            };
            let method = if mode & 4 != 0 {
                Method::Head
            } else {
                Method::Get
            };
            let want = reference_framing(method, &head);
            match framing(method, &head) {
                Ok(got) => {
                    assert_eq!(Some(got), want, "framing of {:?}", head.headers);
                    (got, &stream[length..])
                }
                Err(_) => {
                    assert_eq!(None, want, "framing of {:?} refused", head.headers);
                    return;
                }
            }
        }
    };

    let pending_length = usize::from(*with_head) * body.len() / 255;
    let (pending, later) = body.split_at(pending_length);
    let mut observer = Silent;
    let mut reply_body = ReplyBody::from_reader(
        Pieces::new(later, sizes),
        body_framing,
        pending.to_vec(),
        &mut observer,
    );
    let (got, got_complete) = read_all(&mut reply_body, buffer_size);
    let (want, want_complete) = reference_body(body_framing, body);
    assert_eq!(
        got_complete,
        want_complete,
        "complete? ReplyBody says {got_complete}, the reference {want_complete}, for {:?}",
        String::from_utf8_lossy(body)
    );
    assert!(
        got == want,
        "ReplyBody gave {:?}, the reference {:?}, for {:?}",
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want),
        String::from_utf8_lossy(body)
    );
});

/// Every byte `ReplyBody` hands out, and whether it ended complete (`Ok(0)`) or with an error
/// (a broken or truncated body).
fn read_all(body: &mut ReplyBody<'_>, buffer_size: usize) -> (Vec<u8>, bool) {
    let mut all = Vec::new();
    let mut buffer = vec![0; buffer_size];
    loop {
        match body.read(&mut buffer) {
            Ok(0) => return (all, true),
            Ok(count) => all.extend_from_slice(&buffer[..count]),
            Err(
                GetError::BadChunkSize { .. }
                | GetError::ChunkLongerThanSize
                | GetError::ChunkLineTooLong
                | GetError::TruncatedBody { .. },
            ) => return (all, false),
            Err(other) => panic!("a body in memory failed with {other:?}"),
        }
    }
}

/// The body as the framing says, and whether it is complete.
fn reference_body(framing: BodyFraming, bytes: &[u8]) -> (Vec<u8>, bool) {
    match framing {
        BodyFraming::Empty => (Vec::new(), true),
        BodyFraming::UntilClose => (bytes.to_vec(), true),
        BodyFraming::Length(length) => {
            let available = usize::try_from(length).map_or(bytes.len(), |n| n.min(bytes.len()));
            (bytes[..available].to_vec(), available as u64 == length)
        }
        BodyFraming::Chunked => {
            let mut data = Vec::new();
            let complete = reference_chunked(bytes, &mut data).is_some();
            (data, complete)
        }
    }
}

/// Decodes a chunked body, appending the data bytes to `data` as they come; `None` where it
/// is broken or ends early. The grammar (RFC 9112 §7.1, as `chunked.rs` documents it):
///
/// ```text
/// chunked-body = *chunk last-chunk trailer-section
/// chunk        = chunk-size [ *(SP / HTAB) ";" anything ] line-end  chunk-data line-end
/// last-chunk   = 1*"0" [ *(SP / HTAB) ";" anything ] line-end
/// trailer-section = *(non-empty line) line-end
/// chunk-size   = 1*HEXDIG (at most u64)        line-end = [ CR ] LF
/// ```
///
/// Every line, without its line end, is at most `MAX_CHUNK_LINE_BYTES` long. What follows the
/// trailers is not part of the body.
fn reference_chunked(mut bytes: &[u8], data: &mut Vec<u8>) -> Option<()> {
    loop {
        let size = chunk_size(line(&mut bytes)?)?;
        if size == 0 {
            break;
        }
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if bytes.len() < size {
            data.extend_from_slice(bytes);
            return None;
        }
        let (chunk, after) = bytes.split_at(size);
        data.extend_from_slice(chunk);
        bytes = after;
        if !line(&mut bytes)?.is_empty() {
            return None;
        }
    }
    while !line(&mut bytes)?.is_empty() {}
    Some(())
}

/// The next line, without its LF and one CR before it; `None` if no LF ends it or it is too
/// long.
fn line<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
    let end = bytes.iter().position(|&byte| byte == b'\n')?;
    let line = &bytes[..end];
    *bytes = &bytes[end + 1..];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    (line.len() <= MAX_CHUNK_LINE_BYTES).then_some(line)
}

/// `1*HEXDIG`, then optional spaces or tabs, then the end or `;` and extensions (ignored).
fn chunk_size(line: &[u8]) -> Option<u64> {
    let digits = line
        .iter()
        .take_while(|byte| byte.is_ascii_hexdigit())
        .count();
    if digits == 0 {
        return None;
    }
    let after = &line[digits..];
    let blanks = after
        .iter()
        .take_while(|&&byte| byte == b' ' || byte == b'\t')
        .count();
    let after = &after[blanks..];
    if !after.is_empty() && after[0] != b';' {
        return None;
    }
    let mut size: u64 = 0;
    for &byte in &line[..digits] {
        let digit = u64::from(char::from(byte).to_digit(16)?);
        size = size.checked_mul(16)?.checked_add(digit)?;
    }
    Some(size)
}

/// How a reply's body is framed (RFC 1945 §7.2; RFC 9112 §6.3 for chunked), `None` when the
/// head cannot say (a `Content-Length` that is not `1*DIGIT`, or two that differ).
fn reference_framing(method: Method, head: &ReplyHead) -> Option<BodyFraming> {
    if method == Method::Head
        || (100..200).contains(&head.status)
        || [204, 304].contains(&head.status)
    {
        return Some(BodyFraming::Empty);
    }
    let named = |name: &'static str| {
        head.headers
            .iter()
            .filter(move |(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim_matches([' ', '\t']))
    };
    // Transfer-Encoding, when present, decides alone, by the last coding of all its lines.
    let mut codings = named("Transfer-Encoding").peekable();
    if codings.peek().is_some() {
        let last = codings
            .flat_map(|value| value.split(','))
            .map(|coding| coding.trim_matches([' ', '\t']))
            .filter(|coding| !coding.is_empty())
            .last();
        return Some(match last {
            Some(coding) if coding.eq_ignore_ascii_case("chunked") => BodyFraming::Chunked,
            _ => BodyFraming::UntilClose,
        });
    }
    let mut length = None;
    for value in named("Content-Length") {
        if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let value: u64 = value.parse().ok()?;
        if length.is_some_and(|earlier| earlier != value) {
            return None;
        }
        length = Some(value);
    }
    Some(match length {
        Some(length) => BodyFraming::Length(length),
        None => BodyFraming::UntilClose,
    })
}
