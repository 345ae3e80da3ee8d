//! The socket lessons in `examples/`, run as real processes on 127.0.0.1.
//!
//! Each server starts with `-a 127.0.0.1 -p 0`, so the OS picks a free port, and the test reads
//! that port from the server's first line (`listening on 127.0.0.1:PORT`). Clients are the
//! example binaries too, driven through stdin, or raw sockets when a test needs control over
//! timing (the backlog experiment). Every process is killed by its PID when its guard drops, and
//! every wait has a bound: a broken example fails a test, it never hangs the suite.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use support::{closed_port, Process, PATIENCE};

/// How long a test watches for something that must *not* happen (a reply from a busy server).
/// On loopback an answer takes well under a millisecond, so this is plenty.
const QUIET_PERIOD: Duration = Duration::from_millis(300);

// ---- finding and running the example binaries ---------------------------------------------

/// The path of an example's binary, built once per test run. `cargo test` builds the examples,
/// but `cargo test --test examples` does not, and a binary left from an older build would
/// test old code: so the first caller runs `cargo build --examples` (a no-op when fresh).
/// Built for another OS (the Windows build under wine, `other_os`), the test cannot start this
/// machine's cargo: it takes the binaries `cargo test --target …` built beside it.
fn example(name: &str) -> PathBuf {
    static EXAMPLES_DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = EXAMPLES_DIR.get_or_init(build_examples);
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "no example binary at {}{}",
        path.display(),
        if cfg!(other_os) {
            " (built for another OS, this test cannot run cargo: `cargo build --examples --target …` first)"
        } else {
            ""
        }
    );
    path
}

/// Runs `cargo build --examples` for the profile this test was built with; returns the
/// folder the binaries land in (`target/debug/examples` next to `target/debug/deps/<us>`).
fn build_examples() -> PathBuf {
    let test_binary = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = test_binary
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    if cfg!(other_os) {
        return profile_dir.join("examples");
    }
    let mut command = Command::new(env!("CARGO"));
    command.args(["build", "--examples", "--quiet"]);
    match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(other) => {
            command.args(["--profile", other]);
        }
    }
    let output = command.output().expect("run cargo build --examples");
    assert!(
        output.status.success(),
        "cargo build --examples failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    profile_dir.join("examples")
}

/// Starts an example with these arguments; stdin is a pipe the test may write to or close.
fn start_example(name: &str, args: &[&str]) -> Process {
    let mut command = Command::new(example(name));
    command.args(args);
    Process::start(command)
}

/// A server started with `-a 127.0.0.1 -p 0`, and the port the OS gave it.
struct Server {
    process: Process,
    port: u16,
}

impl Server {
    fn start(name: &str, args: &[&str]) -> Server {
        let mut all_args = args.to_vec();
        all_args.extend_from_slice(&["-a", "127.0.0.1", "-p", "0"]);
        let process = start_example(name, &all_args);
        let banner = process.line();
        let port = port_from_banner(&banner);
        Server { process, port }
    }

    fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn port_arg(&self) -> String {
        self.port.to_string()
    }

    /// Runs the lesson's client against this server with `input` on its stdin; it must
    /// succeed. Its stdout.
    fn ask(&self, name: &str, input: &str) -> String {
        let port = self.port_arg();
        let finished = run_client(name, &["client", "-p", &port], input);
        assert!(finished.status.success(), "{input:?}: {}", finished.stderr);
        finished.stdout
    }
}

/// `listening on 127.0.0.1:41234` → 41234.
fn port_from_banner(banner: &str) -> u16 {
    assert!(banner.starts_with("listening on "), "banner: {banner:?}");
    let port = banner
        .rsplit(':')
        .next()
        .expect("rsplit yields at least once");
    let port: u16 = port.parse().expect("the banner ends in a port");
    assert_ne!(port, 0, "the server printed the real port, not 0");
    port
}

/// The outcome of a client run to its end.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs a client example to its end, with `input` on stdin.
fn run_client(name: &str, args: &[&str], input: &str) -> Finished {
    let mut client = start_example(name, args);
    client.feed(input);
    let exited = client.finish_within(PATIENCE);
    Finished {
        status: exited.status,
        stdout: String::from_utf8_lossy(&exited.stdout).into_owned(),
        stderr: exited.stderr,
    }
}

/// Sends Ctrl+C (SIGINT) to a server: it must exit 0 with its goodbye line, and never report
/// the interrupted call as an error.
fn assert_stops_cleanly_on_ctrl_c(server: &mut Server, what: &str) {
    server.process.signal("INT");
    let status = server.process.wait();
    assert!(status.success(), "{what} exited with {status}");
    let rest = server.process.rest_of_stdout();
    assert!(
        rest.iter().any(|line| line == "stopped by Ctrl+C\n"),
        "{what} printed {rest:?}"
    );
    assert!(
        !rest.iter().any(|line| line.contains("Interrupted")),
        "{what} printed {rest:?}"
    );
}

/// The failure every example must give: a non-zero exit and one `error:` line, no panic.
fn assert_one_line_failure(finished: &Finished, wanted: &str) {
    assert!(
        !finished.status.success(),
        "exit status: {}",
        finished.status
    );
    let error_lines: Vec<&str> = finished
        .stderr
        .lines()
        .filter(|line| line.contains("error"))
        .collect();
    assert_eq!(error_lines.len(), 1, "stderr: {}", finished.stderr);
    assert!(
        error_lines[0].contains(wanted),
        "wanted {wanted:?} in {:?}",
        error_lines[0]
    );
    assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
}

