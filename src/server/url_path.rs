//! From a request target to a list of path segments — the path-traversal guard.
//!
//! The rules, in the order they are applied:
//!
//! 1. The target is `/path?query`, or an absolute `http://host/path?query`, which RFC 1945
//!    §5.1.2 allows only towards a proxy but RFC 9112 §3.2.2 makes every server take: "A server
//!    MUST accept the absolute-form in requests even though most HTTP/1.1 clients will only
//!    send the absolute-form to a proxy." The query and any `#fragment` are not part of the
//!    file path ([`split_target`]).
//! 2. The path is percent-decoded (RFC 1945 §3.2.1, RFC 3986 §2.1) and read as UTF-8, as
//!    RFC 3986 §2.5 advises for text and as browsers send it. A malformed escape (`%zz`),
//!    `%00`, or bytes that are not UTF-8 → **400** ([`decode_path`]).
//! 3. The decoded path is split on `/` *after* decoding, so `%2F` is a separator too. Empty
//!    segments and `.` are dropped; `..` removes the previous segment, as a browser does
//!    (`/a/../b` is `/b`; RFC 3986 §5.2.4). A `..` that would climb above the served folder →
//!    **400 Bad Request**: no honest client sends one (browsers and curl remove them before
//!    sending), so it is a malformed request, answered the way nginx answers it.
//!
//! 4. On Windows, a name holding `\` or `:` (another drive, a share, a pipe) → **400**, and a
//!    device name (`CON`, `NUL`, `COM1`…) or a name ending in a dot or a space → **404**, before
//!    anything is opened ([`windows_name_rule`]).
//!
//! [`parse_target`] applies rules 1 to 4 once, and hands the routes and the file server a
//! [`Target`]: neither goes back to the text.
//!
//! What is left is a list of plain names with no `/`, `.` or `..` among them: joined, they name
//! something inside the served folder — unless a symlink leads out, which
//! [`root`](super::root) checks when it opens the file. (A backslash is an ordinary character
//! in a Linux file name, so there `..\..\etc` names a file called that, which does not exist →
//! 404.)
//!
//! Try: `curl -v --path-as-is http://127.0.0.1:8080/../etc/passwd` (400).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use crate::escape::UNRESERVED;
use crate::status::Status;
use percent_encoding::{
    percent_decode_str, percent_encode, utf8_percent_encode, AsciiSet, CONTROLS,
};

/// The parts of a request target the file server uses.
#[derive(Debug, PartialEq, Eq)]
pub struct TargetParts<'a> {
    /// The path, still percent-encoded: `/a%20b/`.
    pub path: &'a str,
    /// The query after `?`, without the `?`.
    pub query: Option<&'a str>,
}

/// Splits a request target into path and query, accepting the absolute form
/// `http://host:port/path` too. `None` if the target is neither form.
pub fn split_target(target: &str) -> Option<TargetParts<'_>> {
    let without_fragment = target.split('#').next().unwrap_or_default();
    let origin_form = if without_fragment.starts_with('/') {
        without_fragment
    } else {
        let lower = without_fragment.get(..7)?.to_ascii_lowercase();
        if lower != "http://" {
            return None;
        }
        let after_scheme = &without_fragment[7..];
        match after_scheme.find(['/', '?']) {
            Some(start) if after_scheme[start..].starts_with('/') => &after_scheme[start..],
            Some(start) => {
                return Some(TargetParts {
                    path: "/",
                    query: Some(&after_scheme[start + 1..]),
                })
            }
            None => "/",
        }
    };
    Some(match origin_form.split_once('?') {
        Some((path, query)) => TargetParts {
            path,
            query: Some(query),
        },
        None => TargetParts {
            path: origin_form,
            query: None,
        },
    })
}

/// A decoded, normalized URL path: its segments, and whether it ended with `/`.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlPath {
    /// Segments between slashes, decoded, without `.`, `..` or empty ones.
    pub segments: Vec<String>,
    /// Whether the path named a folder (`/sub/`) rather than a file (`/sub`).
    pub trailing_slash: bool,
}

/// Why a URL path was refused ([`PathError::status`] says with what).
#[derive(Debug, PartialEq, Eq)]
pub enum PathError {
    /// A `%` not followed by two hex digits.
    MalformedEscape,
    /// `%00`: no file name can hold a NUL byte.
    NulByte,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
    /// A `..` would climb above the served folder.
    ClimbsAboveRoot,
    /// Windows: a name holds `\` or `:`, which would make it a path of its own there (`C:`,
    /// `\\host\share`, `file.txt::$DATA`).
    WindowsSeparator,
    /// Windows: a name that is a device (`CON`, `NUL`, `COM1`, …, with any extension) or that
    /// ends in a dot or a space, which Windows drops: no file can be named so.
    ReservedOnWindows,
}

