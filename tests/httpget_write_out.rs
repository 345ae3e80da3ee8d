//! `httpget -w` (`--write-out`) beside `curl -w`, the timing view (`--timing`, and `-v` on a
//! terminal), and the local port `-v` names: real sockets on 127.0.0.1, a real `httpserve` and
//! scripted servers.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;

use support::terminal::Terminal;
use support::{closed_port, curl, httpget, httpget_with_input, send, site, Scripted, Server};

/// The variables whose values curl and httpget must agree on for the same URL, one format for
/// both programs (times, the request's size and the local port differ by nature).
const AGREED: &str = "code=%{http_code} version=%{http_version} download=%{size_download} \
header=%{size_header} remote=%{remote_ip}:%{remote_port} redirects=%{num_redirects} \
connects=%{num_connects} effective=%{url_effective} type=%{content_type} \
header_ct=%header{content-type} exit=%{exitcode}\\n";

/// curl's answer to `-w FORMAT` for `url`, with `extra` flags.
fn curl_write_out(format: &str, url: &str, extra: &[&str]) -> String {
    let mut args = vec!["--http1.0", "-s", "-o", "/dev/null", "-w", format];
    args.extend_from_slice(extra);
    args.push(url);
    String::from_utf8(curl(&args)).expect("curl's -w output is text")
}

/// httpget's answer to `-w FORMAT` for `url`, with `extra` flags.
fn httpget_write_out(format: &str, url: &str, extra: &[&str]) -> String {
    let mut args = vec!["-s", "-o", null_device(), "-w", format];
    args.extend_from_slice(extra);
    args.push(url);
    let run = httpget(&args);
    assert_eq!(run.code, Some(0), "httpget {args:?}: {}", run.stderr);
    run.text()
}

/// Where `-o` throws the body away: `/dev/null`; on Windows a file in a temporary folder of
/// this test process (wine's `NUL` cannot be opened as a file: httpget exited 23 on it).
fn null_device() -> &'static str {
    if cfg!(windows) {
        static SINK: std::sync::OnceLock<(tempfile::TempDir, String)> = std::sync::OnceLock::new();
        let (_, path) = SINK.get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("body.out").to_string_lossy().into_owned();
            (dir, path)
        });
        path
    } else {
        "/dev/null"
    }
}

#[test]
#[cfg_attr(
    other_os,
    ignore = "built for another OS (run under wine): this machine's curl cannot be started"
)]
#[cfg_attr(all(not(has_curl), not(other_os)), ignore = "curl not found on PATH")]
fn write_out_agrees_with_curl_on_a_file_a_redirect_and_a_404() {
    let site = site();
    let server = Server::start(site.path(), &[]);
    // /sub is a folder without its slash: a 301 to /sub/, followed with -L.
    for path in ["/notes.txt", "/sub", "/nope"] {
        let url = server.url(path);
        for extra in [&[][..], &["-L"][..]] {
            let want = curl_write_out(AGREED, &url, extra);
            let got = httpget_write_out(AGREED, &url, extra);
            assert_eq!(got, want, "{path} {extra:?}");
        }
    }
    let followed = httpget_write_out(AGREED, &server.url("/sub"), &["-L"]);
    assert!(followed.contains("redirects=1 connects=2 "), "{followed}");
    assert!(followed.contains("/sub/ "), "{followed}");
}

#[test]
#[cfg_attr(
    other_os,
    ignore = "built for another OS (run under wine): this machine's curl cannot be started"
)]
#[cfg_attr(all(not(has_curl), not(other_os)), ignore = "curl not found on PATH")]
fn write_out_agrees_with_curl_on_an_http_1_1_chunked_reply() {
    let reply = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\
                 X-Lab: a\r\nX-Lab: b\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let server = Scripted::start(2, move |_| vec![send(reply)]);
    // curl's %header{} is the first header of the name.
    let format = "%{http_version} %{size_download} %{size_header} %header{x-lab}\\n";
    let url = server.url("/chunked");
    let want = curl_write_out(format, &url, &[]);
    let got = httpget_write_out(format, &url, &[]);
    assert_eq!(got, want);
    assert!(got.starts_with("1.1 11 "), "{got}");
}

#[test]
#[cfg_attr(
    other_os,
    ignore = "built for another OS (run under wine): this machine's curl cannot be started"
)]
#[cfg_attr(all(not(has_curl), not(other_os)), ignore = "curl not found on PATH")]
fn every_json_key_is_one_of_curls() {
    let site = site();
    let server = Server::start(site.path(), &[]);
    let url = server.url("/notes.txt");
    let ours: serde_json::Value =
        serde_json::from_str(&httpget_write_out("%{json}", &url, &[])).expect("JSON");
    let curls: serde_json::Value =
        serde_json::from_str(&curl_write_out("%{json}", &url, &[])).expect("JSON");
    let (ours, curls) = (
        ours.as_object().expect("object"),
        curls.as_object().expect("object"),
    );
    for (key, value) in ours {
        if key == "httpget_version" {
            continue;
        }
        assert!(curls.contains_key(key), "{key} is not curl's");
        // Agreeing values, where they must; a number where curl has a number.
        if !key.starts_with("time_")
            && !["local_port", "size_request", "speed_download"].contains(&key.as_str())
        {
            assert_eq!(value, &curls[key], "{key}");
        }
        assert_eq!(value.is_number(), curls[key].is_number(), "{key}");
    }
}