/// Sends one datagram to 127.0.0.1:port and returns the reply.
fn udp_ask(port: u16, request: &[u8]) -> Vec<u8> {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
    socket.set_read_timeout(Some(PATIENCE)).expect("timeout");
    socket
        .send_to(request, ("127.0.0.1", port))
        .expect("send_to");
    let mut buffer = [0u8; 4096];
    let (size, _) = socket.recv_from(&mut buffer).expect("a reply in time");
    buffer[..size].to_vec()
}

/// A TCP connection to a local server, with [`PATIENCE`] on every read.
fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    stream
}

/// Sends a line on a persistent connection and reads the answer line.
fn ask_line(stream: &TcpStream, line: &str) -> String {
    let mut writer = stream;
    writer
        .write_all(format!("{line}\n").as_bytes())
        .expect("send");
    read_line(stream).expect("an answer in time")
}

/// Reads up to and without the next `\n`, byte by byte (so nothing is buffered away);
/// `None` if the read timed out or the connection closed first.
fn read_line(stream: &TcpStream) -> Option<String> {
    let mut reader = stream;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match reader.read(&mut byte) {
            Ok(1) if byte[0] == b'\n' => return Some(String::from_utf8_lossy(&line).into()),
            Ok(1) => line.push(byte[0]),
            _ => return None,
        }
    }
}

// ---- common to all: the port rule, errors, Ctrl+C ----------------------------------------

#[test]
fn ports_below_1024_and_above_65535_are_refused_with_a_message() {
    for (name, port) in [
        ("tcp_uppercase", "80"),
        ("udp_uppercase", "1023"),
        ("echo", "70000"),
        ("primes", "http"),
    ] {
        let finished = run_client(name, &["server", "-p", port], "");
        assert_eq!(finished.status.code(), Some(2), "{name} -p {port}");
        assert!(
            finished.stderr.contains("1024-65535"),
            "{name} -p {port}: {}",
            finished.stderr
        );
        assert!(!finished.stderr.contains("panicked"));
    }
}

#[test]
fn port_zero_lets_the_os_choose_and_the_server_prints_the_real_port() {
    // Server::start asserts that the banner carries a real, non-zero port.
    let server = Server::start("tcp_uppercase", &["server"]);
    assert!(TcpStream::connect(server.address()).is_ok());
}

#[test]
fn a_client_is_refused_port_zero_with_a_message() {
    let finished = run_client("tcp_uppercase", &["client", "-p", "0"], "hello\n");
    assert_one_line_failure(&finished, "port 0");
}

/// The lessons with a TCP server and a client that sends lines of text to `-p PORT`
/// (`mini_http`'s client takes a URL instead).
const TCP_LINE_LESSONS: [&str; 6] = [
    "tcp_uppercase",
    "persistent",
    "threaded",
    "echo",
    "timestamp",
    "stream_pieces",
];

#[test]
fn every_tcp_client_with_no_server_fails_in_one_line() {
    let port = closed_port().to_string();
    for name in TCP_LINE_LESSONS {
        let finished = run_client(name, &["client", "-p", &port], "hello\n");
        assert_one_line_failure(&finished, "cannot connect");
    }
    let url = format!("http://127.0.0.1:{port}/\n");
    let finished = run_client("mini_http", &["client"], &url);
    assert_one_line_failure(&finished, "cannot connect");
}

#[test]
fn a_server_on_a_port_already_taken_fails_in_one_line() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port().to_string();
    let args = ["server", "-a", "127.0.0.1", "-p", &port];
    let finished = run_client("tcp_uppercase", &args, "");
    assert_one_line_failure(&finished, "cannot listen");
    let finished = run_client("persistent", &args, "");
    assert_one_line_failure(&finished, "cannot listen");
}

#[test]
fn every_example_explains_itself_with_help() {
    for name in [
        "tcp_uppercase",
        "udp_uppercase",
        "persistent",
        "threaded",
        "echo",
        "timestamp",
        "consonants",
        "primes",
        "stream_pieces",
        "unix_echo",
        "mini_http",
    ] {
        let finished = run_client(name, &["--help"], "");
        assert!(finished.status.success(), "{name}: {}", finished.stderr);
        assert!(
            finished.stdout.contains("server"),
            "{name}: {}",
            finished.stdout
        );
        assert!(
            finished.stdout.contains("client"),
            "{name}: {}",
            finished.stdout
        );
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends Ctrl+C as SIGINT with kill: Windows has neither"
)]
fn ctrl_c_ends_every_server_cleanly() {
    for (name, args) in [
        ("tcp_uppercase", vec!["server"]),
        ("udp_uppercase", vec!["server"]),
        ("persistent", vec!["server"]),
        ("threaded", vec!["server"]),
        ("echo", vec!["server"]),
        ("echo", vec!["server", "--udp"]),
        ("timestamp", vec!["server"]),
        ("timestamp", vec!["server", "--udp"]),
        ("consonants", vec!["server"]),
        ("primes", vec!["server"]),
        ("stream_pieces", vec!["server"]),
        ("mini_http", vec!["server"]),
    ] {
        let mut server = Server::start(name, &args);
        assert_stops_cleanly_on_ctrl_c(&mut server, &format!("{name} {args:?}"));
    }
}