impl PathError {
    /// A sentence for the error page.
    pub fn explain(&self) -> &'static str {
        match self {
            PathError::MalformedEscape => {
                "The path has a '%' that is not followed by two hex digits."
            }
            PathError::NulByte => "The path contains %00, which no file name can hold.",
            PathError::NotUtf8 => "The path's percent-escapes do not decode to UTF-8 text.",
            PathError::ClimbsAboveRoot => "The path climbs above the served folder with '..'.",
            PathError::WindowsSeparator => {
                "The path has a name with '\\' or ':', which Windows reads as a path of its own."
            }
            PathError::ReservedOnWindows => "There is no file of that name on this server.",
        }
    }

    /// The status it is answered with: 400, a request no honest client sends; but 404 for a
    /// name Windows reserves, a name a link could hold (`/con.txt`) that no file has.
    pub fn status(&self) -> Status {
        match self {
            PathError::ReservedOnWindows => Status::NotFound,
            _ => Status::BadRequest,
        }
    }
}

/// The rules Windows adds for one decoded name, checked before anything is opened.
///
/// On Windows a name with `\` or `:` is not one name: `C:\windows\win.ini` names another
/// drive, `\\host\share\x` another machine (and opening it would send the user's credentials
/// there), `\\.\pipe\x` a named pipe, `notes.txt::$DATA` a stream of a file. And some names
/// are devices in every folder (`CON`, `NUL`, `COM1`…), whatever their extension; a name ending
/// in a dot or a space is trimmed by Windows to another name. None of these may reach the file
/// system: the answer must not depend on what exists outside the folder.
pub fn windows_name_rule(name: &str) -> Result<(), PathError> {
    if name.contains(['\\', ':']) {
        return Err(PathError::WindowsSeparator);
    }
    if name.ends_with(['.', ' ']) {
        return Err(PathError::ReservedOnWindows);
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    let upper = stem.to_uppercase();
    let is_device = match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let numbered = upper.strip_prefix("COM").or(upper.strip_prefix("LPT"));
            matches!(
                numbered,
                Some("0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³")
            )
        }
    };
    if is_device {
        return Err(PathError::ReservedOnWindows);
    }
    Ok(())
}

/// A request target, split and decoded once ([`parse_target`]): what the routes and the file
/// server need, so that neither goes back to the text.
#[derive(Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// The path as sent, still percent-encoded (`/a%20b/`): what a route is matched against.
    pub raw_path: &'a str,
    /// The path decoded into names (rules 2 to 4).
    pub path: UrlPath,
    /// The query after `?`, without the `?`, as sent.
    pub query: Option<&'a str>,
}

/// Why a target names nothing the server can look up.
#[derive(Debug, PartialEq, Eq)]
pub enum TargetError {
    /// Neither `/path` nor `http://host/path` (`*`, `index.html`, an `https://` URI): 400.
    NotAPath,
    /// The path breaks a rule of [`decode_path`].
    Path(PathError),
}

impl TargetError {
    /// The status it is answered with.
    pub fn status(&self) -> Status {
        match self {
            TargetError::NotAPath => Status::BadRequest,
            TargetError::Path(error) => error.status(),
        }
    }

    /// A sentence for the error page.
    pub fn explain(&self) -> &'static str {
        match self {
            TargetError::NotAPath => "The request target must be a path starting with '/'.",
            TargetError::Path(error) => error.explain(),
        }
    }
}

/// Splits a target into path and query ([`split_target`], rule 1) and decodes the path
/// ([`decode_path`], rules 2 to 4): once, for every handler.
pub fn parse_target(target: &str) -> Result<Target<'_>, TargetError> {
    let parts = split_target(target).ok_or(TargetError::NotAPath)?;
    let path = decode_path(parts.path).map_err(TargetError::Path)?;
    Ok(Target {
        raw_path: parts.path,
        path,
        query: parts.query,
    })
}

/// The URL of the folder `target` names, with its trailing slash and its query, for the
/// `Location` of a 301: `http://` + `authority` when there is one ([`redirect_authority`]),
/// else the path alone. Built from the normalized names, so it always starts with a single
/// `/`, and the query is made safe for a header ([`encode_query_for_header`]).
pub fn folder_location(target: &Target<'_>, authority: Option<String>) -> String {
    let mut location = match authority {
        Some(authority) => format!("http://{authority}"),
        None => String::new(),
    };
    location.push_str(&encode_path(&target.path.segments));
    location.push('/');
    if let Some(query) = target.query {
        location.push('?');
        location.push_str(&encode_query_for_header(query));
    }
    location
}

