//! httpserve as a program: start-up line, start-up errors, addresses, access log, Ctrl+C.

mod support;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;

use support::{
    read_to_close, require_ipv6, site, Exited, Process, Reply, Server, BIG_BYTES, NOTES, PATIENCE,
};

/// Runs httpserve to completion (it must exit by itself: start-up errors, --help).
fn run_to_exit(args: &[&str]) -> Exited {
    let mut command = Command::new(env!("CARGO_BIN_EXE_httpserve"));
    command.args(args);
    let mut process = Process::start(command);
    process.feed(""); // stdin at its end at once
    process.finish_within(PATIENCE)
}

fn assert_one_clear_line(output: &Exited, wanted: &str) {
    let stderr = &output.stderr;
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line, not: {stderr}");
    assert!(stderr.starts_with("httpserve: "), "{stderr}");
    assert!(stderr.contains(wanted), "{stderr:?} lacks {wanted:?}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn the_start_up_line_names_address_port_folder_and_how_to_stop() {
    let dir = site();
    let server = Server::start(dir.path(), &[]);
    let banner = &server.banner;
    let folder = fs::canonicalize(dir.path()).expect("canonical");
    // Windows' canonical form is `\\?\C:\…`; the line shows it as a person writes it.
    let folder = http10::server::root::as_a_person_writes_it(&folder);
    assert!(banner.contains("127.0.0.1"), "{banner}");
    assert!(
        banner.contains(&format!("port {}", server.port)),
        "{banner}"
    );
    assert!(banner.contains(&folder.display().to_string()), "{banner}");
    assert!(banner.contains("Ctrl+C"), "{banner}");
    assert_ne!(server.port, 0, "the real port, not 0");
}

/// A start-up error that cannot even be written (stderr is a full disk here) still exits 1:
/// `eprintln!` would panic, and exit 101.
#[test]
#[cfg_attr(
    not(any(target_os = "linux", windows)),
    ignore = "no file here refuses every write (Linux has /dev/full)"
)]
fn a_start_up_error_with_stderr_unwritable_still_exits_1() {
    let (full, _) = support::unwritable_file();
    let mut command = Command::new(env!("CARGO_BIN_EXE_httpserve"));
    command
        .args(["0", "--bind", "127.0.0.1", "--dir", "/nonexistent/folder"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(full);
    let mut child = command.spawn().expect("start httpserve");
    let status = support::process::exit_within(&mut child, PATIENCE).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("httpserve did not exit");
    });
    assert_eq!(status.code(), Some(1));
}

#[test]
fn a_port_in_use_is_one_line_and_exit_1() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let dir = site();
    let dir_text = dir.path().to_str().expect("utf-8");
    let output = run_to_exit(&[&port, "--bind", "127.0.0.1", "--dir", dir_text]);
    assert_one_clear_line(&output, "already in use");
}

#[test]
fn a_missing_or_wrong_folder_is_one_line_and_exit_1() {
    let dir = site();
    let missing = dir.path().join("no-such-folder");
    let file = dir.path().join("notes.txt");
    for folder in [missing, file] {
        let folder_text = folder.to_str().expect("utf-8");
        let output = run_to_exit(&["0", "--bind", "127.0.0.1", "--dir", folder_text]);
        assert_one_clear_line(&output, "cannot serve folder");
    }
}

/// Ports below 1024 need rights on Linux and FreeBSD; Windows and macOS (since 10.14) let any
/// user listen there.
#[test]
#[cfg(not(any(windows, target_vendor = "apple")))]
#[cfg_attr(
    running_as_root,
    ignore = "running as root, which may listen on port 80"
)]
fn a_privileged_port_without_rights_is_one_line_and_exit_1() {
    support::require_not_root();
    let dir = site();
    let dir_text = dir.path().to_str().expect("utf-8");
    let output = run_to_exit(&["80", "--bind", "127.0.0.1", "--dir", dir_text]);
    assert_one_clear_line(&output, "no permission");
}

#[test]
fn bad_arguments_exit_2_and_help_names_the_exit_codes() {
    for bad in [
        &["not-a-port"][..],
        &["0", "--threads", "0"],
        &["0", "--threads", "many"],
    ] {
        let output = run_to_exit(bad);
        assert_eq!(output.status.code(), Some(2), "{bad:?}");
    }
    let help = run_to_exit(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("Exit status"), "{text}");
    for flag in [
        "--dir",
        "--bind",
        "--quiet",
        "--verbose",
        "--max-connections",
        "--threads",
        "--no-routes",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}");
    }
    let version = run_to_exit(&["--version"]);
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn the_folder_defaults_to_the_current_directory() {
    let dir = site();
    let mut command = Command::new(env!("CARGO_BIN_EXE_httpserve"));
    command
        .args(["0", "--bind", "127.0.0.1", "--quiet"])
        .current_dir(dir.path());
    let server = Process::start(command);
    let banner = server.line();
    let port = support::port_from_banner(&banner).expect("port");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    stream
        .write_all(b"GET /notes.txt HTTP/1.0\r\n\r\n")
        .expect("send");
    let reply = Reply::parse(&read_to_close(&mut stream));
    drop(server);
    assert_eq!(reply.body, NOTES.as_bytes());
}