/// Ctrl+C while a server is blocked reading from a connected client. Linux never restarts a
/// read on a socket that has a timeout (signal(7)), so the read fails with EINTR: that is the
/// signal arriving, not a network error, and must not be reported as one.
#[test]
#[cfg_attr(
    windows,
    ignore = "sends Ctrl+C as SIGINT with kill: Windows has neither"
)]
fn ctrl_c_with_a_client_connected_ends_every_server_cleanly() {
    for name in TCP_LINE_LESSONS.into_iter().chain(["mini_http"]) {
        let mut server = Server::start(name, &["server"]);
        let client = connect(server.port);
        // A line begun but not ended: every server is now waiting in a read for the rest.
        let mut writer = &client;
        writer.write_all(b"unfinished").expect("send");
        server.process.line_containing("connection from 127.0.0.1:");
        assert_stops_cleanly_on_ctrl_c(&mut server, name);
        assert_eq!(server.process.stderr(), "", "{name}");
    }
}

#[test]
#[cfg(unix)]
fn ctrl_c_with_a_client_connected_ends_unix_echo_cleanly() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("echo.sock");
    let mut server = start_unix_echo(&path);
    let client = std::os::unix::net::UnixStream::connect(&path).expect("connect");
    let mut writer = &client;
    writer.write_all(b"unfinished").expect("send");
    server.line_containing("connection on");
    server.signal("INT");
    assert!(server.wait().success());
    let rest = server.rest_of_stdout();
    assert_eq!(rest, ["stopped by Ctrl+C\n"]);
    assert!(!path.exists(), "the socket file is still there");
}

/// Waits for the server's next line containing `marker`, and checks how that line ends.
fn assert_next_line_ends(server: &Server, marker: &str, ending: &str) {
    let line = server.process.line_containing(marker);
    assert!(
        line.ends_with(ending),
        "wanted {ending:?} at the end of {line:?}"
    );
}

#[test]
fn every_count_in_the_examples_output_reads_right_for_one_and_for_more() {
    for (name, args) in [
        ("udp_uppercase", &["server"][..]),
        ("echo", &["server", "--udp"][..]),
    ] {
        let server = Server::start(name, args);
        for (sent, wanted) in [
            (&b"a"[..], "datagram of 1 byte from "),
            (b"ab", "of 2 bytes from "),
        ] {
            udp_ask(server.port, sent);
            let line = server.process.line_containing("datagram of");
            assert!(
                line.contains(wanted),
                "{name}: wanted {wanted:?} in {line:?}"
            );
        }
    }

    let server = Server::start("echo", &["server"]);
    for (sent, ending) in [
        ("x", ": echoed 1 byte"),
        ("xy", ": echoed 2 bytes"),
        ("", ": echoed 0 bytes"),
    ] {
        let mut stream = connect(server.port);
        stream.write_all(sent.as_bytes()).expect("send");
        stream.shutdown(Shutdown::Write).expect("shutdown");
        let mut echo = Vec::new();
        stream.read_to_end(&mut echo).expect("the echo");
        assert_next_line_ends(&server, "echoed", ending);
    }

    for name in ["persistent", "threaded"] {
        let server = Server::start(name, &["server"]);
        for (lines, ending) in [(1, " done after 1 line"), (2, " done after 2 lines")] {
            let client = connect(server.port);
            for _ in 0..lines {
                assert_eq!(ask_line(&client, "a"), "A");
            }
            drop(client);
            assert_next_line_ends(&server, "done after", ending);
        }
    }

    let server = Server::start("stream_pieces", &["server"]);
    let mut stream = connect(server.port);
    stream.write_all(b"x").expect("send");
    drop(stream);
    assert_next_line_ends(&server, "read ", "read 1 byte");
    assert_next_line_ends(&server, "total: ", "total: 1 byte in 1 read");
    let port = server.port_arg();
    let finished = run_client("stream_pieces", &["client", "-p", &port], "");
    assert_eq!(finished.stdout, "sent 100 characters in 100 writes\n");

    let server = Server::start("consonants", &["server"]);
    for (text, ending) in [
        ("b", ": 1 consonant"),
        ("bc", ": 2 consonants"),
        ("a", ": 0 consonants"),
    ] {
        udp_ask(server.port, text.as_bytes());
        assert_next_line_ends(&server, "request from", ending);
    }
    let port = server.port_arg();
    let finished = run_client("consonants", &["client", "-p", &port], "b\n");
    assert_eq!(finished.stdout, "\"b\" has 1 consonant.\n");

    #[cfg(unix)]
    {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("echo.sock");
        let path_text = path.to_str().expect("UTF-8");
        let unix_server = start_unix_echo(&path);
        for (message, ending) in [("x", "echoed 1 byte"), ("xy", "echoed 2 bytes")] {
            let finished = run_client("unix_echo", &["client", "--path", path_text, message], "");
            assert!(finished.status.success(), "{}", finished.stderr);
            let line = unix_server.line_containing("echoed");
            assert_eq!(line, ending);
        }
    }
}

// ---- tcp_uppercase ------------------------------------------------------------------------

#[test]
fn tcp_uppercase_answers_in_capitals_and_keeps_listening() {
    let server = Server::start("tcp_uppercase", &["server"]);
    let port = server.port_arg();
    for (sentence, capitals) in [("hello, world", "HELLO, WORLD"), ("straße", "STRASSE")] {
        let finished = run_client("tcp_uppercase", &["client", "-p", &port], sentence);
        assert!(finished.status.success(), "{}", finished.stderr);
        assert_eq!(finished.stdout, format!("From server: {capitals}\n"));
        server.process.line_containing("connection from 127.0.0.1:");
    }
}

