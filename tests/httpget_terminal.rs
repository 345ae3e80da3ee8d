//! httpget on a real terminal: each test runs it in a pseudo-terminal (`portable-pty`), types
//! keys at it and reads the screen's bytes, as a student at the keyboard would.
//!
//! Every wait is for a condition (some text on the screen, the process' exit) with a deadline;
//! nothing sleeps and hopes.

mod support;

use std::thread;
use std::time::{Duration, Instant};

use support::terminal::Terminal;
use support::{ok_reply, send, Scripted, Step, PATIENCE};

fn text_reply(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn up_arrow_at_the_prompt_recalls_the_last_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Scripted::start(2, |_| vec![send(text_reply("hello\n"))]);
    let mut terminal = Terminal::start(&[], dir.path());
    terminal.wait_for("URL: ", 1);
    terminal.type_keys(format!("{}\r", server.url("/again")).as_bytes());
    // Keys typed before the next prompt would reach the terminal while it is not yet in the
    // line editor's hands: wait for the prompt that follows each reply.
    terminal.wait_for_after("body bytes", 1, "URL: ", 1);
    terminal.type_keys(b"\x1b[A\r"); // Up, Enter
    terminal.wait_for_after("body bytes", 2, "URL: ", 1);
    assert!(server.request().starts_with("GET /again HTTP/1.0\r\n"));
    assert!(server.request().starts_with("GET /again HTTP/1.0\r\n"));
    terminal.quit(); // Ctrl+D
    assert!(!terminal.shown().contains("not a valid URL"));
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn ctrl_c_at_the_prompt_clears_the_line_and_asks_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut terminal = Terminal::start(&[], dir.path());
    terminal.wait_for("URL: ", 1);
    terminal.type_keys(b"half-typed");
    terminal.wait_for("half-typed", 1);
    // Ctrl+C clears the line: a fresh, empty prompt comes on the next one, and Ctrl+D there
    // quits (it would not on a typed line).
    terminal.type_keys(b"\x03");
    terminal.wait_for_after("half-typed", 1, "URL: ", 1);
    terminal.quit();
}

/// One-shot mode keeps curl's way: Ctrl+C during a transfer stops httpget (the prompt cancels
/// the fetch instead: tests/httpget_prompt.rs).
#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn ctrl_c_during_a_one_shot_transfer_stops_httpget() {
    let server = Scripted::start(1, |_| {
        vec![
            send("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"),
            Step::Hang,
        ]
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let mut terminal = Terminal::start(&["-v", &server.url("/slow")], dir.path());
    // The head has arrived; the body never will.
    terminal.wait_for("< HTTP/1.0 200 OK", 1);
    terminal.type_keys(b"\x03"); // Ctrl+C: a signal, the terminal is in its usual mode
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Ok(Some(status)) = terminal.child.try_wait() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "httpget went on after Ctrl+C; the screen:\n{}",
            terminal.shown()
        );
        thread::sleep(Duration::from_millis(10));
    };
    assert!(!status.success(), "{}", terminal.shown());
    assert!(
        status.signal().is_some() || status.exit_code() == 130,
        "stopped by the interrupt: {status:?}"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn binary_body_is_refused_on_the_terminal_with_its_hint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let server = Scripted::once(ok_reply(&body));
    let mut terminal = Terminal::start(&[&server.url("/logo.png")], dir.path());
    assert_eq!(terminal.exit_code(), 23, "{}", terminal.shown());
    assert!(terminal.shown().contains("-o FILE"), "{}", terminal.shown());
    assert!(!terminal.shown().contains("IHDR"), "{}", terminal.shown());

    // At the prompt: a summary with the way to save it; labelled text yet binary in its bytes.
    let server = Scripted::once(
        [
            &b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\n"[..],
            &body,
        ]
        .concat(),
    );
    let mut terminal = Terminal::start(&[], dir.path());
    terminal.wait_for("URL: ", 1);
    terminal.type_keys(format!("{}\r", server.url("/logo.png")).as_bytes());
    let shown = terminal.wait_for("httpget -o FILE", 1);
    assert!(shown.contains("binary body not shown"), "{shown}");
    assert!(!shown.contains("IHDR"), "{shown}");
    terminal.wait_for_after("httpget -o FILE", 1, "URL: ", 1);
    terminal.type_keys(b"\r");
    assert_eq!(terminal.exit_code(), 0);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn progress_bar_appears_for_a_slow_large_download_to_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let piece = vec![b'x'; 256 * 1024];
    let pieces = 24; // 6 MiB, over the 4 MiB from which a bar is shown
    let server = Scripted::start(1, move |_| {
        let mut steps = vec![send(format!(
            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n",
            piece.len() * pieces
        ))];
        for _ in 0..pieces {
            steps.push(Step::Pause(Duration::from_millis(40)));
            steps.push(Step::Send(piece.clone()));
        }
        steps
    });
    let mut terminal = Terminal::start(&["-o", "big.bin", &server.url("/big.bin")], dir.path());
    terminal.wait_for(" left", 1);
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    let saved = std::fs::metadata(dir.path().join("big.bin")).expect("saved");
    assert_eq!(saved.len(), 6 * 1024 * 1024);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn a_download_to_a_file_ends_with_a_summary_line_and_silent_hides_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Scripted::once(ok_reply(&[7; 1000]));
    let mut terminal = Terminal::start(&["-o", "small.bin", &server.url("/small")], dir.path());
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    let shown = terminal.shown();
    assert!(
        shown.contains("1000 bytes saved to small.bin in "),
        "{shown}"
    );
    assert!(shown.contains("/s on average"), "{shown}");

    let server = Scripted::once(ok_reply(&[7; 1000]));
    let mut terminal = Terminal::start(&["-s", "-O", &server.url("/quiet.bin")], dir.path());
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.shown());
    assert!(!terminal.shown().contains("saved"), "{}", terminal.shown());
    assert!(dir.path().join("quiet.bin").exists());
}
