//! One line typed at the prompt, read as the students' other tools would read it: a pure
//! function ([`read_line`]) from the line (and the page last fetched) to the request it asks for.
//!
//! What a line may be, after httpget's own flags if any (`-I`, `-v`, `-L`, `-d DATA`,
//! `-H 'Name: value'`, `-o FILE`…, split into words by the shell's quoting rules and read by the
//! command line's own parser, [`parse_args`]):
//!
//! | typed | means |
//! |---|---|
//! | `http://host:port/x`, `localhost:8080/x`, `example.com/` | that URL (`http://` may be left out) |
//! | `/notes.txt`, `notes.txt`, `../x`, `?q=1` | a link on the page last fetched (RFC 3986 §5.2), on `*` before any |
//! | `*`, `*/notes.txt` | `http://127.0.0.1:8080/` ([`star`]), a file there |
//! | `GET /notes.txt`, `HEAD /lesson/ HTTP/1.0`, `POST /upper -d text=hi` | a request line: that method, that target |
//!
//! A word is read as a host when its part before the first `/` has a port (`host:8080`), is
//! `localhost` or an IP address, or holds a dot and a `/` follows it (`example.com/`); any other
//! word is a link, as `notes.txt` is on a web page.

use std::ffi::OsString;
use std::fmt;
use std::net::Ipv4Addr;

use clap::error::ErrorKind;
use url::Url;

use crate::client::cli::{parse_args, Args};
use crate::client::{parse_input, star_from_env, GetError, Method, Options, DEFAULT_URL};

/// What the prompt takes, said whenever a line cannot be read.
pub const ACCEPTS: &str = "the prompt takes a URL, a path (/notes.txt, ../x), a request line \
     (GET /notes.txt HTTP/1.0), flags first (-I, -d DATA, -H 'Name: value', -o FILE; --help), \
     or * (http://127.0.0.1:8080/, or the server HTTPGET_STAR names)";

/// The one version httpget puts in a request line.
const HTTP_VERSION: &str = "HTTP/1.0";

/// The methods a lone word names, so that `GET` alone is not fetched as a page called "GET".
const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE",
];

/// The URL `*` stands for: the lab's `httpserve` on this computer, or the class's server that
/// `HTTPGET_STAR` names ([`star_from_env`]; a value it refuses was reported at start-up). The
/// one place the prompt asks.
pub fn star() -> Url {
    let star = star_from_env().unwrap_or_else(|_| DEFAULT_URL.to_string());
    Url::parse(&star)
        .or_else(|_| Url::parse(DEFAULT_URL))
        .expect("DEFAULT_URL is a valid URL")
}

/// What one typed line asks for.
#[derive(Debug)]
pub enum Typed {
    /// Fetch this.
    Fetch(Box<Fetch>),
    /// Print this and ask again: `--help` or `--version`.
    Text(String),
}

/// A request read from one line.
#[derive(Debug)]
pub struct Fetch {
    /// Where it goes.
    pub url: Url,
    /// The flags in force for this line: the program's own, then the line's.
    pub args: Args,
    /// The request's options, the method of a typed request line included.
    pub options: Options,
    /// When a link was typed, the page it was resolved on.
    pub link_on: Option<Url>,
}