#[test]
fn tcp_uppercase_server_closes_each_connection_after_its_answer() {
    let server = Server::start("tcp_uppercase", &["server"]);
    let mut stream = connect(server.port);
    stream.write_all(b"abc\n").expect("send");
    let mut reply = String::new();
    // read_to_string returns only when the server has closed the connection.
    stream.read_to_string(&mut reply).expect("the whole reply");
    assert_eq!(reply, "ABC\n");
}

// ---- udp_uppercase ------------------------------------------------------------------------

#[test]
fn udp_uppercase_answers_a_datagram_in_capitals() {
    let server = Server::start("udp_uppercase", &["server"]);
    let port = server.port_arg();
    let finished = run_client("udp_uppercase", &["client", "-p", &port], "hello udp\n");
    assert!(finished.status.success(), "{}", finished.stderr);
    assert_eq!(finished.stdout, "From server: HELLO UDP\n");
    server
        .process
        .line_containing("datagram of 9 bytes from 127.0.0.1:");
}

#[test]
fn udp_client_gives_up_with_a_message_when_nobody_answers() {
    // A socket that receives and never answers: the datagram leaves, no reply comes.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("address").port().to_string();
    let started = Instant::now();
    // `--wait` shortens the client's 2 s, so that the test need not wait it out.
    let args = ["client", "-p", &port, "--wait", "0.2"];
    let finished = run_client("udp_uppercase", &args, "anyone?\n");
    assert_one_line_failure(&finished, "no reply");
    assert!(
        started.elapsed() < PATIENCE,
        "gave up after {:?}",
        started.elapsed()
    );
    let mut buffer = [0u8; 64];
    silent.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let (size, _) = silent
        .recv_from(&mut buffer)
        .expect("the datagram did arrive");
    assert_eq!(&buffer[..size], b"anyone?");
}

// ---- every UDP server: a reply is never longer than its request ---------------------------

/// Sends one datagram to `server` and returns its reply, or `None` once the server has logged
/// that it will not answer (`not answering …`): whichever comes first, within [`PATIENCE`].
fn udp_reply_or_silence(server: &Server, request: &[u8]) -> Option<Vec<u8>> {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
    let poll = Duration::from_millis(20);
    socket.set_read_timeout(Some(poll)).expect("timeout");
    socket.send_to(request, server.address()).expect("send_to");
    let mut buffer = vec![0u8; 65536];
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if let Ok((size, _)) = socket.recv_from(&mut buffer) {
            return Some(buffer[..size].to_vec());
        }
        if let Some(line) = server.process.next_line_within(poll) {
            if line.contains("not answering") {
                return None;
            }
        }
    }
    panic!("neither a reply nor `not answering` within {PATIENCE:?}");
}

/// Sends each request to a fresh `name` server; returns `name: request -> reply` for every reply
/// longer than its request.
fn amplified_replies(name: &str, args: &[&str], requests: &[Vec<u8>]) -> Vec<String> {
    let server = Server::start(name, args);
    let mut amplified = Vec::new();
    for request in requests {
        if let Some(reply) = udp_reply_or_silence(&server, request) {
            if reply.len() > request.len() {
                amplified.push(format!("{name}: {} -> {}", request.len(), reply.len()));
            }
        }
    }
    amplified
}

/// UDP has no handshake, so a datagram's source address is whatever its sender wrote: a reply
/// larger than its request would amplify an attack on the address forged there.
#[test]
fn no_udp_server_answers_with_more_bytes_than_it_was_sent() {
    let iota = "\u{390}"; // ΐ: 2 bytes, and 3 characters (6 bytes) in capitals
    let uppercase = [
        iota.repeat(1024).into_bytes(), // the whole 2048-byte buffer
        iota.as_bytes().to_vec(),
        "ß".repeat(3000).into_bytes(), // longer than the buffer: cut on arrival
        vec![0xff; 2048],              // not UTF-8: each byte would become 3 (U+FFFD)
        b"ascii stays the same size".to_vec(),
    ];
    let echo = [vec![b'e'; 1024], vec![b'e'; 5000], Vec::new()];
    // The stamp alone is 27 bytes.
    let timestamp = [
        Vec::new(),
        b"x".to_vec(),
        vec![b't'; 1024],
        vec![b't'; 5000],
    ];
    // `0` is one byte: more than an empty datagram.
    let consonants = [Vec::new(), b"b".to_vec(), vec![b'b'; 2048]];
    // `-1` is two bytes: more than an empty or one-byte request that is not a number.
    let primes = [
        Vec::new(),
        b"x".to_vec(),
        b"-".to_vec(),
        b" ".to_vec(),
        b"7".to_vec(),
        b"18446744073709551616".to_vec(),
    ];
    let amplified = [
        amplified_replies("udp_uppercase", &["server"], &uppercase),
        amplified_replies("echo", &["server", "--udp"], &echo),
        amplified_replies("timestamp", &["server", "--udp"], &timestamp),
        amplified_replies("consonants", &["server"], &consonants),
        amplified_replies("primes", &["server"], &primes),
    ]
    .concat();
    assert!(
        amplified.is_empty(),
        "replies longer than requests: {amplified:?}"
    );
}

#[test]
fn udp_uppercase_cuts_its_capitals_between_characters_to_fit_the_request() {
    let server = Server::start("udp_uppercase", &["server"]);
    let iota = "\u{390}";
    let reply = udp_ask(server.port, iota.repeat(1024).as_bytes());
    // 341 whole characters' capitals (2046 bytes) fit in 2048; the 342nd's would not.
    let wanted = iota.repeat(341).to_uppercase();
    assert!(
        reply == wanted.as_bytes(),
        "{} bytes, not 2046",
        reply.len()
    );
    server.process.line_containing("cut");
    // Answered whole: `SS` takes no more bytes than `ß`.
    assert_eq!(
        server.ask("udp_uppercase", "straße\n"),
        "From server: STRASSE\n"
    );
}

