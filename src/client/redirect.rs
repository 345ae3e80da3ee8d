//! Following redirects (`-L`): which replies send the client elsewhere, where to, and when to
//! stop.
//!
//! RFC 1945 §9.3, "Redirection 3xx": "The action required may be carried out by the user agent
//! without interaction with the user if and only if the method used in the subsequent request is
//! GET or HEAD. A user agent should never automatically redirect a request more than 5 times,
//! since such redirections usually indicate an infinite loop."
//!
//! [`next_hop`] is the rule for one reply; [`RedirectChain`] counts the hops and notices a loop;
//! [`headers_for_hop`] keeps credentials from leaking to another host.
//! Try: `httpget -v -L http://127.0.0.1:8080/lesson` (a folder without its slash: a 301).

use url::Url;

use super::build::Method;
use super::head::ReplyHead;
use super::GetError;

/// How many redirects `-L` follows in a row by default: the "more than 5 times" of RFC 1945
/// §9.3.
pub const MAX_REDIRECTS: usize = 5;

/// What a reply says about the next request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextHop {
    /// Not a redirect: this reply is the answer.
    Arrived,
    /// A redirect status without a `Location` header: there is nowhere to go, so this reply is
    /// the answer.
    MissingLocation,
    /// Go on to this URL.
    To(Url),
}

/// Whether `status` asks the client to repeat the request elsewhere. RFC 1945 §9.3 defines 301
/// and 302; 303, 307 and 308 came later (RFC 9110 §15.4) and mean the same for a GET.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The headers given with `-H` that carry credentials: never sent to another host on a redirect
/// unless `--location-trusted` says so. A malicious or compromised server could otherwise
/// redirect to a host of its choosing and collect them (curl's CVE-2018-1000007).
pub const CREDENTIAL_HEADERS: [&str; 2] = ["Authorization", "Cookie"];

/// Whether two URLs name the same server: scheme, host and port (the default port counted).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The `-H` headers to send to `hop`, in a chain that began at `first`, and the names of
/// those left out: credentials go only to the first URL's server unless `trusted`.
pub fn headers_for_hop(
    headers: &[(String, String)],
    first: &Url,
    hop: &Url,
    trusted: bool,
) -> (Vec<(String, String)>, Vec<String>) {
    if trusted || same_origin(first, hop) {
        return (headers.to_vec(), Vec::new());
    }
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for (name, value) in headers {
        let credential = CREDENTIAL_HEADERS
            .iter()
            .any(|credential| crate::headers::is_named(name, credential));
        if credential {
            dropped.push(name.clone());
        } else {
            kept.push((name.clone(), value.clone()));
        }
    }
    (kept, dropped)
}

/// The method of the request that follows a redirect of a `method` request with `status`.
///
/// RFC 1945 §9.3 lets a client follow a redirect on its own only for GET and HEAD, and its note
/// on 302 admits that user agents turn a redirected POST into a GET; RFC 9110 §15.4.2–15.4.4
/// made that the rule for 301, 302 (allowed) and 303 (required), and 307 and 308 keep the
/// method and body. curl does exactly this, so `httpget -L -d …` does too.
pub fn method_after_redirect(status: u16, method: Method) -> Method {
    match (status, method) {
        (301..=303, Method::Post) => Method::Get,
        _ => method,
    }
}

/// The redirect rule for one reply to a request for `current`.
///
/// RFC 1945 §10.11 wants `Location` to be an absolute URL; a relative one is common, and is
/// resolved against the URL it came from, as browsers do (RFC 9110 §10.2.2).
pub fn next_hop(current: &Url, head: &ReplyHead) -> Result<NextHop, GetError> {
    if !is_redirect(head.status) {
        return Ok(NextHop::Arrived);
    }
    let Some(location) = head.header("Location") else {
        return Ok(NextHop::MissingLocation);
    };
    match current.join(crate::headers::trim_ows(location)) {
        Ok(next) => Ok(NextHop::To(next)),
        Err(source) => Err(GetError::BadLocation {
            location: location.to_string(),
            source,
        }),
    }
}

/// The URLs visited while following one chain of redirects.
#[derive(Debug)]
pub struct RedirectChain {
    visited: Vec<Url>,
    limit: usize,
}

impl RedirectChain {
    /// A chain starting at `first`, allowed at most `limit` redirects.
    pub fn new(first: &Url, limit: usize) -> RedirectChain {
        RedirectChain {
            visited: vec![first.clone()],
            limit,
        }
    }