/// Why a line could not be read. Each says so in one line, followed by [`ACCEPTS`].
#[derive(Debug)]
pub enum LineError {
    /// A quote is not closed (`-H 'Accept: text/plain`).
    Quoting,
    /// The flags are not httpget's, or miss a value (`-Z`, `-d` at the end).
    Flags {
        /// Which kind of mistake.
        kind: ErrorKind,
        /// The parser's first line, without its `error: `.
        message: String,
    },
    /// Flags alone, or a method alone: nothing to fetch.
    NoTarget,
    /// A word that is neither a URL nor a path.
    NotUrl {
        /// The word.
        input: String,
    },
    /// More words than a URL or a request line has.
    ExtraWords {
        /// The words past the last one understood.
        words: Vec<String>,
    },
    /// A request line with a version other than `HTTP/1.0`.
    Version {
        /// The version typed.
        version: String,
    },
    /// `-d @FILE` named a file that could not be read.
    Data(GetError),
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::Quoting => write!(f, "a quote is not closed; {ACCEPTS}"),
            LineError::Flags { message, .. } => write!(f, "{message}; {ACCEPTS}"),
            LineError::NoTarget => write!(f, "nothing to fetch on that line; {ACCEPTS}"),
            LineError::NotUrl { input } => {
                write!(f, "{input:?} is not a URL or a path; {ACCEPTS}")
            }
            LineError::ExtraWords { words } => write!(
                f,
                "one URL or request line a line: {:?} left over (quote a URL with spaces: \
                 '*/upper?text=a b'); {ACCEPTS}",
                words.join(" ")
            ),
            LineError::Version { version } => {
                // `nc` takes the host and the port as two words, an IPv6 address bare.
                let star = star();
                let host = star.host_str().unwrap_or("127.0.0.1");
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let port = star.port_or_known_default().unwrap_or(80);
                write!(
                    f,
                    "httpget speaks {HTTP_VERSION} only, not {version:?} (it sends \
                     {HTTP_VERSION}; to send other bytes, type them into nc {host} {port})"
                )
            }
            LineError::Data(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for LineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LineError::Data(error) => Some(error),
            _ => None,
        }
    }
}

/// Reads one typed line: `startup` are the flags httpget was started with, `last` the URL
/// fetched last (links resolve against it, or against `*` before any fetch).
pub fn read_line(line: &str, startup: &[OsString], last: Option<&Url>) -> Result<Typed, LineError> {
    let words = shell_words::split(line).map_err(|_| LineError::Quoting)?;
    let all = startup
        .iter()
        .cloned()
        .chain(words.into_iter().map(OsString::from));
    let args = match parse_args(all) {
        Ok(args) => args,
        Err(error) => return flags_error(&error),
    };
    let positional = &args.cli.urls;
    let (method, target) = match positional.as_slice() {
        [] => return Err(LineError::NoTarget),
        [word] if METHODS.contains(&word.as_str()) => return Err(LineError::NoTarget),
        [word] => (None, word),
        [method, target, rest @ ..] if is_method(method) => {
            match rest {
                [] => {}
                [version] if version == HTTP_VERSION => {}
                [version] => {
                    return Err(LineError::Version {
                        version: version.clone(),
                    })
                }
                [_, extra @ ..] => {
                    return Err(LineError::ExtraWords {
                        words: extra.to_vec(),
                    })
                }
            }
            (Some(method.as_str()), target)
        }
        [_, extra @ ..] => {
            return Err(LineError::ExtraWords {
                words: extra.to_vec(),
            })
        }
    };
    let (url, link_on) = resolve(target, last)?;
    let mut options = args.options().map_err(LineError::Data)?;
    if let Some(method) = method {
        use_method(&mut options, method);
    }
    Ok(Typed::Fetch(Box::new(Fetch {
        url,
        args,
        options,
        link_on,
    })))
}

/// `--help` and `--version` are text to show; any other parser error is a [`LineError::Flags`].
fn flags_error(error: &clap::Error) -> Result<Typed, LineError> {
    let text = error.to_string();
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Ok(Typed::Text(text)),
        kind => {
            let first = text.lines().next().unwrap_or_default();
            let message = first.strip_prefix("error: ").unwrap_or(first).to_string();
            Err(LineError::Flags { kind, message })
        }
    }
}

/// Whether the first of several words is a method: letters only (`GET`, `get`, `BREW`), so that
/// a server's answer to an unknown or lower-case method can be seen (501).
fn is_method(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|byte| byte.is_ascii_alphabetic())
}

/// Puts a request line's method into the options: GET, HEAD and POST as themselves (HEAD's reply
/// has no body to wait for), any other word as `-X` would send it.
fn use_method(options: &mut Options, method: &str) {
    let known = match (method, options.body.is_some()) {
        ("GET", false) => Some(Method::Get),
        ("HEAD", false) => Some(Method::Head),
        ("POST", _) => Some(Method::Post),
        _ => None,
    };
    match known {
        Some(known) => {
            options.method = known;
            options.method_name = None;
        }
        None => options.method_name = Some(method.to_string()),
    }
}