#[test]
fn udp_clients_make_room_for_the_answer_in_their_request() {
    // The timestamp client pads its datagram with room for the stamp, so its line comes back
    // whole (checked in timestamp_stamps_each_line_and_the_client_stops_at_an_empty_line); the
    // primes and consonants clients pad requests shorter than the answer could be.
    let server = Server::start("primes", &["server"]);
    for (input, sentence) in [
        (
            "x",
            "\"x\" is not a whole number from 0 to 18446744073709551615.",
        ),
        (
            "",
            "\"\" is not a whole number from 0 to 18446744073709551615.",
        ),
        ("7", "7 is prime."),
    ] {
        let answer = server.ask("primes", &format!("{input}\n"));
        assert_eq!(answer, format!("{sentence}\n"));
    }
    let server = Server::start("consonants", &["server"]);
    assert_eq!(server.ask("consonants", "\n"), "\"\" has 0 consonants.\n");
}

// ---- persistent and threaded --------------------------------------------------------------

#[test]
fn persistent_answers_many_lines_on_one_connection_until_a_dot() {
    let server = Server::start("persistent", &["server"]);
    let port = server.port_arg();
    let finished = run_client(
        "persistent",
        &["client", "-p", &port],
        "first line\nsecond\n.\nnot sent\n",
    );
    assert!(finished.status.success(), "{}", finished.stderr);
    assert_eq!(finished.stdout, "FIRST LINE\nSECOND\n");
    server.process.line_containing("ended the session");
    server.process.line_containing("done after 2 lines");
}

#[test]
fn persistent_splits_lines_that_arrive_in_one_piece() {
    // Two lines in one write: TCP has no message boundaries, the newlines are the boundaries.
    let server = Server::start("persistent", &["server"]);
    let mut stream = connect(server.port);
    stream.write_all(b"one\ntwo\n").expect("send");
    assert_eq!(read_line(&stream).as_deref(), Some("ONE"));
    assert_eq!(read_line(&stream).as_deref(), Some("TWO"));
}

/// The lesson's exercise: `--backlog 1`, then clients one after the other. Linux queues
/// backlog + 1 = 2 finished handshakes; the next connection request is dropped, not refused.
/// (Other systems count the backlog their own way, hence Linux only.)
#[test]
#[cfg(target_os = "linux")]
fn backlog_1_queues_two_waiting_clients_and_leaves_the_next_waiting() {
    let server = Server::start("persistent", &["server", "--backlog", "1"]);
    let first = connect(server.port);
    assert_eq!(ask_line(&first, "served"), "SERVED");

    // The second and third connect (the kernel finishes their handshakes) but get no answer:
    // the server is busy with the first.
    let mut waiting = Vec::new();
    for _ in 0..2 {
        let client = TcpStream::connect_timeout(&server.address(), PATIENCE).expect("queued");
        let mut writer = &client;
        writer.write_all(b"waiting\n").expect("send into the queue");
        waiting.push(client);
    }
    // Both lines were sent before this quiet period began, so one period covers both.
    for (client, quiet) in waiting.iter().zip([QUIET_PERIOD, Duration::from_millis(1)]) {
        client.set_read_timeout(Some(quiet)).expect("timeout");
        assert_eq!(read_line(client), None, "a queued client got an answer");
    }

    // The fourth: the queue is full, its SYN is dropped, and connect waits (it would retry
    // after 1 s, 3 s, …). Not a refusal, which would come back at once: a timeout.
    let fourth = TcpStream::connect_timeout(&server.address(), QUIET_PERIOD);
    match fourth {
        Ok(_) => panic!("a fourth client connected although the queue was full"),
        Err(error) => assert_eq!(error.kind(), std::io::ErrorKind::TimedOut, "{error}"),
    }

    // When the first leaves, the second is accepted and its queued line answered at once.
    let mut writer = &first;
    writer.write_all(b".\n").expect("send the end");
    let second = &waiting[0];
    second.set_read_timeout(Some(PATIENCE)).expect("timeout");
    assert_eq!(read_line(second).as_deref(), Some("WAITING"));

    // That accept made room in the queue: a new client connects again.
    let later = TcpStream::connect_timeout(&server.address(), PATIENCE);
    assert!(later.is_ok(), "{later:?}");
}

#[test]
fn persistent_serves_one_client_at_a_time() {
    let server = Server::start("persistent", &["server"]);
    let first = connect(server.port);
    assert_eq!(ask_line(&first, "a"), "A");
    let second = connect(server.port);
    second
        .set_read_timeout(Some(QUIET_PERIOD))
        .expect("timeout");
    let mut writer = &second;
    writer.write_all(b"b\n").expect("send");
    assert_eq!(
        read_line(&second),
        None,
        "served while the first was still connected"
    );
    drop(first); // closing without `.` ends the session too
    second.set_read_timeout(Some(PATIENCE)).expect("timeout");
    assert_eq!(read_line(&second).as_deref(), Some("B"));
}

#[test]
fn threaded_serves_several_clients_at_once() {
    let server = Server::start("threaded", &["server"]);
    let clients: Vec<TcpStream> = (0..3).map(|_| connect(server.port)).collect();
    // Answers in the reverse order of connecting: nobody waits for anybody.
    for (index, client) in clients.iter().enumerate().rev() {
        assert_eq!(
            ask_line(client, &format!("client {index}")),
            format!("CLIENT {index}")
        );
    }
    assert_eq!(ask_line(&clients[0], "still here"), "STILL HERE");
}

