//! From what the user typed to where the request goes: a [`Target`].
//!
//! The `url` crate applies the URL standard (WHATWG): it lowercases the scheme and host, turns an
//! international domain name into its ASCII (punycode) form, brackets IPv6 literals, drops a
//! default port and percent-encodes what may not appear raw in a path or query. What is left for
//! us is HTTP's part: which host and port to connect to, which `Request-URI` to put in the request
//! line (RFC 1945 §5.1.2: the absolute path and query, never the fragment), and what to send in
//! `Host`.

use std::net::IpAddr;

use url::{Host, Url};

use super::GetError;

/// What `*` stands for unless [`STAR_VARIABLE`] says otherwise: the server the lab runs with
/// `httpserve`, on this computer.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080/";

/// The environment variable that says what `*` stands for in a classroom, where the server is
/// the teacher's laptop: `HTTPGET_STAR=http://192.0.2.2:8085/`.
pub const STAR_VARIABLE: &str = "HTTPGET_STAR";

/// What `*` stands for now: the URL [`STAR_VARIABLE`] names when it is set (checked by
/// [`star_url`]), else [`DEFAULT_URL`].
pub fn star_from_env() -> Result<String, GetError> {
    match std::env::var_os(STAR_VARIABLE) {
        Some(value) => star_url(&value.to_string_lossy()),
        None => Ok(DEFAULT_URL.to_string()),
    }
}

/// Checks a value of [`STAR_VARIABLE`] and returns what `*` expands to: the URL, ending in `/`
/// so that `*/notes.txt` and `*notes.txt` both name a file in it.
pub fn star_url(value: &str) -> Result<String, GetError> {
    let bad = |problem| GetError::BadStar {
        value: value.to_string(),
        problem,
    };
    let text = value.trim();
    if !text.contains("://") {
        return Err(bad("it is not a URL starting with http://"));
    }
    let url = Url::parse(text).map_err(|_| bad("it is not a valid URL"))?;
    if url.scheme() != "http" {
        return Err(bad("httpget speaks http:// only"));
    }
    if url.host().is_none() {
        return Err(bad("it names no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a URL with ? or # cannot be followed by a path"));
    }
    let mut star = url.to_string();
    if !star.ends_with('/') {
        star.push('/');
    }
    Ok(star)
}

/// The TCP port an `http` URL uses when it names none (RFC 1945 §3.2.2).
pub const DEFAULT_PORT: u16 = 80;

/// Where one request goes, worked out from a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL this target came from.
    pub url: Url,
    /// The host to resolve: a domain name in ASCII, or an IP address without brackets.
    pub host: String,
    /// The address itself when the URL names one (`http://127.0.0.1/`, `http://[::1]/`): no
    /// lookup needed.
    pub ip: Option<IpAddr>,
    /// The TCP port.
    pub port: u16,
    /// The `Request-URI` for the request line: path (at least `/`) and `?query` if any.
    pub path_and_query: String,
    /// The value of the `Host` header: the host as in the URL, plus `:port` unless it is 80.
    pub host_header: String,
}

/// Turns a line the user typed into a URL, `*` standing for [`DEFAULT_URL`]
/// ([`parse_input_with_star`] says the rest).
pub fn parse_input(input: &str) -> Result<Url, GetError> {
    parse_input_with_star(input, DEFAULT_URL)
}

/// Turns a line the user typed into a URL.
///
/// `*` stands for `star` ([`DEFAULT_URL`], or what [`star_url`] made of `HTTPGET_STAR`), also
/// as a prefix (`*/notes.txt` is `http://127.0.0.1:8080/notes.txt`); text without `://` gets
/// `http://` in front, as browsers and curl do, so `localhost:8080/x` works. Text that already
/// starts with `http:` but has a slash too few (`http:/host/`) is a slip: the URL standard reads
/// it as `http://host/`.
pub fn parse_input_with_star(input: &str, star: &str) -> Result<Url, GetError> {
    let input = input.trim();
    let text = if let Some(rest) = input.strip_prefix('*') {
        format!("{star}{}", rest.strip_prefix('/').unwrap_or(rest))
    } else if input.contains("://") || starts_with_http_colon(input) {
        input.to_string()
    } else {
        format!("http://{input}")
    };
    Url::parse(&text).map_err(|reason| GetError::BadUrl {
        input: input.to_string(),
        reason,
    })
}