/// The numbers of a `-w` line of `name=value` words.
fn seconds(line: &str) -> Vec<(String, f64)> {
    line.split_whitespace()
        .map(|word| {
            let (name, value) = word.split_once('=').expect("name=value");
            (name.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

#[test]
fn the_times_are_cumulative_ordered_and_six_decimals() {
    let site = site();
    let server = Server::start(site.path(), &[]);
    let format = "namelookup=%{time_namelookup} connect=%{time_connect} \
                  pretransfer=%{time_pretransfer} starttransfer=%{time_starttransfer} \
                  total=%{time_total} redirect=%{time_redirect}";
    for (path, redirected) in [("/notes.txt", false), ("/sub", true)] {
        let line = httpget_write_out(format, &server.url(path), &["-L"]);
        for word in line.split_whitespace() {
            let value = word.split_once('=').expect("name=value").1;
            let decimals = value.split_once('.').map(|(_, decimals)| decimals.len());
            assert_eq!(decimals, Some(6), "{word}");
        }
        let times = seconds(&line);
        for pair in times[..5].windows(2) {
            assert!(
                pair[0].1 <= pair[1].1,
                "{} > {}: {line}",
                pair[0].0,
                pair[1].0
            );
        }
        assert!(times.iter().all(|(_, value)| *value >= 0.0), "{line}");
        assert!(times[0].1 > 0.0 && times[4].1 > 0.0, "{line}");
        let redirect = times[5].1;
        assert_eq!(redirect > 0.0, redirected, "{line}");
        assert!(redirect <= times[4].1, "{line}");
    }
}

#[test]
fn a_failed_transfer_still_writes_out_its_exit_code_and_error() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let run = httpget(&["-s", "-w", "%{http_code} %{exitcode} [%{errormsg}]", &url]);
    assert_eq!(run.code, Some(7));
    let text = run.text();
    assert!(text.starts_with("000 7 [could not connect"), "{text}");
}

#[test]
fn the_format_comes_from_a_file_or_stdin_and_a_missing_file_is_exit_26() {
    let site = site();
    let server = Server::start(site.path(), &[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("format.txt");
    std::fs::write(&file, "%{http_code}\\t%{size_download}\\n").expect("write");
    let url = server.url("/notes.txt");
    let from_file = format!("@{}", file.display());
    let want = format!("200\t{}\n", support::NOTES.len());
    assert_eq!(httpget_write_out(&from_file, &url, &[]), want);
    let run = httpget_with_input(
        &["-s", "-o", null_device(), "-w", "@-", &url],
        b"%{http_code}\\t%{size_download}\\n",
    );
    assert_eq!(run.text(), want);
    let missing = format!("@{}", dir.path().join("missing").display());
    let run = httpget(&["-w", &missing, &url]);
    assert_eq!(run.code, Some(26), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn unknown_variables_warn_and_stderr_takes_the_rest() {
    let site = site();
    let server = Server::start(site.path(), &[]);
    let run = httpget(&[
        "-s",
        "-o",
        null_device(),
        "-w",
        "a%{nope}b%{stderr}to stderr %{http_code}%{stdout}c",
        &server.url("/notes.txt"),
    ]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.text(), "abc");
    assert!(
        run.stderr
            .contains("httpget: unknown --write-out variable: 'nope'\n"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("to stderr 200"), "{}", run.stderr);
}

#[test]
fn the_timing_view_is_printed_through_a_pipe_only_when_asked() {
    let site = site();
    let server = Server::start(site.path(), &[]);
    let url = server.url("/notes.txt");
    let quiet = httpget(&["-v", "-o", null_device(), &url]);
    assert!(!quiet.stderr.contains("* timing"), "{}", quiet.stderr);
    let run = httpget(&["--timing", "-o", null_device(), &url]);
    assert_eq!(run.code, Some(0));
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 7, "{}", run.stderr);
    assert!(lines[0].starts_with("* timing"), "{}", run.stderr);
    for (line, label) in lines[1..].iter().zip([
        "DNS lookup",
        "TCP connect",
        "request sent",
        "waiting (TTFB)",
        "download",
        "total",
    ]) {
        assert!(line.starts_with(&format!("*   {label}")), "{line}");
    }
    // Each phase's bar lies inside one frame of the same width.
    let widths: Vec<usize> = lines[1..6]
        .iter()
        .map(|line| line.split('|').nth(1).expect("a bar").chars().count())
        .collect();
    assert!(widths.iter().all(|width| *width == widths[0]), "{widths:?}");
}

#[test]
fn verbose_names_the_local_port_the_server_sees() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let server = thread::spawn(move || {
        let (mut stream, peer) = listener.accept().expect("accept");
        let mut head = [0; 1024];
        let _ = stream.read(&mut head);
        let _ = stream.write_all(b"HTTP/1.0 204 No Content\r\n\r\n");
        peer
    });
    let run = httpget(&["-v", &format!("http://127.0.0.1:{port}/")]);
    let peer = server.join().expect("server thread");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let want = format!(
        "* connected to 127.0.0.1 port {port} from 127.0.0.1 port {} in ",
        peer.port()
    );
    assert!(run.stderr.contains(&want), "{want:?} in:\n{}", run.stderr);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "drives a pseudo-terminal: the Windows build runs under wine, which has none that works"
)]
fn verbose_on_a_terminal_ends_with_the_timing_view() {
    let site = site();
    let server = Server::start(site.path(), &[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut terminal = Terminal::start(
        &["-v", "-o", "out.txt", &server.url("/notes.txt")],
        dir.path(),
    );
    let screen = terminal.wait_for("*   total", 1);
    assert_eq!(terminal.exit_code(), 0, "{screen}");
    let timing = screen.find("* timing").expect("the timing view");
    let body_line = screen.find("body bytes received").expect("the -v summary");
    assert!(body_line < timing, "the view comes last:\n{screen}");
    for label in ["DNS lookup", "TCP connect", "waiting (TTFB)", "download"] {
        assert!(screen[timing..].contains(label), "{label}:\n{screen}");
    }
}