#[test]
fn threaded_client_runs_a_whole_session() {
    let server = Server::start("threaded", &["server"]);
    let port = server.port_arg();
    let finished = run_client("threaded", &["client", "-p", &port], "x\ny\n");
    // The end of stdin ends the session like `.` does.
    assert!(finished.status.success(), "{}", finished.stderr);
    assert_eq!(finished.stdout, "X\nY\n");
    server.process.line_containing("ended the session");
}

// ---- the line limit of tcp_uppercase, persistent and threaded ---------------------------

/// Their limit, the `\n` included.
const MAX_LINE: usize = 2048;

/// Sends a line far longer than the limit, and far longer than the server's read buffer, so that
/// bytes are still unread in its kernel buffer when it closes (the case that causes a reset).
/// The sending runs on a thread: the server stops reading the line, and only its draining lets
/// the write finish.
fn send_far_too_long_line(stream: &TcpStream) -> std::thread::JoinHandle<()> {
    let mut writer = stream.try_clone().expect("clone the connection");
    std::thread::spawn(move || {
        let mut line = vec![b'x'; 100_000];
        line.push(b'\n');
        // A server that closes before taking everything makes this fail: the reads decide.
        let _ = writer.write_all(&line);
    })
}

#[test]
fn a_line_over_the_limit_gets_one_line_naming_the_limit_then_a_clean_close() {
    for name in ["tcp_uppercase", "persistent", "threaded"] {
        let server = Server::start(name, &["server"]);
        let mut stream = connect(server.port);
        if name != "tcp_uppercase" {
            // Just under the limit is fine, and the session goes on.
            let longest = "a".repeat(MAX_LINE - 1);
            assert_eq!(
                ask_line(&stream, &longest),
                longest.to_uppercase(),
                "{name}"
            );
        }
        let sender = send_far_too_long_line(&stream);
        let refusal = read_line(&stream).unwrap_or_else(|| panic!("{name}: no refusal line"));
        assert!(refusal.starts_with("error: "), "{name}: {refusal:?}");
        assert!(refusal.contains("2048 bytes"), "{name}: {refusal:?}");
        // Then the server's FIN: an orderly end of the stream, not a reset.
        let mut rest = Vec::new();
        let end = stream.read_to_end(&mut rest);
        assert!(end.is_ok(), "{name}: {end:?}");
        assert!(rest.is_empty(), "{name}: {} more bytes", rest.len());
        sender.join().expect("the sending thread ends");
        drop(stream);
        server.process.line_containing("longer than");
        // And it serves the next client.
        let mut next = connect(server.port);
        next.write_all(b"next\n").expect("send");
        assert_eq!(read_line(&next).as_deref(), Some("NEXT"), "{name}");
    }
}

#[test]
fn the_example_clients_print_the_servers_refusal_of_a_long_line_and_fail() {
    let long_line = "y".repeat(3000);
    for name in ["tcp_uppercase", "persistent", "threaded"] {
        let server = Server::start(name, &["server"]);
        let port = server.port_arg();
        let (input, answers) = match name {
            "tcp_uppercase" => (format!("{long_line}\n"), ""),
            _ => (format!("hello\n{long_line}\nnot sent\n"), "HELLO\n"),
        };
        let finished = run_client(name, &["client", "-p", &port], &input);
        assert_eq!(finished.stdout, answers, "{name}");
        assert_one_line_failure(&finished, "line longer than the limit of 2048 bytes");
    }
}

// ---- echo -----------------------------------------------------------------------------------

#[test]
fn echo_client_sends_hello_world_by_default_over_tcp_and_udp() {
    for transport in [&[][..], &["--udp"][..]] {
        let server = Server::start("echo", &[&["server"], transport].concat());
        let port = server.port_arg();
        let args = [&["client", "-p", &port], transport].concat();
        let finished = run_client("echo", &args, "");
        assert!(
            finished.status.success(),
            "{transport:?}: {}",
            finished.stderr
        );
        assert_eq!(finished.stdout, "Received: Hello World\n", "{transport:?}");
        let with_message = [&args[..], &["other text"]].concat();
        let finished = run_client("echo", &with_message, "");
        assert_eq!(finished.stdout, "Received: other text\n", "{transport:?}");
    }
}

#[test]
fn echo_tcp_returns_exactly_the_bytes_received_even_beyond_one_buffer() {
    let server = Server::start("echo", &["server"]);
    let mut stream = connect(server.port);
    // Every byte value, and more than the server's 1024-byte buffer.
    let sent: Vec<u8> = (0..3000u32).map(|index| (index % 256) as u8).collect();
    stream.write_all(&sent).expect("send");
    stream.shutdown(Shutdown::Write).expect("shutdown");
    let mut received = Vec::new();
    stream.read_to_end(&mut received).expect("the echo");
    assert_eq!(received, sent);
    server.process.line_containing("echoed 3000 bytes");
}

#[test]
fn echo_udp_returns_exactly_the_datagram_received() {
    let server = Server::start("echo", &["server", "--udp"]);
    let sent = [0u8, 255, b'\n', b'\r', 0x1b, b'x'];
    assert_eq!(udp_ask(server.port, &sent), sent);
}

// ---- timestamp ------------------------------------------------------------------------------

