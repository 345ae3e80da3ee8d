//! `HTTPGET_STAR`: in a classroom `*` must mean the teacher's server, not this computer's
//! port 8080 — at the prompt, in its banner, and on the command line.

mod support;

use support::{httpget_with_star, site, Server, NOTES};

#[test]
fn star_at_the_prompt_goes_where_httpget_star_says_and_the_banner_names_it() {
    let dir = site();
    let server = Server::start(dir.path(), &["--quiet"]);
    let star = format!("http://127.0.0.1:{}/", server.port);
    let run = httpget_with_star(&[], b"*/notes.txt\n", &star);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let text = run.text();
    let banner = text.lines().next().unwrap_or_default();
    assert!(banner.contains(&format!("* means {star}")), "{banner}");
    assert!(!banner.contains("8080"), "{banner}");
    assert!(text.contains(NOTES), "{text}");
    assert!(text.contains("< HTTP/1.0 200 OK"), "{text}");
}

#[test]
fn star_on_the_command_line_goes_where_httpget_star_says() {
    let dir = site();
    let server = Server::start(dir.path(), &["--quiet"]);
    // Without the trailing slash, as a teacher might write it on the board.
    let star = format!("http://127.0.0.1:{}", server.port);
    let run = httpget_with_star(&["*notes.txt"], b"", &star);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), NOTES);
}

#[test]
fn an_unusable_httpget_star_is_one_line_and_exit_2() {
    for value in [
        "192.0.2.2:8085",
        "https://192.0.2.2/",
        "http://h/?q",
        "not a url",
    ] {
        let run = httpget_with_star(&["*"], b"", value);
        assert_eq!(run.code, Some(2), "{value}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{value}: {}", run.stderr);
        assert!(run.stderr.contains("HTTPGET_STAR"), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{value}");
    }
}

/// A request line with another version is refused, pointing at `nc` for the class's server, not
/// at the default one.
#[test]
fn another_version_points_to_nc_for_the_server_httpget_star_names() {
    let star = "http://192.0.2.2:8085/";
    let run = httpget_with_star(&[], b"GET /notes.txt HTTP/1.1\n", star);
    // At the prompt an error is part of the conversation, on stdout.
    let text = run.text();
    assert!(text.contains("type them into nc 192.0.2.2 8085"), "{text}");
}
