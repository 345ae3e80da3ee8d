//! The prompt's habits (issue 24), each typed at a real pseudo-terminal as a student types them:
//! a path is a link, a request line is sent, flags apply to their line, Ctrl+C cancels a fetch,
//! the history survives, the head stays on screen, and a line that cannot be read says what the
//! prompt takes. `src/client/prompt/line.rs` table-tests the reading of lines itself.
//!
//! Nothing here touches port 8080 (`*`): every URL is a scripted server on port 0. Every wait
//! is for text on the screen or the process' exit, with a deadline.

mod support;

use support::terminal::Terminal;
use support::{httpget_with_input, send, Scripted, Step};

fn text_reply(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Types `line` and Enter, then waits for the prompt that follows the `reply`-th reply.
fn fetch(terminal: &Terminal, line: &str, reply: usize) {
    terminal.type_keys(format!("{line}\r").as_bytes());
    terminal.wait_for_after("body bytes", reply, "URL: ", 1);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn a_path_is_a_link_on_the_page_fetched_last() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Scripted::start(3, |_| vec![send(text_reply("hi\n"))]);
    let mut terminal = Terminal::start(&[], dir.path());
    terminal.wait_for("URL: ", 1);
    fetch(&terminal, &server.url("/lesson/index.html"), 1);
    assert!(server
        .request()
        .starts_with("GET /lesson/index.html HTTP/1.0\r\n"));
    fetch(&terminal, "notes.txt", 2);
    assert!(server
        .request()
        .starts_with("GET /lesson/notes.txt HTTP/1.0\r\n"));
    fetch(&terminal, "../top.txt", 3);
    assert!(server.request().starts_with("GET /top.txt HTTP/1.0\r\n"));
    let shown = terminal.shown();
    let note = format!(
        "* a link on {}: {}",
        server.url("/lesson/index.html"),
        server.url("/lesson/notes.txt")
    );
    assert!(shown.contains(&note), "{shown}");
    terminal.quit();
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn a_typed_request_line_is_sent_and_another_version_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Scripted::start(3, |_| vec![send(text_reply("hi\n"))]);
    let mut terminal = Terminal::start(&[], dir.path());
    terminal.wait_for("URL: ", 1);
    fetch(&terminal, &format!("GET {} HTTP/1.0", server.url("/x")), 1);
    assert!(server.request().starts_with("GET /x HTTP/1.0\r\n"));
    fetch(&terminal, "HEAD /lesson/", 2);
    assert!(server.request().starts_with("HEAD /lesson/ HTTP/1.0\r\n"));
    fetch(&terminal, "POST /upper -d text=hi", 3);
    let post = server.request();
    assert!(post.starts_with("POST /upper HTTP/1.0\r\n"), "{post}");
    assert!(post.contains("Content-Length: 7\r\n"), "{post}");

    terminal.type_keys(b"GET /x HTTP/1.1\r");
    let shown = terminal.wait_for("speaks HTTP/1.0 only", 1);
    assert!(shown.contains("nc 127.0.0.1 8080"), "{shown}");
    terminal.wait_for_after("speaks HTTP/1.0 only", 1, "URL: ", 1);
    terminal.quit();
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn flags_on_a_line_apply_to_that_line_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Scripted::start(2, |_| vec![send(text_reply("hi\n"))]);
    let mut terminal = Terminal::start(&[], dir.path());
    terminal.wait_for("URL: ", 1);
    let line = format!("-I -H 'X-Lab: two words' {}", server.url("/a"));
    fetch(&terminal, &line, 1);
    let first = server.request();
    assert!(first.starts_with("HEAD /a HTTP/1.0\r\n"), "{first}");
    assert!(first.contains("\r\nX-Lab: two words\r\n"), "{first}");
    fetch(&terminal, "/a", 2);
    let second = server.request();
    assert!(second.starts_with("GET /a HTTP/1.0\r\n"), "{second}");
    assert!(!second.contains("X-Lab"), "{second}");
    terminal.quit();
}

/// A silent server: it accepts, reads the request and never answers. Ctrl+C stops the fetch,
/// says so in one line, and the prompt comes back with its history (Up recalls the URL).
#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn ctrl_c_during_a_fetch_cancels_it_and_the_prompt_comes_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Scripted::start(2, |_| vec![Step::Hang]);
    let mut terminal = Terminal::start(&[], dir.path());
    terminal.wait_for("URL: ", 1);
    terminal.type_keys(format!("{}\r", server.url("/silent")).as_bytes());
    for time in 1..=2 {
        terminal.wait_for("> GET /silent HTTP/1.0", time);
        terminal.type_keys(b"\x03");
        // "cancelled" is what Ctrl+C prints; httpget's own time limit (20 s without a byte)
        // would print another line, so no clock is needed to tell them apart.
        terminal.wait_for_after("cancelled", time, "URL: ", 1);
        if time == 1 {
            terminal.type_keys(b"\x1b[A\r"); // Up, Enter: the same URL again
        }
    }
    assert!(terminal.child.try_wait().expect("status").is_none());
    terminal.quit();
    assert!(server.request().starts_with("GET /silent HTTP/1.0\r\n"));
    assert!(server.request().starts_with("GET /silent HTTP/1.0\r\n"));
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn the_history_survives_a_restart_can_be_moved_or_turned_off() {
    let home = tempfile::tempdir().expect("temp dir");
    let server = Scripted::start(2, |_| vec![send(text_reply("hi\n"))]);
    let url = server.url("/kept");
    let mut terminal = Terminal::start(&[], home.path());
    terminal.wait_for("URL: ", 1);
    fetch(&terminal, &url, 1);
    terminal.quit();
    let kept = std::fs::read_to_string(home.path().join(".httpget_history")).expect("history");
    assert_eq!(kept, format!("{url}\n"));

    let mut terminal = Terminal::start(&[], home.path());
    terminal.wait_for("URL: ", 1);
    fetch(&terminal, "\x1b[A", 1); // Up, Enter: the line typed in the last run
    terminal.quit();
    assert!(server.request().starts_with("GET /kept HTTP/1.0\r\n"));
    assert!(server.request().starts_with("GET /kept HTTP/1.0\r\n"));

    // Moved, turned off, and a home that cannot be written: never an error on the screen.
    let moved = home.path().join("moved");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let missing = home.path().join("no-such-folder");
    let moved_text = moved.to_str().expect("UTF-8 path");
    for (run_home, setting) in [
        (home.path(), Some(moved_text)),
        (elsewhere.path(), Some("")),
        (missing.as_path(), None),
    ] {
        let run_home = run_home.to_str().expect("UTF-8 path");
        let mut env = vec![("HOME", run_home), ("USERPROFILE", run_home)];
        env.extend(setting.map(|value| ("HTTPGET_HISTORY", value)));
        let mut terminal = Terminal::start_with(&[], home.path(), &env);
        terminal.wait_for("URL: ", 1);
        terminal.type_keys(b"-Z\r");
        terminal.wait_for_after("error:", 1, "URL: ", 1);
        terminal.quit();
        let shown = terminal.shown();
        assert!(!shown.to_lowercase().contains("history"), "{shown}");
    }
    assert_eq!(
        std::fs::read_to_string(&moved).expect("moved history"),
        "-Z\n"
    );
    assert!(!elsewhere.path().join(".httpget_history").exists());
    assert!(!missing.exists());
}

/// 200 lines on a 30-row terminal: the body stops below the head, with a line saying what was
/// left out; `-o FILE` on the next line saves it whole; into a pipe it is always whole.
#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn a_long_body_is_cut_at_one_screen_on_a_terminal_and_whole_elsewhere() {
    let body: String = (0..200).map(|n| format!("line {n}\n")).collect();
    let reply = text_reply(&body);
    let replies = reply.clone();
    let server = Scripted::start(2, move |_| vec![send(&replies)]);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut terminal = Terminal::start(&[], dir.path());
    terminal.wait_for("URL: ", 1);
    fetch(&terminal, &server.url("/long.txt"), 1);
    let shown = terminal.shown();
    assert!(shown.contains("< HTTP/1.0 200 OK"), "{shown}");
    assert!(shown.contains("line 5\r\n"), "{shown}");
    assert!(
        !shown.contains("line 30\r\n"),
        "more than a screen: {shown}"
    );
    assert!(!shown.contains("line 199"), "{shown}");
    assert!(shown.contains(" more bytes ("), "{shown}");
    assert!(shown.contains("-o FILE"), "{shown}");
    let size = body.len();
    assert!(shown.contains(&format!("* {size} body bytes")), "{shown}");

    terminal.type_keys(b"-o whole.txt /long.txt\r");
    let saved = format!("{size} bytes saved to whole.txt");
    terminal.wait_for_after(&saved, 1, "URL: ", 1);
    terminal.quit();
    let saved = std::fs::read(dir.path().join("whole.txt")).expect("saved");
    assert_eq!(saved, body.as_bytes());

    let server = Scripted::start(1, move |_| vec![send(&reply)]);
    let run = httpget_with_input(&[], format!("{}\n", server.url("/long.txt")).as_bytes());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.text().contains(&format!("\n{body}* {size} body bytes")),
        "{}",
        run.text()
    );
    assert!(!run.text().contains("more bytes"), "{}", run.text());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn a_line_that_cannot_be_read_says_what_the_prompt_takes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut terminal = Terminal::start(&[], dir.path());
    terminal.wait_for("URL: ", 1);
    for (typed, times) in [("'http://exa mple.com/'", 1), ("-Z /x", 2), ("-v", 3)] {
        terminal.type_keys(format!("{typed}\r").as_bytes());
        terminal.wait_for("; the prompt takes a URL, a path", times);
        terminal.wait_for_after("the prompt takes", times, "URL: ", 1);
    }
    let shown = terminal.shown();
    assert!(shown.contains("is not a URL or a path"), "{shown}");
    assert!(shown.contains("unexpected argument '-Z'"), "{shown}");
    assert!(!shown.contains("international"), "{shown}");
    terminal.quit();
}
