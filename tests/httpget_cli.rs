//! httpget's command line: curl's options, redirects, exit codes, where each output goes, and
//! the interactive prompt fed through a pipe.

mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{
    closed_port, httpget, httpget_in, httpget_with_input, ok_reply, send, wait_bounded, Run,
    Scripted, Step,
};

/// A server that answers by path: `routes` maps a request path to a whole reply.
fn routed(connections: usize, routes: Vec<(&'static str, String)>) -> Scripted {
    Scripted::start(connections, move |request| {
        let path = request.split(' ').nth(1).unwrap_or("");
        let reply = routes
            .iter()
            .find(|(route, _)| *route == path)
            .map(|(_, reply)| reply.clone())
            .unwrap_or_else(|| "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".into());
        vec![send(reply)]
    })
}

fn redirect(status: &str, location: &str) -> String {
    format!("HTTP/1.0 {status}\r\nLocation: {location}\r\nContent-Length: 5\r\n\r\nmoved")
}

fn ok_text(body: &str) -> String {
    format!(
        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn location_follows_a_relative_then_absolute_301_302_chain() {
    // The absolute Location needs the port, which exists once the listener does: use a route
    // that names it through a second server.
    let last = routed(1, vec![("/end", ok_text("arrived"))]);
    let absolute = last.url("/end");
    let first = routed(
        2,
        vec![
            ("/start", redirect("302 Found", "next/step")),
            ("/next/step", redirect("301 Moved Permanently", &absolute)),
        ],
    );
    let run = httpget(&["-L", "-v", &first.url("/start")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "arrived");
    assert!(first.request().starts_with("GET /start "));
    assert!(first.request().starts_with("GET /next/step "));
    assert!(last.request().starts_with("GET /end "));
    assert_eq!(run.stderr.matches("following the redirect").count(), 2);
}

#[test]
fn without_location_a_redirect_is_the_answer() {
    let server = routed(1, vec![("/", redirect("302 Found", "/elsewhere"))]);
    let run = httpget(&[&server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "moved");
}

#[test]
fn include_with_location_prints_every_head_then_the_body() {
    let server = routed(
        2,
        vec![("/a", redirect("302 Found", "/b")), ("/b", ok_text("B"))],
    );
    let run = httpget(&["-L", "-i", &server.url("/a")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.text(),
        "HTTP/1.0 302 Found\r\nLocation: /b\r\nContent-Length: 5\r\n\r\n\
         HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nB"
    );
}

#[test]
fn redirect_loop_exits_47() {
    let server = routed(
        2,
        vec![
            ("/a", redirect("302 Found", "/b")),
            ("/b", redirect("302 Found", "/a")),
        ],
    );
    let run = httpget(&["-L", &server.url("/a")]);
    assert_eq!(run.code, Some(47), "{}", run.stderr);
    assert!(run.stderr.contains("loop"), "{}", run.stderr);
}

#[test]
fn more_redirects_than_max_redirs_exits_47() {
    let server = routed(
        3,
        vec![
            ("/1", redirect("301 Moved Permanently", "/2")),
            ("/2", redirect("301 Moved Permanently", "/3")),
            ("/3", redirect("301 Moved Permanently", "/4")),
            ("/4", ok_text("too far")),
        ],
    );
    let run = httpget(&["-L", "--max-redirs", "2", &server.url("/1")]);
    assert_eq!(run.code, Some(47), "{}", run.stderr);
    assert!(run.stderr.contains("2 redirects"), "{}", run.stderr);
}

#[test]
fn default_redirect_limit_is_five_hops() {
    let routes: Vec<(&'static str, String)> = vec![
        ("/1", redirect("302 Found", "/2")),
        ("/2", redirect("302 Found", "/3")),
        ("/3", redirect("302 Found", "/4")),
        ("/4", redirect("302 Found", "/5")),
        ("/5", redirect("302 Found", "/6")),
        ("/6", ok_text("five hops")),
    ];
    let server = routed(6, routes);
    let run = httpget(&["-L", &server.url("/1")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "five hops");
}

#[test]
fn verbose_puts_request_and_head_on_stderr_and_only_the_body_on_stdout() {
    let server = Scripted::once("HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nbody");
    let run = httpget(&["-v", &server.url("/v")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "body");
    for line in [
        "* connecting to 127.0.0.1 (127.0.0.1) port",
        "> GET /v HTTP/1.0",
        "> Accept: */*",
        // As curl -v writes them: a blank line is the prefix and a space.
        "\n> \n",
        "< HTTP/1.0 200 OK",
        "< Content-Length: 4\n< \n",
    ] {
        assert!(run.stderr.contains(line), "no {line:?} in:\n{}", run.stderr);
    }
}

#[test]
fn verbose_escapes_non_ascii_bytes_in_the_reply_head() {
    let server =
        Scripted::once(b"HTTP/1.0 200 OK\r\nX-Latin: caf\xe9\r\nContent-Length: 0\r\n\r\n");
    let run = httpget(&["-v", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("< X-Latin: caf\\xE9\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn escape_sequence_in_the_reply_head_is_refused_and_never_printed_raw() {
    let server = Scripted::once(b"HTTP/1.0 200 OK\x1b[2J\r\nContent-Length: 0\r\n\r\n");
    let run = httpget(&["-v", &server.url("/")]);
    assert_eq!(run.code, Some(8), "{}", run.stderr);
    assert!(run.stderr.contains("\\x1B[2J"), "{}", run.stderr);
    assert!(!run.stderr.contains('\x1b'));
}

#[test]
fn extra_headers_and_user_agent_reach_the_server() {
    let server = Scripted::once(ok_reply(b""));
    let run = httpget(&[
        "-H",
        "X-Lab: 3",
        "-H",
        "Accept:",
        "-A",
        "student/1.0",
        &server.url("/"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let request = server.request();
    assert!(request.contains("\r\nX-Lab: 3\r\n"), "{request}");
    assert!(
        request.contains("\r\nUser-Agent: student/1.0\r\n"),
        "{request}"
    );
    assert!(!request.contains("Accept"), "{request}");
}

#[test]
fn header_with_a_line_break_is_refused_with_exit_2() {
    let nobody = format!("http://127.0.0.1:{}/", closed_port());
    let run = httpget(&["-H", "X-A: 1\r\nX-B: 2", &nobody]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    // -A writes a header too, and is held to the same rule.
    let run = httpget(&["-A", "agent\r\nX-B: 2", &nobody]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("line break"), "{}", run.stderr);
}

/// `-H 'Content-Length: 5'` with no body would make a server wait for five bytes that never
/// come: refused before anything is sent, like any other bad -H.
#[test]
fn a_content_length_header_argument_is_refused_with_exit_2() {
    let nobody = format!("http://127.0.0.1:{}/", closed_port());
    for header in ["Content-Length: 5", "content-length: 0"] {
        let run = httpget(&["-H", header, &nobody]);
        assert_eq!(run.code, Some(2), "{header}: {}", run.stderr);
    }
}

#[test]
fn output_file_gets_the_body_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("saved.bin");
    let server = Scripted::once(ok_reply(b"\0saved\xff"));
    let run = httpget(&["-o", path.to_str().expect("utf-8"), &server.url("/x")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, b"");
    // stderr is not a terminal: no progress, no summary line.
    assert_eq!(run.stderr, "");
    assert_eq!(std::fs::read(&path).expect("file written"), b"\0saved\xff");
}

#[test]
fn remote_name_saves_under_the_last_path_segment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Scripted::once(ok_reply(b"named"));
    let run = httpget_in(
        &["-O", &server.url("/files/with%20space.txt")],
        b"",
        Some(dir.path()),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let saved = std::fs::read(dir.path().join("with space.txt")).expect("file written");
    assert_eq!(saved, b"named");
}

#[test]
fn remote_name_without_a_file_name_exits_23() {
    let run = httpget(&["-O", &format!("http://127.0.0.1:{}/", closed_port())]);
    assert_eq!(run.code, Some(23), "{}", run.stderr);
}

#[test]
fn url_errors_have_curls_exit_codes_and_one_line() {
    let refused = format!("http://127.0.0.1:{}/", closed_port());
    for (url, code, words) in [
        ("https://example.com/", 1, "TLS"),
        ("ftp://example.com/", 1, "ftp"),
        ("http://exa mple.com/", 3, "not a valid URL"),
        (
            "http://no-such-host.invalid/",
            6,
            "could not resolve host no-such-host.invalid",
        ),
        (refused.as_str(), 7, "could not connect"),
    ] {
        let run = httpget(&[url]);
        assert_eq!(run.code, Some(code), "{url}: {}", run.stderr);
        assert!(run.stderr.contains(words), "{url}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{url}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn silent_hides_errors_and_show_error_brings_them_back() {
    let refused = format!("http://127.0.0.1:{}/", closed_port());
    let run = httpget(&["-s", &refused]);
    assert_eq!((run.code, run.stderr.as_str()), (Some(7), ""));
    let run = httpget(&["-sS", &refused]);
    assert_eq!(run.code, Some(7));
    assert!(run.stderr.contains("could not connect"), "{}", run.stderr);
}

#[test]
fn several_urls_write_their_bodies_in_order_and_the_last_error_decides_the_code() {
    let one = Scripted::once(ok_reply(b"one,"));
    let two = Scripted::once(ok_reply(b"two"));
    let refused = format!("http://127.0.0.1:{}/", closed_port());
    let run = httpget(&[&one.url("/"), &refused, &two.url("/")]);
    assert_eq!(run.code, Some(7), "{}", run.stderr);
    assert_eq!(run.text(), "one,two");
}

#[test]
fn closed_stdout_ends_quietly() {
    let body = vec![b'x'; 5 * 1024 * 1024];
    let server = Scripted::once(ok_reply(&body));
    let mut child = Command::new(env!("CARGO_BIN_EXE_httpget"))
        .env_remove("HTTPGET_STAR")
        .arg(server.url("/"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start httpget");
    let mut stdout = child.stdout.take().expect("piped");
    let mut first = [0; 10];
    stdout.read_exact(&mut first).expect("ten bytes");
    drop(stdout); // as `| head -c 10` does
    let code = wait_bounded(&mut child, &["closed stdout"]);
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn trace_reads_shows_each_read_with_its_size_and_time() {
    let server = Scripted::start(1, |_| {
        vec![
            send("HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\n"),
            Step::Pause(Duration::from_millis(30)),
            send("abc"),
            Step::Pause(Duration::from_millis(30)),
            send("def"),
        ]
    });
    let run = httpget(&["--trace-reads", &server.url("/")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.text(), "abcdef");
    let reads: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.contains("read #"))
        .collect();
    assert!(reads.len() >= 3, "{}", run.stderr);
    assert!(reads[1].contains("3 bytes") && reads[1].contains("ms after the request"));
}

#[test]
fn interactive_prompt_shows_exchanges_and_errors_until_an_empty_line() {
    let text = Scripted::once("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello \x1b[2J\n");
    let binary = Scripted::once(
        b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\nContent-Length: 8\r\n\r\n\x89PNG\r\n\x1a\n",
    );
    let refused = format!("127.0.0.1:{}/", closed_port());
    let input = format!(
        "{}\n{}\nhttps://example.com/\n{refused}\n\n{}\n",
        text.url("/t"),
        binary.url("/b.png"),
        "http://never-fetched.invalid/"
    );
    let run = httpget_with_input(&[], input.as_bytes());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let out = run.text();
    assert_eq!(out.matches("URL: ").count(), 5, "{out}");
    // stdout is a pipe here: each body goes into the transcript byte for byte, as curl writes
    // it (the terminal's escaping and binary summary are tested in httpget_terminal.rs).
    for wanted in [
        "> GET /t HTTP/1.0",
        "< HTTP/1.0 200 OK",
        "hello \x1b[2J\n",
        "\u{FFFD}PNG\r\n\x1a\n",
        "error: https:// needs TLS",
        "error: could not connect to 127.0.0.1",
    ] {
        assert!(out.contains(wanted), "no {wanted:?} in:\n{out}");
    }
    assert!(run.stdout.windows(4).any(|window| window == b"\x89PNG"));
    assert!(!out.contains("binary body not shown"), "{out}");
    assert!(
        !out.contains("never-fetched"),
        "the empty line should have quit:\n{out}"
    );
}

#[test]
fn prompt_into_a_file_shows_a_text_body_labelled_octet_stream() {
    let server = Scripted::once(ok_reply(b"plain words, wrongly labelled\n"));
    let input = format!("{}\n", server.url("/notes"));
    let run = httpget_with_input(&[], input.as_bytes());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.text()
            .contains("\nplain words, wrongly labelled\n* 30 body bytes"),
        "{}",
        run.text()
    );
}

#[test]
fn interactive_end_of_input_quits_cleanly() {
    let run = httpget_with_input(&[], b"");
    assert_eq!(run.code, Some(0));
    assert!(run.text().ends_with("URL: \n"), "{:?}", run.text());
    assert_eq!(run.stderr, "");
}

/// `printf URL | httpget > transcript` on a full disk: the prompt says so on stderr and exits
/// 23, as one-shot mode does, instead of ending as if all went well.
#[test]
#[cfg_attr(
    not(any(target_os = "linux", windows)),
    ignore = "no file here refuses every write (Linux has /dev/full)"
)]
fn the_prompt_on_an_unwritable_stdout_says_so_and_exits_23() {
    let server = Scripted::once(ok_reply(b"words\n"));
    let (full, why) = support::unwritable_file();
    let mut child = Command::new(env!("CARGO_BIN_EXE_httpget"))
        .env_remove("HTTPGET_STAR")
        .stdin(Stdio::piped())
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start httpget");
    let input = format!("{}\n", server.url("/notes"));
    let mut stdin = child.stdin.take().expect("stdin");
    // httpget may have failed on its greeting and exited before reading a line: a closed
    // stdin is then no fault of the test.
    let _ = std::io::Write::write_all(&mut stdin, input.as_bytes());
    drop(stdin);
    let status =
        support::process::exit_within(&mut child, support::RUN_LIMIT).unwrap_or_else(|| {
            let _ = child.kill();
            panic!("httpget did not exit");
        });
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    assert_eq!(status.code(), Some(23), "{stderr}");
    assert!(stderr.contains(why), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn star_and_schemeless_input_are_understood_at_the_prompt() {
    let server = Scripted::once(ok_reply(b"ok"));
    let input = format!("127.0.0.1:{}/no-scheme\n", server.port);
    let run = httpget_with_input(&[], input.as_bytes());
    assert!(
        run.text().contains("> GET /no-scheme HTTP/1.0"),
        "{}",
        run.text()
    );
    // `*` means port 8080, which a test must not touch (a teacher's server may listen there):
    // with -6 the IPv4 host `*` stands for is refused before any socket is made, and the error
    // names it. (src/client/target.rs tests the whole expansion.)
    let run = httpget_with_input(&["-6"], b"*\n");
    let out = run.text();
    assert!(out.contains("host 127.0.0.1:"), "{out}");
}

#[test]
fn help_documents_timeouts_and_exit_codes() {
    let run = httpget(&["--help"]);
    assert_eq!(run.code, Some(0));
    let help = run.text();
    for wanted in [
        "20 s",
        "default 10 s",
        "28  timeout",
        "47  too many redirects",
        "--trace-reads",
    ] {
        assert!(help.contains(wanted), "no {wanted:?} in --help");
    }
}

#[test]
fn redirect_to_https_exits_1_with_the_tls_message() {
    let server = routed(
        1,
        vec![(
            "/",
            redirect("301 Moved Permanently", "https://example.com/"),
        )],
    );
    let run = httpget(&["-L", &server.url("/")]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("TLS"), "{}", run.stderr);
}

#[test]
fn location_that_is_not_a_url_exits_8() {
    let server = routed(1, vec![("/", redirect("302 Found", "http://[broken"))]);
    let run = httpget(&["-L", &server.url("/")]);
    assert_eq!(run.code, Some(8), "{}", run.stderr);
}

#[test]
fn interactive_error_after_part_of_the_body_gets_its_own_line() {
    let server = Scripted::once("HTTP/1.0 200 OK\r\nContent-Length: 50\r\n\r\npartial");
    let input = format!("{}\n", server.url("/"));
    let run = httpget_with_input(&[], input.as_bytes());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let out = run.text();
    assert!(
        out.contains("partial\nerror: the connection closed after 7 of the 50"),
        "{out}"
    );
    assert!(out.ends_with("URL: \n"), "the prompt came back: {out}");
}

/// `-H` headers with credentials and one without, for the redirect tests.
const CREDENTIALS: [&str; 6] = [
    "-H",
    "Authorization: Bearer secret",
    "-H",
    "Cookie: session=1",
    "-H",
    "X-Lab: 3",
];

/// Two servers: `first` answers `/start` with a 302 to `other`'s `/landing`.
fn redirect_to_another_server() -> (Scripted, Scripted) {
    let other = routed(1, vec![("/landing", ok_text("landed"))]);
    let first = routed(
        1,
        vec![("/start", redirect("302 Found", &other.url("/landing")))],
    );
    (first, other)
}

/// Runs `httpget FLAGS CREDENTIALS URL` and checks that it succeeded.
#[track_caller]
fn httpget_with_credentials(flags: &[&str], url: &str) -> Run {
    let run = httpget(&[flags, &CREDENTIALS, &[url]].concat());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run
}

/// Checks that `request` carries both credential headers of [`CREDENTIALS`].
#[track_caller]
fn assert_credentials_sent(request: &str) {
    assert!(
        request.contains("\r\nAuthorization: Bearer secret\r\n"),
        "{request}"
    );
    assert!(request.contains("\r\nCookie: session=1\r\n"), "{request}");
}

#[test]
fn a_redirect_to_another_server_drops_authorization_and_cookie() {
    let (first, other) = redirect_to_another_server();
    let run = httpget_with_credentials(&["-L", "-v"], &first.url("/start"));
    assert_credentials_sent(&first.request());
    let to_other = other.request();
    assert!(!to_other.contains("Authorization"), "{to_other}");
    assert!(!to_other.contains("Cookie"), "{to_other}");
    assert!(to_other.contains("\r\nX-Lab: 3\r\n"), "{to_other}");
    assert!(
        run.stderr.contains("Authorization, Cookie"),
        "{}",
        run.stderr
    );
}

#[test]
fn location_trusted_sends_credentials_to_the_other_server_too() {
    let (first, other) = redirect_to_another_server();
    httpget_with_credentials(&["--location-trusted"], &first.url("/start"));
    let _ = first.request();
    assert_credentials_sent(&other.request());
}

#[test]
fn a_redirect_on_the_same_server_keeps_the_credentials() {
    let server = routed(
        2,
        vec![
            ("/a", redirect("301 Moved Permanently", "/b")),
            ("/b", ok_text("B")),
        ],
    );
    httpget_with_credentials(&["-L"], &server.url("/a"));
    let _ = server.request();
    assert_credentials_sent(&server.request());
}