/// The URL a word names, and the page it was resolved on when it is a link.
pub fn resolve(word: &str, last: Option<&Url>) -> Result<(Url, Option<Url>), LineError> {
    let not_url = || LineError::NotUrl {
        input: word.to_string(),
    };
    if let Some(rest) = word.strip_prefix('*') {
        let url = star()
            .join(rest.trim_start_matches('/'))
            .map_err(|_| not_url())?;
        return Ok((url, None));
    }
    if has_scheme(word) || looks_like_host(word) {
        return parse_input(word)
            .map(|url| (url, None))
            .map_err(|_| not_url());
    }
    let base = last.cloned().unwrap_or_else(star);
    // RFC 3986 §5.2: the reference is resolved as a browser resolves a link on `base`.
    let url = base.join(word).map_err(|_| not_url())?;
    Ok((url, Some(base)))
}

/// Whether the word starts with a scheme and `:/` (`http://`, `https://`, `http:/` slip), or
/// with `http:` at all.
fn has_scheme(word: &str) -> bool {
    if word
        .get(..5)
        .is_some_and(|start| start.eq_ignore_ascii_case("http:"))
    {
        return true;
    }
    match word.split_once(":/") {
        Some((scheme, _)) => {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    }
}

/// Whether the word's first part names a host rather than a file (see the module's table).
fn looks_like_host(word: &str) -> bool {
    let end = word.find(['/', '?', '#']).unwrap_or(word.len());
    let first = &word[..end];
    if first.is_empty() || first.starts_with('.') {
        return false;
    }
    first.contains(':')
        || first.eq_ignore_ascii_case("localhost")
        || first.parse::<Ipv4Addr>().is_ok()
        || (first.contains('.') && end < word.len() && word[end..].starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetch(line: &str, last: Option<&str>) -> Fetch {
        let last = last.map(|text| Url::parse(text).expect("last URL"));
        match read_line(line, &[], last.as_ref()) {
            Ok(Typed::Fetch(fetch)) => *fetch,
            other => panic!("{line:?}: {other:?}"),
        }
    }

    #[test]
    fn a_word_is_a_url_a_link_or_star() {
        let notes = "http://127.0.0.1:8080/lesson/notes.txt";
        for (typed, last, want, is_link) in [
            ("/notes.txt", None, "http://127.0.0.1:8080/notes.txt", true),
            ("notes.txt", None, "http://127.0.0.1:8080/notes.txt", true),
            (
                "notes.txt",
                Some(notes),
                "http://127.0.0.1:8080/lesson/notes.txt",
                true,
            ),
            ("../x", Some(notes), "http://127.0.0.1:8080/x", true),
            ("/", Some("http://h:1/a/b"), "http://h:1/", true),
            (
                "'?q=a b'",
                Some("http://h:1/a"),
                "http://h:1/a?q=a%20b",
                true,
            ),
            ("files/", Some("http://h:1/"), "http://h:1/files/", true),
            (
                "example.com",
                None,
                "http://127.0.0.1:8080/example.com",
                true,
            ),
            ("*", Some("http://h:1/a"), "http://127.0.0.1:8080/", false),
            (
                "*/notes.txt",
                None,
                "http://127.0.0.1:8080/notes.txt",
                false,
            ),
            ("*notes.txt", None, "http://127.0.0.1:8080/notes.txt", false),
            ("http://h:1/x", Some(notes), "http://h:1/x", false),
            ("HTTP:/h:1/x", None, "http://h:1/x", false),
            ("https://example.com/", None, "https://example.com/", false),
            (
                "localhost:8080/x",
                Some(notes),
                "http://localhost:8080/x",
                false,
            ),
            ("localhost", None, "http://localhost/", false),
            ("127.0.0.1", None, "http://127.0.0.1/", false),
            ("[::1]:8080/", None, "http://[::1]:8080/", false),
            ("example.com/", Some(notes), "http://example.com/", false),
        ] {
            let fetch = fetch(typed, last);
            assert_eq!(fetch.url.as_str(), want, "{typed:?} on {last:?}");
            assert_eq!(fetch.link_on.is_some(), is_link, "{typed:?}");
        }
    }

    #[test]
    fn a_request_line_sends_its_method_and_target() {
        for (typed, method, name, want) in [
            (
                "GET /notes.txt",
                Method::Get,
                None,
                "http://127.0.0.1:8080/notes.txt",
            ),
            (
                "GET /notes.txt HTTP/1.0",
                Method::Get,
                None,
                "http://127.0.0.1:8080/notes.txt",
            ),
            (
                "HEAD /lesson/",
                Method::Head,
                None,
                "http://127.0.0.1:8080/lesson/",
            ),
            ("GET http://h:1/x", Method::Get, None, "http://h:1/x"),
            (
                "POST /upper -d text=hi",
                Method::Post,
                None,
                "http://127.0.0.1:8080/upper",
            ),
            (
                "-d text=hi POST /upper",
                Method::Post,
                None,
                "http://127.0.0.1:8080/upper",
            ),
            (
                "POST /echo",
                Method::Post,
                None,
                "http://127.0.0.1:8080/echo",
            ),
            (
                "DELETE /notes.txt",
                Method::Get,
                Some("DELETE"),
                "http://127.0.0.1:8080/notes.txt",
            ),
            (
                "get /notes.txt",
                Method::Get,
                Some("get"),
                "http://127.0.0.1:8080/notes.txt",
            ),
        ] {
            let fetch = fetch(typed, None);
            assert_eq!(fetch.options.method, method, "{typed}");
            assert_eq!(fetch.options.method_name.as_deref(), name, "{typed}");
            assert_eq!(fetch.url.as_str(), want, "{typed}");
        }
        let post = fetch("POST /upper -d text=hi", None);
        assert_eq!(post.options.body.as_deref(), Some(&b"text=hi"[..]));
    }

    #[test]
    fn flags_on_a_line_are_the_command_lines_and_add_to_the_startup_ones() {
        let fetch = fetch("-I -H 'X-Lab: two words' -o saved.txt */notes.txt", None);
        assert_eq!(fetch.options.method, Method::Head);
        assert_eq!(
            fetch.options.headers,
            [("X-Lab".to_string(), "two words".to_string())]
        );
        assert_eq!(
            fetch.args.cli.output,
            [std::path::PathBuf::from("saved.txt")]
        );

        let startup = [OsString::from("-L"), OsString::from("-v")];
        let Ok(Typed::Fetch(fetch)) = read_line("-v -i /x", &startup, None) else {
            panic!("-v twice is fine")
        };
        assert!(fetch.options.follow_redirects.is_some());
        assert!(fetch.args.cli.include && fetch.args.cli.verbose);
        // The next line has the startup flags only.
        let Ok(Typed::Fetch(fetch)) = read_line("/x", &startup, None) else {
            panic!("a path")
        };
        assert!(!fetch.args.cli.include);
    }

    #[test]
    fn help_is_text_to_show() {
        assert!(
            matches!(read_line("--help", &[], None), Ok(Typed::Text(text)) if text.contains("-H, --header"))
        );
    }

    #[test]
    fn a_line_that_cannot_be_read_names_its_fault_and_what_the_prompt_takes() {
        for (typed, want) in [
            ("-H 'Accept: text/plain", "Quoting"),
            ("-Z /x", "Flags"),
            ("/x -d", "Flags"),
            ("-v", "NoTarget"),
            ("GET", "NoTarget"),
            ("GET /x HTTP/1.1", "Version"),
            ("GET /x HTTP/2", "Version"),
            ("GET /x HTTP/1.0 more", "ExtraWords"),
            ("/a /b", "ExtraWords"),
            ("http://exa mple.com/", "ExtraWords"),
            ("'http://exa mple.com/'", "NotUrl"),
            ("localhost:99999/", "NotUrl"),
            ("-d @/no/such/file /x", "Data"),
        ] {
            let error = match read_line(typed, &[], None) {
                Err(error) => error,
                Ok(other) => panic!("{typed:?} was read as {other:?}"),
            };
            let name = format!("{error:?}");
            assert!(name.starts_with(want), "{typed:?}: {name}");
            let text = error.to_string();
            assert_eq!(text.lines().count(), 1, "{text}");
            assert!(!text.contains("international"), "{text}");
            if !matches!(error, LineError::Version { .. } | LineError::Data(_)) {
                assert!(text.ends_with(ACCEPTS), "{text}");
            }
        }
    }
}