    /// Records the hop to `next`, or says why it must not be taken.
    pub fn step(&mut self, next: &Url) -> Result<(), GetError> {
        if self.visited.len() > self.limit {
            return Err(GetError::TooManyRedirects { limit: self.limit });
        }
        // Nothing changes between two requests for the same URL (no cookies here), so coming
        // back to one means going round for ever.
        if self.visited.contains(next) {
            return Err(GetError::RedirectLoop {
                url: next.to_string(),
            });
        }
        self.visited.push(next.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::head::ReplyVersion;

    fn reply(status: u16, location: Option<&str>) -> ReplyHead {
        ReplyHead {
            version: ReplyVersion::Http10,
            status,
            reason: String::new(),
            headers: location
                .map(|value| vec![("Location".to_string(), value.to_string())])
                .unwrap_or_default(),
            raw: Vec::new(),
        }
    }

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test URL")
    }

    #[test]
    fn next_hop_follows_the_rfc_1945_section_9_3_statuses() {
        let here = url("http://h/a/b");
        for (status, location, want) in [
            (200, Some("/x"), NextHop::Arrived),
            (304, Some("/x"), NextHop::Arrived),
            (300, Some("/x"), NextHop::Arrived),
            (301, None, NextHop::MissingLocation),
            (301, Some("/x"), NextHop::To(url("http://h/x"))),
            (302, Some("c"), NextHop::To(url("http://h/a/c"))),
            (
                303,
                Some(" http://o:81/ "),
                NextHop::To(url("http://o:81/")),
            ),
            (307, Some("?q"), NextHop::To(url("http://h/a/b?q"))),
            (308, Some("//o/p"), NextHop::To(url("http://o/p"))),
        ] {
            let got = next_hop(&here, &reply(status, location)).expect("valid");
            assert_eq!(got, want, "{status} {location:?}");
        }
    }

    #[test]
    fn a_post_redirected_by_301_302_303_becomes_a_get_and_307_308_keep_it() {
        for (status, method, want) in [
            (301, Method::Post, Method::Get),
            (302, Method::Post, Method::Get),
            (303, Method::Post, Method::Get),
            (307, Method::Post, Method::Post),
            (308, Method::Post, Method::Post),
            (302, Method::Head, Method::Head),
            (303, Method::Get, Method::Get),
        ] {
            assert_eq!(
                method_after_redirect(status, method),
                want,
                "{status} {method:?}"
            );
        }
    }

    #[test]
    fn credentials_stay_with_the_first_server_unless_trusted() {
        let headers = vec![
            ("Authorization".to_string(), "Bearer x".to_string()),
            ("cookie".to_string(), "a=1".to_string()),
            ("X-Lab".to_string(), "3".to_string()),
        ];
        let first = url("http://h:8080/a");
        for (hop, trusted, kept) in [
            ("http://h:8080/b", false, 3),
            ("http://h:8081/b", false, 1),
            ("http://other:8080/b", false, 1),
            ("http://other:8080/b", true, 3),
            ("http://h/b", false, 1),
        ] {
            let (sent, dropped) = headers_for_hop(&headers, &first, &url(hop), trusted);
            assert_eq!(sent.len(), kept, "{hop} {trusted}");
            assert_eq!(sent.len() + dropped.len(), 3, "{hop} {trusted}");
        }
        assert!(same_origin(&url("http://h/"), &url("http://h:80/x")));
    }

    #[test]
    fn a_location_that_is_no_url_is_a_bad_response() {
        let error =
            next_hop(&url("http://h/"), &reply(302, Some("http://[::1/"))).expect_err("bad");
        match error {
            GetError::BadLocation { location, source } => {
                assert_eq!(location, "http://[::1/");
                assert_eq!(source, url::ParseError::InvalidIpv6Address);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_chain_stops_at_its_limit_and_at_a_loop() {
        let mut chain = RedirectChain::new(&url("http://h/0"), 2);
        chain.step(&url("http://h/1")).expect("first hop");
        chain.step(&url("http://h/2")).expect("second hop");
        assert!(matches!(
            chain.step(&url("http://h/3")),
            Err(GetError::TooManyRedirects { limit: 2 })
        ));
        let mut chain = RedirectChain::new(&url("http://h/0"), 5);
        chain.step(&url("http://h/1")).expect("first hop");
        assert!(matches!(
            chain.step(&url("http://h/0")),
            Err(GetError::RedirectLoop { .. })
        ));
    }
}