/// Whether `input` begins with the scheme `http:`, in any case.
fn starts_with_http_colon(input: &str) -> bool {
    input
        .get(..5)
        .is_some_and(|start| start.eq_ignore_ascii_case("http:"))
}

impl Target {
    /// Checks that the URL is one this client can fetch and splits it into its HTTP parts.
    pub fn from_url(url: &Url) -> Result<Target, GetError> {
        if url.scheme() != "http" {
            return Err(GetError::UnsupportedScheme {
                scheme: url.scheme().to_string(),
            });
        }
        let (host, ip) = match url.host() {
            Some(Host::Domain(name)) => (name.to_string(), None),
            Some(Host::Ipv4(address)) => (address.to_string(), Some(IpAddr::V4(address))),
            Some(Host::Ipv6(address)) => (address.to_string(), Some(IpAddr::V6(address))),
            None => {
                return Err(GetError::BadUrl {
                    input: url.to_string(),
                    reason: url::ParseError::EmptyHost,
                })
            }
        };
        let port = url.port().unwrap_or(DEFAULT_PORT);
        // The url crate already makes an empty path "/" for http URLs; the fragment (#…) is for
        // the browser only and never goes on the wire.
        let mut path_and_query = url.path().to_string();
        if let Some(query) = url.query() {
            path_and_query.push('?');
            path_and_query.push_str(query);
        }
        // host_str() keeps IPv6 brackets, which Host needs: "[::1]:8080".
        let host_in_url = url.host_str().unwrap_or(&host);
        let host_header = if port == DEFAULT_PORT {
            host_in_url.to_string()
        } else {
            format!("{host_in_url}:{port}")
        };
        Ok(Target {
            url: url.clone(),
            host,
            ip,
            port,
            path_and_query,
            host_header,
        })
    }
}