/// Checks `[Sat Nov 21 10:00:00 2026] data`, the day padded to two characters as ctime does.
fn assert_stamped(line: &str, data: &str) {
    let Some((stamp, rest)) = line.split_once("] ") else {
        panic!("no stamp in {line:?}");
    };
    assert_eq!(rest, data, "{line:?}");
    let stamp = stamp.strip_prefix('[').expect("opens with [");
    assert_eq!(stamp.len(), 24, "{stamp:?}");
    let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    assert!(weekdays.contains(&&stamp[0..3]), "{stamp:?}");
    assert_eq!(&stamp[13..14], ":", "{stamp:?}");
    assert!(stamp[20..].parse::<u32>().is_ok(), "{stamp:?}");
}

#[test]
fn timestamp_stamps_each_line_and_the_client_stops_at_an_empty_line() {
    for transport in [&[][..], &["--udp"][..]] {
        let server = Server::start("timestamp", &[&["server"], transport].concat());
        let port = server.port_arg();
        let args = [&["client", "-p", &port], transport].concat();
        let finished = run_client("timestamp", &args, "hello\nsecond line\n\nnever sent\n");
        assert!(
            finished.status.success(),
            "{transport:?}: {}",
            finished.stderr
        );
        let lines: Vec<&str> = finished.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{transport:?}: {lines:?}");
        assert_stamped(lines[0], "hello");
        assert_stamped(lines[1], "second line");
    }
}

// ---- consonants -----------------------------------------------------------------------------

#[test]
fn consonants_client_counts_hello_world_as_7() {
    let server = Server::start("consonants", &["server"]);
    let port = server.port_arg();
    let finished = run_client("consonants", &["client", "-p", &port], "Hello, World!\n");
    assert!(finished.status.success(), "{}", finished.stderr);
    assert_eq!(finished.stdout, "\"Hello, World!\" has 7 consonants.\n");
    server.process.line_containing("request from 127.0.0.1:");
}

#[test]
fn consonants_are_ascii_letters_that_are_not_vowels() {
    let server = Server::start("consonants", &["server"]);
    for (text, count) in [
        ("Hello, World!", "7"),
        ("aeiou AEIOU", "0"),
        ("rhythm", "6"),       // y is a consonant
        ("BCD bcd", "6"),      // either case
        ("1234 !?,.-", "0"),   // digits, spaces, punctuation
        ("Ça va, señor", "3"), // v s r: Ç and ñ are not A-Z, so not counted
    ] {
        let answer = udp_ask(server.port, text.as_bytes());
        assert_eq!(String::from_utf8_lossy(&answer), count, "{text:?}");
    }
}

// ---- primes ---------------------------------------------------------------------------------

#[test]
fn primes_client_turns_the_code_into_a_sentence() {
    let server = Server::start("primes", &["server"]);
    for (input, sentence) in [
        ("2", "2 is prime."),
        ("1", "1 is not prime."),
        ("0", "0 is not prime."),
        ("-7", "-7 is not prime."),
        (
            "abc",
            "\"abc\" is not a whole number from 0 to 18446744073709551615.",
        ),
        ("18446744073709551557", "18446744073709551557 is prime."),
    ] {
        let answer = server.ask("primes", &format!("{input}\n"));
        assert_eq!(answer, format!("{sentence}\n"));
    }
}

#[test]
fn primes_server_answers_1_0_or_minus_1_fast_for_any_64_bit_number() {
    let server = Server::start("primes", &["server"]);
    for (number, code) in [
        ("2", "1"),
        ("1", "0"),
        ("0", "0"),
        ("-7", "0"), // negative numbers are not prime
        ("abc", "-1"),
        ("12a", "-1"),
        (" 13 ", "1"),
        ("+13", "1"),
        ("561", "0"),                      // Carmichael: fools Fermat, not Miller–Rabin
        ("3215031751", "0"),               // strong pseudoprime to bases 2, 3, 5 and 7
        ("4294967291", "1"),               // the largest 32-bit prime
        ("18446744073709551557", "1"),     // the largest 64-bit prime
        ("18446744073709551615", "0"),     // 2^64 - 1
        ("18446744073709551616", "-1"),    // 2^64: beyond 64 bits
        ("-99999999999999999999999", "0"), // negative, however large
    ] {
        let started = Instant::now();
        let answer = udp_ask(server.port, number.as_bytes());
        assert_eq!(String::from_utf8_lossy(&answer), code, "{number:?}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{number}: {:?}",
            started.elapsed()
        );
    }
}

// ---- stream_pieces --------------------------------------------------------------------------

/// Runs the stream_pieces client with `extra` arguments; returns the server's read sizes and
/// the total line.
fn stream_pieces_reads(extra: &[&str]) -> (Vec<usize>, String) {
    let server = Server::start("stream_pieces", &["server"]);
    let port = server.port_arg();
    let args = [&["client", "-p", &port], extra].concat();
    let finished = run_client("stream_pieces", &args, "");
    assert!(finished.status.success(), "{}", finished.stderr);
    server.process.line_containing("connection from 127.0.0.1:");
    let mut sizes = Vec::new();
    loop {
        let line = server.process.line();
        if line.starts_with("total: ") {
            return (sizes, line);
        }
        let size = line
            .strip_prefix("read ")
            .and_then(|rest| rest.strip_suffix(" bytes").or(rest.strip_suffix(" byte")))
            .and_then(|number| number.parse().ok())
            .unwrap_or_else(|| panic!("unexpected line {line:?}"));
        sizes.push(size);
    }
}

