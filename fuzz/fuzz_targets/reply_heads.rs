//! httpget reading a reply's head: `parse_reply_head` on the bytes received so far, asked
//! again after every read as `read_reply_head` does, reads of fuzzer-chosen sizes.
//!
//! Checked:
//! * the verdict does not depend on how the head was split: a prefix that is already
//!   `Complete`, `Http09` or an error gives the same verdict for all the bytes, and a prefix
//!   shorter than a complete head is `Partial`;
//! * a complete head's `raw` is exactly its first bytes and ends with a blank line; the
//!   status is at most three digits; header names are tokens;
//! * a redirect it names (`next_hop`), built into httpget's next request (`build_request`),
//!   cannot smuggle a header or a line into that request: the request is
//!   `GET <path> HTTP/1.0`, `Name: value` lines, CRLF each, with no control characters.

#![no_main]

use http10::client::{
    build_request, framing, next_hop, parse_input, parse_reply_head, Method, NextHop, Options,
    Parsed, Target,
};
use http10_fuzz::split_input;
use libfuzzer_sys::fuzz_target;

/// How many reads' verdicts are compared with the whole head's.
const MAX_READS: usize = 64;

fuzz_target!(|data: &[u8]| {
    let (sizes, stream) = split_input(data);
    let whole = parse_reply_head(stream);

    // The verdict after each read, as the client asks it: the first reads only, since each
    // parse looks at every byte so far (a head read byte by byte is a quadratic cost here).
    let mut end = 0;
    let mut read = 0;
    while end < stream.len() && read < MAX_READS {
        end = (end + sizes[read % sizes.len()]).min(stream.len());
        read += 1;
        let prefix = &stream[..end];
        match (parse_reply_head(prefix), &whole) {
            (Ok(Parsed::Partial), Ok(Parsed::Complete(_, length))) => {
                assert!(
                    end < *length,
                    "partial at {end} bytes, complete at {length}"
                )
            }
            (Ok(Parsed::Partial), Ok(Parsed::Http09)) => {
                assert!(b"HTTP/".starts_with(prefix), "partial, then HTTP/0.9")
            }
            (Ok(Parsed::Partial), _) => {}
            (Ok(early), Ok(late)) => assert_eq!(&early, late, "verdict changed with more bytes"),
            (Err(_), Err(_)) => {}
            (early, late) => panic!("after {end} bytes {early:?}, after all {late:?}"),
        }
    }

    let Ok(Parsed::Complete(head, length)) = whole else {
        return;
    };
    assert!(length <= stream.len());
    assert_eq!(head.raw, &stream[..length]);
    assert!(
        head.raw.ends_with(b"\n\n") || head.raw.ends_with(b"\n\r\n"),
        "head ends {:?}",
        String::from_utf8_lossy(&head.raw)
    );
    // Three digits (RFC 1945 §6.1.1), "099" included: httparse reads it as 99.
    assert!(head.status <= 999, "status {}", head.status);
    for (name, _) in &head.headers {
        assert!(
            !name.is_empty() && name.bytes().all(http10::headers::is_token_byte),
            "header name {name:?}"
        );
    }
    let _ = framing(Method::Get, &head);

    let current = parse_input("http://127.0.0.1:8080/dir/page?q=1").expect("a URL");
    let Ok(NextHop::To(next)) = next_hop(&current, &head) else {
        return;
    };
    let Ok(target) = Target::from_url(&next) else {
        return; // not http://: httpget stops there
    };
    let request = build_request(&target, &Options::default());
    let request = String::from_utf8(request).expect("a request is text");
    let head = request
        .strip_suffix("\r\n\r\n")
        .unwrap_or_else(|| panic!("request {request:?} does not end its head"));
    let mut lines = head.split("\r\n");
    let request_line = lines.next().expect("a request line");
    let parts: Vec<&str> = request_line.split(' ').collect();
    assert!(
        matches!(parts.as_slice(), ["GET", path, "HTTP/1.0"] if path.starts_with('/')),
        "request line {request_line:?} from Location {:?}",
        next.as_str()
    );
    for line in lines {
        assert!(line.contains(": "), "header line {line:?}");
    }
    for line in head.split("\r\n") {
        assert!(
            !line.chars().any(char::is_control),
            "control character in {line:?} of the request for {:?}",
            next.as_str()
        );
    }
});