#[test]
#[cfg_attr(not(has_ipv6), ignore = "no IPv6 loopback on this machine")]
fn ipv6_loopback_and_all_interfaces_work() {
    require_ipv6();
    let dir = site();
    let dir_text = dir.path().to_str().expect("utf-8");
    for (bind, connect_to) in [("::1", "[::1]"), ("::", "[::1]"), ("::", "127.0.0.1")] {
        let server = Server::start_with_args(&["0", "--bind", bind, "--dir", dir_text, "--quiet"]);
        let mut stream =
            TcpStream::connect(format!("{connect_to}:{}", server.port)).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        stream
            .write_all(b"GET /notes.txt HTTP/1.0\r\n\r\n")
            .expect("send");
        let reply = Reply::parse(&read_to_close(&mut stream));
        assert_eq!(
            reply.body,
            NOTES.as_bytes(),
            "--bind {bind}, connecting to {connect_to}"
        );
    }
}

/// After the first line, one line per URL a client can use: for all interfaces, every address
/// of this computer, LAN first, as `http10::server::addresses` lists them.
#[test]
fn the_start_up_lines_name_every_address_a_client_can_use() {
    use http10::server::addresses::{interface_addresses, urls_for, Reach};
    let dir = site();
    let dir_text = dir.path().to_str().expect("utf-8");
    let server = Server::start_with_args(&["0", "--dir", dir_text, "--quiet"]);
    let bound = format!("[::]:{}", server.port).parse().expect("address");
    let wanted = urls_for(bound, &interface_addresses().expect("interface list"));
    assert!(
        wanted
            .iter()
            .any(|url| url.reach == Reach::ThisComputerOnly),
        "loopback is among them: {wanted:?}"
    );
    for reachable in wanted {
        let line = server.next_stdout_line().expect("one line per address");
        assert!(line.starts_with("  from "), "{line}");
        assert!(line.ends_with(&format!(" {}", reachable.url)), "{line}");
    }

    let server = Server::start(dir.path(), &["--quiet"]);
    let only = server
        .next_stdout_line()
        .expect("one line for the address bound");
    let url = format!("http://127.0.0.1:{}/", server.port);
    assert!(
        only.ends_with(&url) && only.contains("this computer only"),
        "{only}"
    );
}

/// `--bind localhost` binds the first address the name resolves to, as python's server does;
/// the start-up line says which.
#[test]
fn a_host_name_to_bind_is_resolved() {
    let dir = site();
    let dir_text = dir.path().to_str().expect("utf-8");
    let server = Server::start_with_args(&["0", "--bind", "localhost", "--dir", dir_text]);
    let url = ["127.0.0.1", "[::1]"]
        .iter()
        .map(|host| format!("http://{host}:{}/", server.port))
        .find(|url| server.banner.contains(url.as_str()))
        .unwrap_or_else(|| panic!("a loopback URL in {:?}", server.banner));
    let host_and_port = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host_and_port).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    stream
        .write_all(b"GET /notes.txt HTTP/1.0\r\n\r\n")
        .expect("send");
    assert_eq!(
        Reply::parse(&read_to_close(&mut stream)).body,
        NOTES.as_bytes()
    );
}

/// A name with no address is a start-up failure (1), like a missing folder: the argument is
/// well-formed, the world lacks what it names. (`.invalid` never resolves: RFC 6761 §6.4.)
#[test]
fn a_bind_name_that_does_not_resolve_is_one_line_and_exit_1() {
    let dir = site();
    let dir_text = dir.path().to_str().expect("utf-8");
    let args = ["0", "--bind", "no-such-host.invalid", "--dir", dir_text];
    assert_one_clear_line(&run_to_exit(&args), "no-such-host.invalid");
}