/// The file name `-O` saves a URL under: its last path segment, percent-decoded.
///
/// `None` when there is no usable name (the URL ends in `/`) or when the decoded name could
/// step out of the current folder (`..`, or a `/` that was written `%2F`).
pub fn remote_file_name(url: &Url) -> Option<String> {
    let last = url.path_segments()?.next_back()?;
    let name = percent_encoding::percent_decode_str(last)
        .decode_utf8_lossy()
        .into_owned();
    let unsafe_name =
        name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']);
    if unsafe_name {
        None
    } else {
        Some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_becomes_a_url() {
        for (input, want) in [
            ("*", "http://127.0.0.1:8080/"),
            ("  *  ", "http://127.0.0.1:8080/"),
            ("*/", "http://127.0.0.1:8080/"),
            ("*/notes.txt", "http://127.0.0.1:8080/notes.txt"),
            ("*notes.txt", "http://127.0.0.1:8080/notes.txt"),
            ("*/upper?text=a b", "http://127.0.0.1:8080/upper?text=a%20b"),
            ("localhost:8080/x", "http://localhost:8080/x"),
            ("example.com", "http://example.com/"),
            ("http://example.com", "http://example.com/"),
            ("HTTP://Example.COM/A", "http://example.com/A"),
            ("https://example.com/", "https://example.com/"),
            // A slash too few, or none: read as a browser and curl read it, not as host "http".
            ("http:/127.0.0.1:1/", "http://127.0.0.1:1/"),
            ("HTTP:127.0.0.1:1/x", "http://127.0.0.1:1/x"),
        ] {
            assert_eq!(parse_input(input).expect(input).as_str(), want, "{input}");
        }
    }

    #[test]
    fn httpget_star_names_the_classroom_server() {
        for (value, input, want) in [
            ("http://192.0.2.2:8085/", "*", "http://192.0.2.2:8085/"),
            (
                "http://192.0.2.2:8085",
                "*/notes.txt",
                "http://192.0.2.2:8085/notes.txt",
            ),
            (
                " http://[fd00::2]:8085/ ",
                "*notes.txt",
                "http://[fd00::2]:8085/notes.txt",
            ),
            (
                "http://Teacher.local/lab",
                "*/a",
                "http://teacher.local/lab/a",
            ),
            ("http://h:1/", "http://other/x", "http://other/x"),
        ] {
            let star = star_url(value).expect(value);
            let got = parse_input_with_star(input, &star).expect(input);
            assert_eq!(got.as_str(), want, "{value} {input}");
        }
        for value in [
            "",
            "192.0.2.2:8085",
            "https://192.0.2.2/",
            "http://",
            "http://exa mple/",
            "http://h/?q=1",
            "http://h/#top",
            "ftp://h/",
        ] {
            let error = star_url(value).expect_err(value);
            assert!(
                matches!(error, GetError::BadStar { .. }),
                "{value}: {error:?}"
            );
            assert_eq!(error.exit_code(), 2, "{value}");
        }
    }

    #[test]
    fn input_that_is_no_url_is_bad_url() {
        for input in [
            "http://",
            "http://exa mple.com/",
            "localhost:99999/",
            "http://[::1/",
        ] {
            let error = parse_input(input).expect_err(input);
            assert_eq!(error.exit_code(), 3, "{input}: {error}");
        }
    }

    #[test]
    fn url_splits_into_host_port_path_and_host_header() {
        for (input, host, port, path, host_header) in [
            ("http://example.com", "example.com", 80, "/", "example.com"),
            (
                "http://example.com:80/a",
                "example.com",
                80,
                "/a",
                "example.com",
            ),
            (
                "http://localhost:8080/x?y=1",
                "localhost",
                8080,
                "/x?y=1",
                "localhost:8080",
            ),
            ("http://h/p#fragment", "h", 80, "/p", "h"),
            ("http://h/p?q#f", "h", 80, "/p?q", "h"),
            ("http://[::1]:8080/", "::1", 8080, "/", "[::1]:8080"),
            ("http://[::1]/", "::1", 80, "/", "[::1]"),
            (
                "http://127.0.0.1:8080",
                "127.0.0.1",
                8080,
                "/",
                "127.0.0.1:8080",
            ),
            (
                "http://bücher.example/",
                "xn--bcher-kva.example",
                80,
                "/",
                "xn--bcher-kva.example",
            ),
            ("http://h/a b/ü", "h", 80, "/a%20b/%C3%BC", "h"),
            ("http://h/?q=a b", "h", 80, "/?q=a%20b", "h"),
            ("http://h/%41", "h", 80, "/%41", "h"),
        ] {
            let url = parse_input(input).expect(input);
            let target = Target::from_url(&url).expect(input);
            assert_eq!(target.host, host, "{input}");
            assert_eq!(target.port, port, "{input}");
            assert_eq!(target.path_and_query, path, "{input}");
            assert_eq!(target.host_header, host_header, "{input}");
        }
    }

    #[test]
    fn ip_literals_need_no_lookup() {
        let target = Target::from_url(&parse_input("http://[::1]:1/").expect("url")).expect("ok");
        assert_eq!(target.ip, Some("::1".parse().expect("ip")));
        let target = Target::from_url(&parse_input("localhost").expect("url")).expect("ok");
        assert_eq!(target.ip, None);
    }

    #[test]
    fn other_schemes_are_refused_with_exit_code_1() {
        for (input, scheme) in [("https://example.com/", "https"), ("ftp://h/f", "ftp")] {
            let error = Target::from_url(&parse_input(input).expect(input)).expect_err(input);
            assert!(
                matches!(&error, GetError::UnsupportedScheme { scheme: s } if s == scheme),
                "{error}"
            );
            assert_eq!(error.exit_code(), 1);
        }
        let https = GetError::UnsupportedScheme {
            scheme: "https".into(),
        };
        assert!(https.to_string().contains("curl"), "{https}");
    }

    #[test]
    fn remote_file_name_is_the_last_segment_and_safe() {
        for (input, want) in [
            ("http://h/a/b.txt", Some("b.txt")),
            ("http://h/a/b.txt?x=1", Some("b.txt")),
            ("http://h/with%20space.txt", Some("with space.txt")),
            ("http://h/", None),
            ("http://h/dir/", None),
            ("http://h/a%2F..%2Fetc", None),
            ("http://h/%2e%2e", None),
        ] {
            let url = parse_input(input).expect(input);
            assert_eq!(remote_file_name(&url).as_deref(), want, "{input}");
        }
    }
}
