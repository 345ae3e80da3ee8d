//! httpget's POST (RFC 1945 §8.3) with curl's options, against the real `httpserve`: `/upper`
//! turns the body into capitals, `/echo` sends back the request exactly as it arrived.

mod support;

use support::{closed_port, httpget, ok_reply, send, Run, Scripted};

/// A server whose folder is empty: only the routes answer.
fn routes_server() -> (tempfile::TempDir, support::Server) {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = support::Server::start(dir.path(), &[]);
    (dir, server)
}

/// The request as `-v` showed it (`> ` lines, CR LF restored).
fn head_shown_by_verbose(stderr: &str) -> String {
    let mut head = String::new();
    for line in stderr.lines() {
        if let Some(text) = line.strip_prefix('>') {
            head.push_str(text.strip_prefix(' ').unwrap_or(text));
            head.push_str("\r\n");
        }
    }
    head
}

/// Runs `httpget ARGS` and checks that it succeeded (its stderr shown if not).
#[track_caller]
fn httpget_ok(args: &[&str]) -> Run {
    let run = httpget(args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run
}

/// What `/upper` answers to a POST that httpget makes from `data_options`.
#[track_caller]
fn upper(data_options: &[&str]) -> String {
    let (_dir, server) = routes_server();
    let url = server.url("/upper");
    httpget_ok(&[data_options, &[url.as_str()]].concat()).text()
}

/// A scripted server that answers its one request with `status` and `Location: location`.
fn redirecting(status: &'static str, location: String) -> Scripted {
    Scripted::start(1, move |_| {
        vec![send(format!(
            "HTTP/1.0 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
        ))]
    })
}

#[test]
fn data_urlencode_posts_a_form_that_upper_answers_in_capitals() {
    let answer = upper(&["--data-urlencode", "text=ciao è straße"]);
    assert_eq!(answer, "CIAO È STRASSE");
}

#[test]
fn data_binary_file_is_a_raw_body_for_upper() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("body.txt");
    std::fs::write(&file, "grüße\r\nline two\n").expect("write");
    let at_file = format!("@{}", file.display());
    let answer = upper(&[
        "--data-binary",
        &at_file,
        "-H",
        "Content-Type: text/plain; charset=utf-8",
    ]);
    assert_eq!(answer, "GRÜSSE\r\nLINE TWO\n");
}

#[test]
fn echo_returns_exactly_the_bytes_httpget_sent() {
    let (_dir, server) = routes_server();
    let run = httpget_ok(&[
        "-v",
        "-d",
        "a=1",
        "--data-urlencode",
        "b=two words",
        "-d",
        "c=ü",
        &server.url("/echo"),
    ]);
    let body = "a=1&b=two%20words&c=ü";
    let sent = format!("{}{body}", head_shown_by_verbose(&run.stderr));
    assert_eq!(run.text(), sent);
    assert!(sent.starts_with("POST /echo HTTP/1.0\r\n"), "{sent}");
    assert!(
        sent.contains("\r\nContent-Type: application/x-www-form-urlencoded\r\n"),
        "{sent}"
    );
    let length = format!("\r\nContent-Length: {}\r\n", body.len());
    assert!(sent.contains(&length), "{sent}");
}

#[test]
fn a_post_redirected_by_302_is_followed_with_a_get_without_body() {
    let (_dir, target) = routes_server();
    let redirector = redirecting("302 Found", target.url("/echo"));
    let run = httpget_ok(&["-L", "-d", "x=1", &redirector.url("/form")]);
    assert!(redirector.request().starts_with("POST /form HTTP/1.0\r\n"));
    let echoed = run.text();
    assert!(echoed.starts_with("GET /echo HTTP/1.0\r\n"), "{echoed}");
    assert!(!echoed.contains("Content-Length"), "{echoed}");
    assert!(echoed.ends_with("\r\n\r\n"), "{echoed}");
}

#[test]
fn a_post_redirected_by_307_is_posted_again_with_its_body() {
    let (_dir, target) = routes_server();
    let redirector = redirecting("307 Temporary Redirect", target.url("/echo"));
    let run = httpget_ok(&["-L", "-d", "x=1", &redirector.url("/form")]);
    let echoed = run.text();
    assert!(echoed.starts_with("POST /echo HTTP/1.0\r\n"), "{echoed}");
    assert!(echoed.ends_with("\r\n\r\nx=1"), "{echoed}");
}

#[test]
fn x_sets_the_method_word_and_the_body_still_follows() {
    let server = Scripted::once(ok_reply(b"ok"));
    httpget_ok(&["-X", "PUT", "-d", "a=1", &server.url("/thing")]);
    let request = server.request();
    assert!(request.starts_with("PUT /thing HTTP/1.0\r\n"), "{request}");
    assert!(request.contains("\r\nContent-Length: 3\r\n"), "{request}");
}

#[test]
fn a_missing_data_file_exits_26_and_head_with_data_exits_2() {
    let nobody = format!("http://127.0.0.1:{}/", closed_port());
    let run = httpget(&["-d", "@/no/such/file", &nobody]);
    assert_eq!(run.code, Some(26), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let run = httpget(&["-I", "-d", "a=1", &nobody]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
}

/// A body far over what `/upper` takes: httpserve answers 413 and stops reading. httpget must
/// show that answer, as curl does, not "Broken pipe" (RFC 9112 §9.5: a client sending a body
/// watches for an early response, and stops sending when one comes).
#[test]
fn a_body_the_server_refuses_early_shows_its_413_not_a_broken_pipe() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body = dir.path().join("big.bin");
    std::fs::write(&body, vec![b'a'; 8 * 1024 * 1024]).expect("write the body");
    let (_site, server) = routes_server();
    let data = format!("@{}", body.display());
    let run = httpget(&["-v", "--data-binary", &data, &server.url("/upper")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("< HTTP/1.0 413"), "{}", run.stderr);
    assert!(!run.stderr.contains("Broken pipe"), "{}", run.stderr);
    let failed = httpget(&["-f", "--data-binary", &data, &server.url("/upper")]);
    assert_eq!(
        failed.code,
        Some(22),
        "-f: exit 22 for a 413; {}",
        failed.stderr
    );
}
