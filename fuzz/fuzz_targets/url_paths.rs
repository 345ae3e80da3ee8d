//! From a request target to a file: `split_target`, `decode_path`, then `files::serve`
//! against the fixture folder, with any target text (control characters too: `serve` must not
//! rely on the request line's checks) and a `Host` of the fuzzer's choosing.
//!
//! Input: one byte of flags (HEAD or GET, which `If-Modified-Since`, whether a redirect may
//! name a host), then the target, then optionally `\n` and a `Host` header value.
//!
//! Checked:
//! * `split_target`: the path starts with `/` and holds no `?` or `#`; path and query are
//!   pieces of the target;
//! * `decode_path`: no segment is empty, `.`, `..`, or holds `/` or NUL, so the segments
//!   joined onto the root are plain names beneath it; encoding the segments again
//!   (`encode_path`) and decoding gives the same segments;
//! * `is_valid_host`: a host it accepts holds only letters, digits, `-._:[]`;
//! * `parse_target` refuses a path with a 400 (404 only for Windows' reserved names, never
//!   made on Linux); `serve` (given the parsed target): the response passes `check_response`
//!   (no control character in `Location`, `Content-Length` true, nothing from outside the root).

#![no_main]

use std::path::{Component, Path};
use std::time::{Duration, Instant, UNIX_EPOCH};

use http10::server::files::{self, FileRequest};
use http10::server::request::Version;
use http10::server::response::{Framing, Persistence};
use http10::server::send::{Outgoing, Sent};
use http10::server::url_path::{
    decode_path, encode_path, is_valid_host, parse_target, redirect_authority, split_target,
    TargetError,
};
use http10_fuzz::{check_response, fixture, Expect};
use libfuzzer_sys::fuzz_target;

/// `If-Modified-Since` values: none, the distant past, the far future (ignored), the year
/// 2100's copy (current), garbage.
const IF_MODIFIED_SINCE: [Option<&str>; 5] = [
    None,
    Some("Thu, 01 Jan 1970 00:00:00 GMT"),
    Some("Sat, 01 Jan 2500 00:00:00 GMT"),
    Some("Sun, 01 Jan 2090 00:00:00 GMT"),
    Some("yesterday"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (target, host) = match text.split_once('\n') {
        Some((target, host)) => (target, Some(host)),
        None => (text, None),
    };

    if let Some(host) = host {
        if is_valid_host(host) {
            assert!(
                host.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b)),
                "is_valid_host accepted {host:?}"
            );
        }
    }

    // A target that is neither a path nor an http URI never reaches `serve`: `routes::respond`
    // answers it 400 (its unit tests check that).
    let Some(parts) = split_target(target) else {
        return;
    };
    assert!(parts.path.starts_with('/'), "path {:?}", parts.path);
    assert!(!parts.path.contains(['?', '#']), "path {:?}", parts.path);
    assert!(target.contains(parts.path), "path not from {target:?}");
    if let Some(query) = parts.query {
        assert!(!query.contains('#'), "query {query:?}");
        assert!(target.contains(query), "query not from {target:?}");
    }
    let target = match parse_target(target) {
        // `routes::respond` answers these itself, before any file is looked for.
        Err(TargetError::NotAPath) => unreachable!("split_target took {target:?}"),
        Err(TargetError::Path(error)) => {
            assert_eq!(error.status().code(), 400, "{target:?}: {error:?}");
            return;
        }
        Ok(target) => target,
    };
    for segment in &target.path.segments {
        check_plain_name(segment);
    }
    let again = decode_path(&encode_path(&target.path.segments)).expect("an encoded path decodes");
    assert_eq!(again.segments, target.path.segments, "encode, decode");

    let site = &fixture().site;
    let root = &site.root;
    let arrived_on = || "127.0.0.1:8080".parse().ok();
    let authority = || {
        if flags & 2 != 0 {
            redirect_authority(host, arrived_on)
        } else {
            None
        }
    };
    let if_modified_since = IF_MODIFIED_SINCE[usize::from(flags >> 2) % IF_MODIFIED_SINCE.len()];
    let request = FileRequest {
        target: &target,
        method: if flags & 1 != 0 { "HEAD" } else { "GET" },
        version: Version::Http11,
        if_modified_since,
        authority: &authority,
    };
    let cache = site.cache.as_ref();
    let response = files::serve(root, cache, site.show_hidden, &request, Instant::now());
    let framing = Framing {
        head_only: flags & 1 != 0,
        simple: false,
        persistence: Persistence::Close,
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    let mut outgoing = Outgoing::new(response, framing, now).expect("the fixture's files read");
    let mut bytes = Vec::new();
    assert_eq!(outgoing.write_to(&mut bytes).expect("into memory"), Sent::All);
    let expect = Expect {
        simple: false,
        head_only: framing.head_only,
    };
    check_response(&bytes, expect, data);
});

/// A segment joined onto the root must be one plain name: it cannot climb out.
fn check_plain_name(segment: &str) {
    assert!(
        !segment.is_empty() && segment != "." && segment != "..",
        "segment {segment:?}"
    );
    assert!(!segment.contains(['/', '\0']), "segment {segment:?}");
    let components: Vec<Component> = Path::new(segment).components().collect();
    assert!(
        matches!(components.as_slice(), [Component::Normal(name)] if *name == segment),
        "segment {segment:?} is not one plain name"
    );
}