/// Decodes and normalizes the path part of a target (rules 2 and 3 in the module docs).
pub fn decode_path(encoded: &str) -> Result<UrlPath, PathError> {
    let bytes = encoded.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'%' {
            let escape = bytes.get(index + 1..index + 3);
            let valid = matches!(escape, Some(pair) if pair.iter().all(u8::is_ascii_hexdigit));
            if !valid {
                return Err(PathError::MalformedEscape);
            }
        }
    }
    // Borrowed, not copied, when there is nothing to decode (most paths).
    let decoded: Cow<[u8]> = percent_decode_str(encoded).into();
    if decoded.contains(&0) {
        return Err(PathError::NulByte);
    }
    let decoded = std::str::from_utf8(&decoded).map_err(|_| PathError::NotUtf8)?;

    let mut segments: Vec<String> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return Err(PathError::ClimbsAboveRoot);
                }
            }
            name => {
                if cfg!(windows) {
                    windows_name_rule(name)?;
                }
                segments.push(name.to_string());
            }
        }
    }
    let last = decoded.rsplit('/').next().unwrap_or_default();
    let trailing_slash = matches!(last, "" | "." | "..");
    Ok(UrlPath {
        segments,
        trailing_slash,
    })
}

/// Whether a file or folder name is hidden: it begins with `.` (`.git`, `.env`,
/// `.well-known`), the Unix convention `ls` follows. httpserve neither lists nor serves such
/// names unless `--show-hidden` is given: run from a repository's folder, it would otherwise hand
/// `.git/config` to the whole room.
pub fn is_hidden_name(name: &str) -> bool {
    name.starts_with('.')
}

impl UrlPath {
    /// Whether any name on the path is hidden ([`is_hidden_name`]): `/.git/config`,
    /// `/sub/.env/`. Decided on the normalized names, so `/sub/../.env` and `/%2Eenv` are caught
    /// too, before anything is looked up or opened.
    pub fn names_hidden(&self) -> bool {
        self.segments.iter().any(|name| is_hidden_name(name))
    }
}

/// The URL path for `segments`, each percent-encoded: `/a%20b/c`.
pub fn encode_path(segments: &[String]) -> String {
    let mut path = String::new();
    for segment in segments {
        path.push('/');
        path.push_str(&encode_segment(segment));
    }
    path
}

/// One file name as it goes in a link: `a b#1` → `a%20b%231`.
pub fn encode_segment(name: &str) -> String {
    utf8_percent_encode(name, UNRESERVED).collect()
}

/// A query as it may go into a `Location` header: every byte that is not visible ASCII
/// (controls, space, anything non-ASCII) percent-encoded. The server's request-line check
/// already refuses controls and spaces in a target, but a header built from network text
/// must not rely on a check made elsewhere: a CR LF here would start a header of the
/// client's choosing (response splitting).
pub fn encode_query_for_header(query: &str) -> String {
    // `percent_encode` always encodes bytes outside ASCII; these are the ASCII ones to encode.
    const NOT_VISIBLE: &AsciiSet = &CONTROLS.add(b' ');
    percent_encode(query.as_bytes(), NOT_VISIBLE).collect()
}
/// The `host[:port]` a `Location` should name, for a redirect answered to a request with this
/// `Host` header on a connection that arrived at the address `arrived_on` gives (asked only if
/// the `Host` cannot be used: it costs a system call).
///
/// RFC 1945 §10.11 asks for an absolute URI in `Location`. The client's own `Host` header says
/// which name it used to reach the server, so the redirect keeps that name — but only if it
/// is a valid `host[:port]` ([`is_valid_host`]): a `Host` of `evil.example/` or
/// `a@evil.example` must never send the browser elsewhere (an open redirect). Otherwise, the
/// address the connection arrived on.
pub fn redirect_authority(
    host_header: Option<&str>,
    arrived_on: impl FnOnce() -> Option<SocketAddr>,
) -> Option<String> {
    if let Some(host) = host_header.filter(|host| is_valid_host(host)) {
        return Some(host.to_string());
    }
    let address = arrived_on()?;
    Some(match address.ip() {
        IpAddr::V4(ip) => format!("{ip}:{}", address.port()),
        IpAddr::V6(ip) => format!("[{ip}]:{}", address.port()),
    })
}