#[test]
fn stream_pieces_server_reads_a_total_of_100_bytes_whatever_the_pieces() {
    for extra in [&[][..], &["--pause-ms", "1"][..], &["--nodelay"][..]] {
        let (sizes, total) = stream_pieces_reads(extra);
        assert_eq!(sizes.iter().sum::<usize>(), 100, "{extra:?}: {sizes:?}");
        let reads = match sizes.len() {
            1 => "1 read".to_string(), // all 100 bytes arrived before the first read
            many => format!("{many} reads"),
        };
        assert_eq!(total, format!("total: 100 bytes in {reads}"));
    }
}

// ---- unix_echo (Unix only) ----------------------------------------------------------------

/// Starts the Unix-socket echo server on `path`; returns it once it listens.
#[cfg(unix)]
fn start_unix_echo(path: &Path) -> Process {
    let path_text = path.to_str().expect("temporary paths are UTF-8");
    let server = start_example("unix_echo", &["server", "--path", path_text]);
    server.line_containing("listening on");
    server
}

#[test]
#[cfg(unix)]
fn unix_echo_echoes_and_removes_its_socket_file_on_ctrl_c() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("echo.sock");
    let path_text = path.to_str().expect("UTF-8");
    let mut server = start_unix_echo(&path);
    assert!(path.exists());
    let finished = run_client("unix_echo", &["client", "--path", path_text], "");
    assert!(finished.status.success(), "{}", finished.stderr);
    assert_eq!(finished.stdout, "Received: Hello World\n");
    let finished = run_client("unix_echo", &["client", "--path", path_text, "ünïcödé"], "");
    assert_eq!(finished.stdout, "Received: ünïcödé\n");
    server.line_containing("echoed 11 bytes");

    server.signal("INT");
    assert!(server.wait().success());
    assert!(!path.exists(), "the socket file is still there");
}

#[test]
#[cfg(unix)]
fn unix_echo_removes_a_stale_socket_but_never_a_live_one_or_a_regular_file() {
    let dir = tempfile::tempdir().expect("temporary folder");

    // A socket file whose server was killed outright: nothing listens, the file remains.
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).expect("bind"));
    assert!(stale.exists());
    let server = start_unix_echo(&stale);

    // A second server on the same path must not steal it.
    let stale_text = stale.to_str().expect("UTF-8");
    let second = run_client("unix_echo", &["server", "--path", stale_text], "");
    assert_one_line_failure(&second, "already listening");
    drop(server);

    // A regular file is never removed.
    let regular = dir.path().join("notes.txt");
    std::fs::write(&regular, "keep me").expect("write");
    let regular_text = regular.to_str().expect("UTF-8");
    let refused = run_client("unix_echo", &["server", "--path", regular_text], "");
    assert_one_line_failure(&refused, "not a socket");
    assert_eq!(std::fs::read_to_string(&regular).expect("read"), "keep me");
}

#[test]
#[cfg(unix)]
fn unix_echo_client_without_a_server_fails_in_one_line() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("nobody.sock");
    let path_text = path.to_str().expect("UTF-8");
    let finished = run_client("unix_echo", &["client", "--path", path_text], "");
    assert_one_line_failure(&finished, "cannot connect");
}

// ---- mini_http ------------------------------------------------------------------------------

/// Sends a raw request to the mini server and returns the whole reply.
fn mini_get(port: u16, request: &str) -> String {
    let mut stream = connect(port);
    stream.write_all(request.as_bytes()).expect("send");
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .expect("the reply, to the close");
    reply
}

#[test]
fn mini_http_server_serves_a_file_and_answers_404_otherwise() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path().join("site");
    std::fs::create_dir_all(root.join("folder")).expect("mkdir");
    std::fs::write(root.join("hello.txt"), "hello, http\n").expect("write");
    std::fs::write(dir.path().join("secret.txt"), "outside the root").expect("write");
    let root_text = root.to_str().expect("UTF-8");
    let server = Server::start("mini_http", &["server", "--dir", root_text]);

    let reply = mini_get(
        server.port,
        "GET /hello.txt HTTP/1.0\r\nUser-Agent: test\r\n\r\n",
    );
    assert_eq!(
        reply,
        "HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello, http\n"
    );
    server.process.line_containing("answered 200 OK");

    for path in [
        "/missing.txt",
        "/folder",
        "/../secret.txt",
        "/folder/../../secret.txt",
    ] {
        let reply = mini_get(server.port, &format!("GET {path} HTTP/1.0\r\n\r\n"));
        assert!(
            reply.starts_with("HTTP/1.0 404 Not Found\r\n"),
            "{path}: {reply:?}"
        );
    }
    let reply = mini_get(server.port, "POST /hello.txt HTTP/1.0\r\n\r\n");
    assert!(
        reply.starts_with("HTTP/1.0 400 Bad Request\r\n"),
        "{reply:?}"
    );
}

#[test]
fn mini_http_client_prints_the_whole_reply_from_the_mini_server() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(dir.path().join("index.html"), "<h1>Hi</h1>\n").expect("write");
    let dir_text = dir.path().to_str().expect("UTF-8");
    let server = Server::start("mini_http", &["server", "--dir", dir_text]);
    let url = format!("http://127.0.0.1:{}/index.html\n", server.port);
    let finished = run_client("mini_http", &["client"], &url);
    assert!(finished.status.success(), "{}", finished.stderr);
    assert_eq!(
        finished.stdout,
        "HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\n<h1>Hi</h1>\n"
    );
}

#[test]
fn mini_http_client_refuses_what_is_not_an_http_url() {
    let finished = run_client("mini_http", &["client"], "ftp://example.com/\n");
    assert_one_line_failure(&finished, "http://");
}
