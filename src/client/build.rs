//! The request `httpget` sends, built in one place: [`build_request`].
//!
//! An HTTP/1.0 request is a request line and a few header lines, each ended by CR LF, then an
//! empty line (RFC 1945 §5); a POST then carries its body, announced by `Content-Length`
//! (§7.2.2, §8.3). `-v` prints exactly the head this function returns, so what a student sees is
//! what went on the wire.

use super::basic_auth::basic_authorization;
use super::form_data::FORM_CONTENT_TYPE;
use super::{Options, Target};

/// Which request method to send: GET, HEAD for `-I`, POST for `-d` and its kin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Fetch the resource (RFC 1945 §8.1).
    Get,
    /// Ask for the head only: same status and headers, never a body (RFC 1945 §8.2).
    Head,
    /// Send a body for the resource to process, a form's fields for example (RFC 1945 §8.3).
    Post,
}

impl Method {
    /// The method's name as it appears in the request line.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
        }
    }
}

/// The request bytes for `target`, head and body: the one place they are made.
///
/// The default headers are `Host`, `User-Agent` and `Accept`, `Authorization` when the URL has
/// a user name ([`basic_auth`](super::basic_auth)), and with a body `Content-Type`
/// (a form's, [`FORM_CONTENT_TYPE`]) and `Content-Length`. An extra header from `-H` with the
/// same name replaces a default; one with an empty value (`-H 'Accept:'`) removes it, as in
/// curl. `Content-Length` is the one exception: it is written here alone, as the body's exact
/// length, and only when there is a body. Any other would make the server wait for bytes that
/// never come, or read the rest of the body as the next request. So one among `headers` is
/// left out, and `-H` refuses it outright ([`parse_header_arg`]).
pub fn build_request(target: &Target, options: &Options) -> Vec<u8> {
    let method = match &options.method_name {
        Some(name) => name.as_str(),
        None => options.method.as_str(),
    };
    // RFC 1945 §5.1: Request-Line = Method SP Request-URI SP HTTP-Version CRLF
    let mut request = format!("{method} {} HTTP/1.0\r\n", target.path_and_query);
    // Host is not in RFC 1945 (it arrived with HTTP/1.1, RFC 9110 §7.2), but every 1.0 client
    // sends it: without it, a server hosting several names cannot tell which site is meant.
    let mut defaults = vec![
        ("Host", target.host_header.as_str()),
        ("User-Agent", options.user_agent.as_str()),
        ("Accept", "*/*"),
    ];
    // `http://user:password@host/`: the credentials go in this header, never in the request line.
    let authorization = basic_authorization(&target.url);
    if let Some(credentials) = &authorization {
        defaults.push(("Authorization", credentials.as_str()));
    }
    if options.body.is_some() {
        defaults.push(("Content-Type", FORM_CONTENT_TYPE));
    }
    for (name, value) in defaults {
        let replaced = crate::headers::first(&options.headers, name).is_some();
        if !replaced {
            // RFC 1945 §4.2: HTTP-header = field-name ":" [ field-value ] CRLF
            request.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    for (name, value) in &options.headers {
        let ours = crate::headers::is_named(name, "Content-Length");
        if !value.is_empty() && !ours {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    if let Some(body) = &options.body {
        // RFC 1945 §7.2.2: a request with a body must say how long it is.
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    // The empty line ends the head; the body, if any, follows it directly.
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    if let Some(body) = &options.body {
        bytes.extend_from_slice(body);
    }
    bytes
}

/// How much of [`build_request`]'s bytes is the head (up to and including the empty line).
pub fn head_length(request: &[u8]) -> usize {
    match request.windows(4).position(|window| window == b"\r\n\r\n") {
        Some(at) => at + 4,
        None => request.len(),
    }
}

/// Checks a `-X` method name: a token (RFC 1945 §5.1.1), so it cannot break the request line.
pub fn parse_method_arg(text: &str) -> Result<String, String> {
    if !text.is_empty() && text.bytes().all(crate::headers::is_token_byte) {
        Ok(text.to_string())
    } else {
        Err(format!("{text:?} is not a valid method name"))
    }
}

/// Parses a `-H 'Name: value'` argument into its name and value.
///
/// The name must be a token (RFC 1945 §2.2) and the value must not contain CR, LF or NUL: either
/// would let one argument smuggle a second header line into the request. `Content-Length` is
/// refused: [`build_request`] writes it from the body, and says why.
pub fn parse_header_arg(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err(format!("{text:?} is not 'Name: value'"));
    };
    if name.is_empty() || !name.bytes().all(crate::headers::is_token_byte) {
        return Err(format!("{name:?} is not a valid header name"));
    }
    if crate::headers::is_named(name, "Content-Length") {
        return Err(
            "Content-Length cannot be set with -H: httpget writes it, the exact length of \
             the body given with -d"
                .to_string(),
        );
    }
    let value = parse_header_value(name, crate::headers::trim_ows(value))?;
    Ok((name.to_string(), value))
}

/// Checks a header value given on the command line (`-A NAME` is the value of `User-Agent`):
/// CR, LF or NUL would end the header line early and start another one.
pub fn parse_header_value(name: &str, value: &str) -> Result<String, String> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(format!("the value of {name} contains a line break or NUL"));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::parse_input;

    fn target(url: &str) -> Target {
        Target::from_url(&parse_input(url).expect("url")).expect("target")
    }

    #[test]
    fn request_is_request_line_three_headers_and_an_empty_line() {
        let options = Options {
            user_agent: "httpget/test".into(),
            ..Options::default()
        };
        let request = build_request(&target("http://localhost:8080/a b?q=1#frag"), &options);
        assert_eq!(
            String::from_utf8(request).expect("ascii"),
            "GET /a%20b?q=1 HTTP/1.0\r\n\
             Host: localhost:8080\r\n\
             User-Agent: httpget/test\r\n\
             Accept: */*\r\n\
             \r\n"
        );
    }

    #[test]
    fn default_user_agent_names_this_version() {
        let request = build_request(&target("http://h/"), &Options::default());
        let text = String::from_utf8(request).expect("ascii");
        let want = format!("User-Agent: httpget/{}\r\n", env!("CARGO_PKG_VERSION"));
        assert!(text.contains(&want), "{text}");
    }

    #[test]
    fn head_method_and_extra_headers_replace_remove_and_add() {
        let options = Options {
            method: Method::Head,
            user_agent: "ua".into(),
            headers: vec![
                ("host".into(), "other".into()),
                ("Accept".into(), String::new()),
                ("X-Lab".into(), "3".into()),
            ],
            ..Options::default()
        };
        let request = build_request(&target("http://[::1]/"), &options);
        assert_eq!(
            String::from_utf8(request).expect("ascii"),
            "HEAD / HTTP/1.0\r\nUser-Agent: ua\r\nhost: other\r\nX-Lab: 3\r\n\r\n"
        );
    }

    #[test]
    fn a_post_has_a_form_type_and_its_exact_length_then_the_body() {
        let options = Options {
            method: Method::Post,
            user_agent: "ua".into(),
            headers: vec![("Content-Length".into(), "999".into())],
            body: Some("text=ciao%20%C3%A8".into()),
            ..Options::default()
        };
        let request = build_request(&target("http://h/upper"), &options);
        let want = "POST /upper HTTP/1.0\r\nHost: h\r\nUser-Agent: ua\r\nAccept: */*\r\n\
                    Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 18\r\n\r\n\
                    text=ciao%20%C3%A8";
        assert_eq!(String::from_utf8(request.clone()).expect("ascii"), want);
        assert_eq!(head_length(&request), want.len() - 18);
    }

    #[test]
    fn a_content_length_without_a_body_is_never_sent() {
        let options = Options {
            user_agent: "ua".into(),
            headers: vec![("content-length".into(), "5".into())],
            ..Options::default()
        };
        let request = build_request(&target("http://h/"), &options);
        assert_eq!(
            String::from_utf8(request).expect("ascii"),
            "GET / HTTP/1.0\r\nHost: h\r\nUser-Agent: ua\r\nAccept: */*\r\n\r\n"
        );
    }

    #[test]
    fn a_method_name_from_x_replaces_the_word_and_must_be_a_token() {
        let options = Options {
            method_name: Some(parse_method_arg("PUT").expect("token")),
            ..Options::default()
        };
        let request = build_request(&target("http://h/"), &options);
        assert!(request.starts_with(b"PUT / HTTP/1.0\r\n"));
        for bad in ["", "GET /x", "A\r\nB"] {
            assert!(parse_method_arg(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn header_arguments_are_checked() {
        for (input, want) in [
            ("X-A: 1", Ok(("X-A", "1"))),
            ("X-A:1", Ok(("X-A", "1"))),
            ("Accept:", Ok(("Accept", ""))),
            ("X-A:  spaced  ", Ok(("X-A", "spaced"))),
            ("X-A:\t1\t", Ok(("X-A", "1"))),
            // Only spaces and tabs pad a value, as in headers.rs: a no-break space is kept,
            // and a trailing line break is refused, not trimmed away.
            ("X-A: \u{a0}1", Ok(("X-A", "\u{a0}1"))),
            ("X-A: 1\r\n", Err(())),
            ("no colon", Err(())),
            (": empty name", Err(())),
            ("Bad Name: 1", Err(())),
            ("X-A: 1\r\nX-B: 2", Err(())),
            // A length of our own choosing would not be the body's: build_request writes it.
            ("Content-Length: 5", Err(())),
            ("content-length:", Err(())),
        ] {
            let got = parse_header_arg(input);
            match want {
                Ok((name, value)) => {
                    assert_eq!(got, Ok((name.to_string(), value.to_string())), "{input:?}")
                }
                Err(()) => assert!(got.is_err(), "{input:?} was accepted"),
            }
        }
    }
}