#[test]
fn the_access_log_has_one_common_log_format_line_per_request() {
    let dir = site();
    let server = Server::start(dir.path(), &[]);
    server.get("GET /notes.txt HTTP/1.0\r\n\r\n");
    let line = server.wait_for_stderr(|line| line.contains("/notes.txt"));
    // 127.0.0.1 - - [21/Nov/2026:10:00:00 +0000] "GET /notes.txt HTTP/1.0" 200 13
    let (prefix, rest) = line.split_once(" [").expect("a [date]");
    assert_eq!(prefix, "127.0.0.1 - -");
    let (date, request_and_status) = rest.split_once("] ").expect("date]");
    assert!(
        date.ends_with(" +0000") && date.len() == "21/Nov/2026:10:00:00 +0000".len(),
        "{date}"
    );
    let length = NOTES.len();
    assert_eq!(
        request_and_status,
        format!("\"GET /notes.txt HTTP/1.0\" 200 {length}")
    );

    // A request line with control characters cannot forge a second log line.
    server.exchange(b"GET /a\x1b[2J\rfake HTTP/1.0\r\n\r\n");
    let escaped = server.wait_for_stderr(|line| line.contains("fake"));
    assert!(escaped.contains("\\x1B[2J\\x0Dfake"), "{escaped}");
    assert!(
        escaped.ends_with("\" 400 ") || escaped.contains("\" 400 "),
        "{escaped}"
    );
}

#[test]
fn quiet_silences_the_log_and_verbose_shows_connections_and_heads() {
    let dir = site();
    let quiet = Server::start(dir.path(), &["--quiet"]);
    quiet.get("GET /notes.txt HTTP/1.0\r\n\r\n");
    let verbose = Server::start(dir.path(), &["--verbose"]);
    verbose.get("GET /notes.txt HTTP/1.0\r\nUser-Agent: lesson\ttab\r\n\r\n");
    verbose.wait_for_stderr(|line| line.ends_with(" connected"));
    verbose.wait_for_stderr(|line| line.ends_with("> GET /notes.txt HTTP/1.0"));
    verbose.wait_for_stderr(|line| line.ends_with("> User-Agent: lesson\\x09tab"));
    verbose.wait_for_stderr(|line| line.contains("closed after 1 request"));
    assert!(
        quiet.stderr().is_empty(),
        "--quiet logged: {:?}",
        quiet.stderr()
    );
}

/// Issue 26: the server's log and `httpget -v` line up by the client's port, on the
/// connection's lines and on each line of the request head.
#[test]
fn verbose_names_the_clients_address_and_port_on_connection_and_request_lines() {
    let dir = site();
    let server = Server::start(dir.path(), &["--verbose"]);
    let mut stream = server.connect();
    let me = stream.local_addr().expect("local address").to_string();
    stream
        .write_all(b"GET /notes.txt HTTP/1.0\r\nUser-Agent: lesson\r\n\r\n")
        .expect("send");
    read_to_close(&mut stream);
    server.wait_for_stderr(|line| line == format!("{me} connected"));
    server.wait_for_stderr(|line| line == format!("{me} > GET /notes.txt HTTP/1.0"));
    server.wait_for_stderr(|line| line == format!("{me} > User-Agent: lesson"));
    server.wait_for_stderr(|line| line.starts_with(&format!("{me} closed after 1 request")));
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends Ctrl+C as SIGINT with kill: Windows has neither"
)]
fn ctrl_c_finishes_the_download_in_flight_then_exits_0() {
    let dir = site();
    let mut server = Server::start(dir.path(), &["--quiet"]);
    let mut download = server.connect();
    download
        .write_all(b"GET /big.bin HTTP/1.0\r\n\r\n")
        .expect("send");
    let mut first = [0u8; 1024];
    download
        .read_exact(&mut first)
        .expect("the download started");

    interrupt(server.pid());
    let rest = read_to_close(&mut download);
    let reply = Reply::parse(&[&first[..], &rest[..]].concat());
    assert_eq!(
        reply.body.len(),
        BIG_BYTES,
        "the download in flight was finished"
    );
    assert_eq!(server.wait_for_exit(), Some(0));
    server.stdout_line_containing("stopped");
    assert!(
        TcpStream::connect(server.addr()).is_err(),
        "still accepting after Ctrl+C"
    );
}

/// The access-log line of the download of `/big.bin`, and the bytes it says went (the last
/// field of the line).
fn logged_download(server: &Server) -> (String, usize) {
    let logged = server.wait_for_stderr(|line| line.contains("\"GET /big.bin HTTP/1.0\" 200 "));
    let sent = logged
        .rsplit(' ')
        .next()
        .and_then(|bytes| bytes.parse().ok())
        .expect("bytes sent, last on the line");
    (logged, sent)
}