/// Whether `text` is a host as a URL may name it, optionally with a port: a name of letters,
/// digits, `-`, `_` and `.` (which covers IPv4 addresses), or an IPv6 address in brackets;
/// then `:` and up to five digits. Nothing else: no `/`, `@`, `\`, `%`, spaces or control
/// characters, which could turn the URL into one that leads somewhere else.
pub fn is_valid_host(text: &str) -> bool {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        if inside.parse::<Ipv6Addr>().is_err() {
            return false;
        }
        match after {
            "" => (inside, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (inside, Some(port)),
                None => return false,
            },
        }
    } else {
        let (host, port) = match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        };
        let name_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_'));
        if !name_ok {
            return false;
        }
        (host, port)
    };
    let port_ok = port.is_none_or(|port| {
        !port.is_empty() && port.len() <= 5 && port.bytes().all(|byte| byte.is_ascii_digit())
    });
    !host.is_empty() && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn hidden_names_are_found_at_any_depth() {
        for (path, want) in [
            ("/", false),
            ("/notes.txt", false),
            ("/a.b/c..d", false),
            ("/.git/config", true),
            ("/.git/", true),
            ("/sub/.env", true),
            ("/.well-known/x", true),
            ("/%2Eenv", true),
            ("/sub/../.env", true),
            ("/./notes.txt", false),
            ("/sub/..", false),
        ] {
            let url_path = decode_path(path).expect("a valid path");
            assert_eq!(url_path.names_hidden(), want, "{path}");
        }
    }

    #[test]
    fn targets_split_into_path_and_query() {
        for (target, want) in [
            ("/", Some(("/", None))),
            ("/a?b=c", Some(("/a", Some("b=c")))),
            ("/a#frag", Some(("/a", None))),
            ("/a?q#frag", Some(("/a", Some("q")))),
            ("http://example.com/x?y", Some(("/x", Some("y")))),
            ("HTTP://example.com", Some(("/", None))),
            ("http://example.com?q", Some(("/", Some("q")))),
            ("https://example.com/x", None),
            ("*", None),
            ("index.html", None),
        ] {
            let got = split_target(target).map(|parts| (parts.path, parts.query));
            assert_eq!(got, want, "{target}");
        }
    }

    #[test]
    fn paths_decode_and_normalize_safely() {
        let ok = |names: &[&str], trailing_slash| {
            Ok(UrlPath {
                segments: segments(names),
                trailing_slash,
            })
        };
        for (path, want) in [
            ("/", ok(&[], true)),
            ("/a/b.txt", ok(&["a", "b.txt"], false)),
            ("/a/", ok(&["a"], true)),
            ("//a//b", ok(&["a", "b"], false)),
            ("/a/./b", ok(&["a", "b"], false)),
            ("/a/../b", ok(&["b"], false)),
            ("/a/..", ok(&[], true)),
            ("/with%20space.txt", ok(&["with space.txt"], false)),
            ("/%F0%9F%98%80.data", ok(&["😀.data"], false)),
            ("/stra%C3%9Fe", ok(&["straße"], false)),
            (
                "/%23%5B%5D%7B%7D()%40!%24%26'%2B%2C%3B%3D%20%2520.test",
                ok(&["#[]{}()@!$&'+,;= %20.test"], false),
            ),
            ("/%252e%252e/x", ok(&["%2e%2e", "x"], false)),
            (
                "/..\\..\\etc\\passwd",
                match cfg!(windows) {
                    true => Err(PathError::WindowsSeparator),
                    false => ok(&["..\\..\\etc\\passwd"], false),
                },
            ),
            ("//etc/passwd", ok(&["etc", "passwd"], false)),
            ("/..", Err(PathError::ClimbsAboveRoot)),
            ("/../etc/passwd", Err(PathError::ClimbsAboveRoot)),
            ("/..%2f..%2fetc/passwd", Err(PathError::ClimbsAboveRoot)),
            ("/%2e%2e/etc/passwd", Err(PathError::ClimbsAboveRoot)),
            ("/a/../../etc", Err(PathError::ClimbsAboveRoot)),
            ("/a%00b", Err(PathError::NulByte)),
            ("/%zz", Err(PathError::MalformedEscape)),
            ("/%4", Err(PathError::MalformedEscape)),
            ("/%", Err(PathError::MalformedEscape)),
            ("/%ff%fe", Err(PathError::NotUtf8)),
        ] {
            assert_eq!(decode_path(path), want, "{path}");
        }
    }

    #[test]
    fn windows_names_that_are_paths_or_devices_are_refused() {
        use PathError::{ReservedOnWindows as Reserved, WindowsSeparator as Separator};
        for (name, want) in [
            ("notes.txt", Ok(())),
            ("console.txt", Ok(())),
            ("com10", Ok(())),
            ("lpt", Ok(())),
            (".hidden", Ok(())),
            ("C:", Err(Separator)),
            ("C:\\windows\\win.ini", Err(Separator)),
            ("\\\\host\\share\\x", Err(Separator)),
            ("\\\\.\\pipe\\name", Err(Separator)),
            ("notes.txt::$DATA", Err(Separator)),
            ("..\\..\\x", Err(Separator)),
            ("CON", Err(Reserved)),
            ("con.txt", Err(Reserved)),
            ("Nul.tar.gz", Err(Reserved)),
            ("aux ", Err(Reserved)),
            ("AUX .txt", Err(Reserved)),
            ("COM1", Err(Reserved)),
            ("lpt9.log", Err(Reserved)),
            ("COM¹", Err(Reserved)),
            ("CONOUT$", Err(Reserved)),
            ("notes.txt.", Err(Reserved)),
            ("notes.txt ", Err(Reserved)),
        ] {
            assert_eq!(windows_name_rule(name), want, "{name:?}");
        }
        assert_eq!(PathError::WindowsSeparator.status(), Status::BadRequest);
        assert_eq!(PathError::ReservedOnWindows.status(), Status::NotFound);
    }

    #[cfg(windows)]
    #[test]
    fn on_windows_the_guard_applies_the_name_rules() {
        for (path, want) in [
            ("/C:%5cwindows%5cwin.ini", PathError::WindowsSeparator),
            ("/%5c%5chost%5cshare%5cx", PathError::WindowsSeparator),
            ("/sub/NUL", PathError::ReservedOnWindows),
        ] {
            assert_eq!(decode_path(path), Err(want), "{path}");
        }
    }

    #[test]
    fn links_encode_every_awkward_character() {
        for (names, want) in [
            (&["a b"][..], "/a%20b"),
            (&["#?%&\"'<>"], "/%23%3F%25%26%22%27%3C%3E"),
            (&["é", "😀"], "/%C3%A9/%F0%9F%98%80"),
            (&["plain-name_1.0~"], "/plain-name_1.0~"),
        ] {
            assert_eq!(encode_path(&segments(names)), want);
        }
    }

    #[test]
    fn only_a_plain_host_and_port_may_name_a_redirect() {
        for (host, valid) in [
            ("127.0.0.1:8080", true),
            ("localhost", true),
            ("lab-pc_3.example.org:80", true),
            ("[::1]:8080", true),
            ("[::1]", true),
            ("", false),
            (":8080", false),
            ("evil.example/", false),
            ("evil.example/path", false),
            ("a@evil.example", false),
            ("evil.example\\x", false),
            ("evil example", false),
            ("evil.example\r\nSet-Cookie: x=1", false),
            ("evil.example:80:80", false),
            ("evil.example:http", false),
            ("evil.example:123456", false),
            ("[::1", false),
            ("[not-ipv6]:80", false),
            ("[::1]x", false),
            ("%65vil.example", false),
        ] {
            assert_eq!(is_valid_host(host), valid, "{host:?}");
        }
    }

    #[test]
    fn a_redirect_names_the_host_asked_for_or_the_address_it_arrived_on() {
        let v4: SocketAddr = "127.0.0.1:8080".parse().expect("an address");
        let v6: SocketAddr = "[::1]:8080".parse().expect("an address");
        for (host, arrived_on, want) in [
            (Some("lab:9000"), Some(v4), Some("lab:9000")),
            (Some("evil.example/"), Some(v4), Some("127.0.0.1:8080")),
            (None, Some(v6), Some("[::1]:8080")),
            (None, None, None),
        ] {
            let got = redirect_authority(host, || arrived_on);
            assert_eq!(got.as_deref(), want, "{host:?}");
        }
    }

    #[test]
    fn queries_in_headers_carry_no_control_characters() {
        for (query, want) in [
            ("x=1&y=%20", "x=1&y=%20"),
            ("q\r\nSet-Cookie: x=1", "q%0D%0ASet-Cookie:%20x=1"),
            ("é", "%C3%A9"),
            ("tab\there", "tab%09here"),
        ] {
            assert_eq!(encode_query_for_header(query), want, "{query:?}");
        }
    }
}