/// A download still going when the stop's grace time runs out is cut off, and, like one the
/// client cut off, it gets its access-log line with the bytes that did go: nothing vanishes
/// from the log. (`--shutdown-grace` makes the wait short for the test.)
#[test]
#[cfg_attr(
    windows,
    ignore = "sends Ctrl+C as SIGINT with kill: Windows has neither"
)]
fn a_download_cut_off_at_the_end_of_the_grace_time_is_logged() {
    let dir = site();
    let mut server = Server::start(dir.path(), &["--shutdown-grace", "0.3"]);
    // 32 MiB, read no further than its start: it cannot finish within the grace time.
    let _stalled = server.start_download("/big.bin");
    interrupt(server.pid());
    assert_eq!(server.wait_for_exit(), Some(0));
    let (logged, sent) = logged_download(&server);
    assert!(sent < BIG_BYTES, "cut off, not finished: {logged}");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends Ctrl+C as SIGINT with kill: Windows has neither"
)]
fn ctrl_c_closes_idle_kept_alive_connections_promptly() {
    let dir = site();
    let mut server = Server::start(dir.path(), &["--quiet"]);
    let mut idle = server.connect();
    idle.write_all(b"GET /notes.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("send");
    let mut head = [0u8; 10];
    idle.read_exact(&mut head).expect("a response");
    interrupt(server.pid());
    assert_eq!(server.wait_for_exit(), Some(0));
}

/// The first Ctrl+C says at once what it waits for and for how long; the second cuts the
/// download off, and the download still gets its access-log line with the bytes that went.
#[test]
#[cfg_attr(
    windows,
    ignore = "sends Ctrl+C as SIGINT with kill: Windows has neither"
)]
fn ctrl_c_says_what_it_waits_for_and_a_second_one_still_logs_what_it_cut_off() {
    let dir = site();
    // A grace far longer than the test's patience: only the second Ctrl+C can end this.
    let mut server = Server::start(dir.path(), &["--shutdown-grace", "600"]);
    let _stalled = server.start_download("/big.bin");

    interrupt(server.pid());
    let said = server.stdout_line_containing("stopping");
    assert!(said.contains("1 response still going"), "{said}");
    assert!(said.contains("600 s"), "{said}");
    assert!(said.contains("--shutdown-grace"), "{said}");
    assert!(said.contains("Ctrl+C again"), "{said}");

    interrupt(server.pid());
    assert_eq!(server.wait_for_exit(), Some(0));
    let (logged, sent) = logged_download(&server);
    assert!(
        sent > 0 && sent < BIG_BYTES,
        "cut off after a start: {logged}"
    );
    server.stdout_line_containing("stopped at once");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends Ctrl+C as SIGINT with kill: Windows has neither"
)]
fn ctrl_c_with_nothing_in_flight_says_so() {
    let dir = site();
    let mut server = Server::start(dir.path(), &["--quiet"]);
    interrupt(server.pid());
    server.stdout_line_containing("stopping: no response in flight");
    assert_eq!(server.wait_for_exit(), Some(0));
}

/// Sends SIGINT, as Ctrl+C in the terminal does, to the server we started. (On Windows, Ctrl+C
/// is a console event, sent to every program on a console, not to one by its id.)
fn interrupt(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends Ctrl+C as SIGINT with kill: Windows has neither"
)]
fn a_second_ctrl_c_stops_at_once_and_still_exits_0() {
    let dir = site();
    let mut server = Server::start(dir.path(), &["--quiet"]);
    // A download nobody reads: the first Ctrl+C would wait for it (the grace time).
    let _stalled = server.start_download("/big.bin");

    interrupt(server.pid());
    // The first Ctrl+C has been taken once the server stops accepting.
    let deadline = std::time::Instant::now() + PATIENCE;
    while TcpStream::connect(server.addr()).is_ok() {
        assert!(std::time::Instant::now() < deadline, "still accepting");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    interrupt(server.pid());
    assert_eq!(server.wait_for_exit(), Some(0));
    server.stdout_line_containing("stopped at once");
}

#[test]
fn version_port_and_folder_options_read_as_the_docs_and_examples_write_them() {
    let version = run_to_exit(&["--version"]);
    assert_eq!(version.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&version.stdout);
    assert!(shown.starts_with("httpserve "), "{shown}");

    // -p as the socket lessons spell it; --directory as python3 -m http.server does.
    let dir = site();
    let dir_text = dir.path().to_str().expect("utf-8");
    let server = Server::start_with_args(&["-b", "127.0.0.1", "-p", "0", "--directory", dir_text]);
    assert_eq!(
        server.get("GET /notes.txt HTTP/1.0\r\n\r\n").body,
        NOTES.as_bytes()
    );
    let both = run_to_exit(&["8080", "-p", "8081"]);
    assert_eq!(both.status.code(), Some(2), "{}", both.stderr);
}

#[test]
fn a_bound_of_zero_connections_is_refused_like_zero_threads() {
    for option in ["--max-connections", "--threads"] {
        let refused = run_to_exit(&[option, "0"]);
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{option}: {}",
            refused.stderr
        );
        assert!(refused.stderr.contains(option), "{}", refused.stderr);
    }
}

#[test]
fn help_gives_a_person_a_minute_to_type_a_request() {
    let help = run_to_exit(&["--help"]);
    let line = String::from_utf8_lossy(&help.stdout)
        .lines()
        .skip_while(|line| !line.contains("--head-timeout"))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(line.contains("[default: 60]"), "{line}");
}
